# Fallback pseudobulk for bench/de/run when `nbglm pseudobulk` is missing or fails: sums the
# counts of the cells of each combination of the BY columns of the cell sheet and writes
# OUT/counts.tsv and OUT/samples.tsv (sample, the BY columns, n_cells) in the layout that
# `nbglm pseudobulk` is specified to write, so every tool reads the same pseudo-samples.
#
# Usage: Rscript bench/de/pseudobulk.R CELL_DIR OUT_DIR COL1,COL2,...
a <- commandArgs(trailingOnly = TRUE)
cell_dir <- a[1]; out <- a[2]; by <- strsplit(a[3], ",")[[1]]
counts <- as.matrix(read.delim(file.path(cell_dir, "counts.tsv"), row.names = 1, check.names = FALSE))
sheet <- read.delim(file.path(cell_dir, "samples.tsv"), check.names = FALSE, stringsAsFactors = FALSE,
                    colClasses = "character")
stopifnot(identical(sheet[[1]], colnames(counts)))
key <- do.call(paste, c(unname(as.list(sheet[by])), sep = "_"))
groups <- sort(unique(key))
pb <- sapply(groups, function(g) rowSums(counts[, key == g, drop = FALSE]))
colnames(pb) <- groups
first <- match(groups, key)
dir.create(out, recursive = TRUE, showWarnings = FALSE)
write.table(data.frame(gene_id = rownames(pb), pb, check.names = FALSE), file.path(out, "counts.tsv"),
            sep = "\t", quote = FALSE, row.names = FALSE)
write.table(data.frame(sample = groups, sheet[first, by, drop = FALSE], n_cells = as.vector(table(key)[groups]),
                       check.names = FALSE),
            file.path(out, "samples.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
