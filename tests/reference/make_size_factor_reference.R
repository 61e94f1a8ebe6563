# Reference size factors for `nbglm fit --size-factors ratio|poscounts|total`
# (src/io/size_factors.cc), computed by DESeq2 itself.
#
# Usage (from the repository root): Rscript tests/reference/make_size_factor_reference.R
# Reads ../shared/data/{pasilla,bottomly}/counts.tsv; writes
# tests/data/reference/size_factors_NAME.tsv with columns observation, ratio,
# poscounts, total (%.17g):
#   ratio      DESeq2::estimateSizeFactors(dds)                      (median of ratios)
#   poscounts  DESeq2::estimateSizeFactors(dds, type = "poscounts")
#   total      colSums / exp(mean(log(colSums)))                      (no DESeq2 equivalent)
suppressPackageStartupMessages(library(DESeq2))
data_dir <- file.path("..", "shared", "data")
out_dir <- file.path("tests", "data", "reference")
fmt <- function(x) sprintf("%.17g", x)
for (name in c("pasilla", "bottomly")) {
  counts <- as.matrix(read.delim(file.path(data_dir, name, "counts.tsv"), row.names = 1, check.names = FALSE))
  storage.mode(counts) <- "integer"
  dds <- DESeqDataSetFromMatrix(counts, data.frame(row.names = colnames(counts), one = rep(1, ncol(counts))), ~ 1)
  ratio <- sizeFactors(estimateSizeFactors(dds))
  poscounts <- sizeFactors(estimateSizeFactors(dds, type = "poscounts"))
  totals <- colSums(counts)
  total <- totals / exp(mean(log(totals)))
  write.table(data.frame(observation = colnames(counts), ratio = fmt(ratio), poscounts = fmt(poscounts),
                         total = fmt(total)),
              file.path(out_dir, paste0("size_factors_", name, ".tsv")), sep = "\t", quote = FALSE, row.names = FALSE)
  cat(name, ": ", ncol(counts), " observations\n", sep = "")
}
cat("R:", R.version.string, "; DESeq2", as.character(packageVersion("DESeq2")), "\n")
