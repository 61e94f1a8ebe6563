# Runs the peer DE tools (edgeR QL, glmGamPoi, DESeq2) on the data sets of WORK/manifest.tsv, each
# with the workflow a user would type from its documentation (defaults everywhere), and writes
# per data set and tool OUT/res_TOOL.tsv (feature, pvalue, padj; NA = not tested) and
# OUT/res_TOOL.time (seconds of the whole workflow, package loading excluded; one line per run), or
# OUT/res_TOOL.err with the error message when the tool fails (the benchmark then reports it as
# skipped).
#
# Usage: Rscript bench/de/peers_de.R WORK PARTS REUSE(0/1) [TIMING_RUNS]
#   PARTS        comma-separated manifest parts to run (a,a_batch,b_cells,b_cells_cluster,b_pseudobulk,c,d)
#   REUSE        1: keep results already in OUT (a rerun of the summary only costs nothing); for part d
#                only where OUT/res_TOOL.time already holds TIMING_RUNS times
#   TIMING_RUNS  part d: run each tool this many times (default 1; the summary reports the median)
suppressPackageStartupMessages({ library(edgeR); library(glmGamPoi); library(DESeq2) })
a <- commandArgs(trailingOnly = TRUE)
work <- a[1]; parts <- strsplit(a[2], ",")[[1]]; reuse <- a[3] == "1"
timing_runs <- if (length(a) >= 4) as.integer(a[4]) else 1L
man <- read.delim(file.path(work, "manifest.tsv"), stringsAsFactors = FALSE, check.names = FALSE,
                  colClasses = "character")
man <- man[man$part %in% parts, , drop = FALSE]

read_set <- function(row) {
  counts <- as.matrix(read.delim(file.path(row$dir, "counts.tsv"), row.names = 1, check.names = FALSE))
  storage.mode(counts) <- "integer"
  sheet <- read.delim(file.path(row$dir, "samples.tsv"), check.names = FALSE, stringsAsFactors = FALSE)
  stopifnot(identical(as.character(sheet[[1]]), colnames(counts)))
  rownames(sheet) <- sheet[[1]]
  if (row$factor_cols != "-") for (f in strsplit(row$factor_cols, ",")[[1]]) sheet[[f]] <- factor(sheet[[f]])
  for (f in names(sheet)[-1]) if (is.character(sheet[[f]])) sheet[[f]] <- factor(sheet[[f]])
  sheet[[row$test_var]] <- relevel(factor(sheet[[row$test_var]]), ref = row$ref_level)
  list(counts = counts, sheet = sheet, formula = as.formula(row$r_formula), test_var = row$test_var,
       filter = row$filter,
       test_level = row$test_level, ref_level = row$ref_level, coef = paste0(row$test_var, row$test_level))
}

# The genes given to edgeR and glmGamPoi: filterByExpr(counts, design) on the raw counts (library
# sizes = column sums), as their guides do; "nonzero" where filterByExpr keeps nothing (single cells).
keep_genes <- function(s, design) {
  if (s$filter == "nonzero") rowSums(s$counts) > 0 else filterByExpr(s$counts, design = design)
}

# Every tool returns a data frame feature/pvalue/padj over ALL genes of the file (NA = untested).
all_genes <- function(counts, feature, pvalue, padj) {
  out <- data.frame(feature = rownames(counts), pvalue = NA_real_, padj = NA_real_)
  i <- match(feature, out$feature)
  out$pvalue[i] <- pvalue; out$padj[i] <- padj
  out
}

# edgeR quasi-likelihood, the edgeR user's guide workflow: filterByExpr -> TMM -> estimateDisp ->
# glmQLFit -> glmQLFTest. padj = BH over the kept genes (what topTags reports as FDR).
run_edger <- function(s) {
  design <- model.matrix(s$formula, s$sheet)
  y <- DGEList(s$counts)
  keep <- keep_genes(s, design)
  y <- calcNormFactors(y[keep, , keep.lib.sizes = FALSE])
  y <- estimateDisp(y, design)
  res <- glmQLFTest(glmQLFit(y, design), coef = s$coef)
  all_genes(s$counts, rownames(res$table), res$table$PValue, p.adjust(res$table$PValue, "BH"))
}

# glmGamPoi with its defaults (size_factors = "normed_sum" computed on the genes it is given,
# overdispersion with Cox-Reid, QL shrinkage), on the filterByExpr genes as its vignette does.
# test_de parses the contrast as an R expression: backquote the coefficient name.
run_glmgampoi <- function(s) {
  keep <- keep_genes(s, model.matrix(s$formula, s$sheet))
  fit <- glm_gp(s$counts[keep, , drop = FALSE], design = s$formula, col_data = s$sheet)
  res <- test_de(fit, contrast = paste0("`", s$coef, "`"))
  all_genes(s$counts, res$name, res$pval, res$adj_pval)
}

# DESeq2 default: all genes, its own size factors, Wald test, results() with independent
# filtering (padj NA for filtered genes, pvalue NA for all-zero genes and Cook's outliers).
# DESeq2 wants syntactic level names ("DBA/2J", "single-read" are not): made so for DESeq2 only.
run_deseq2 <- function(s) {
  sheet <- s$sheet
  for (f in names(sheet)[-1]) if (is.factor(sheet[[f]])) levels(sheet[[f]]) <- make.names(levels(sheet[[f]]))
  dds <- DESeqDataSetFromMatrix(s$counts, sheet, s$formula)
  dds <- DESeq(dds, quiet = TRUE)
  res <- results(dds, contrast = c(s$test_var, make.names(s$test_level), make.names(s$ref_level)))
  all_genes(s$counts, rownames(res), res$pvalue, res$padj)
}

tools <- list(edgeR_QL = run_edger, glmGamPoi = run_glmgampoi, DESeq2 = run_deseq2)
for (r in seq_len(nrow(man))) {
  row <- man[r, ]
  dir.create(row$out, recursive = TRUE, showWarnings = FALSE)
  if (!file.exists(file.path(row$dir, "counts.tsv"))) {
    for (t in strsplit(row$tools, ",")[[1]])
      writeLines("no counts.tsv (data set not made)", file.path(row$out, paste0("res_", t, ".err")))
    next
  }
  s <- NULL
  for (t in strsplit(row$tools, ",")[[1]]) {
    res_file <- file.path(row$out, paste0("res_", t, ".tsv"))
    err_file <- file.path(row$out, paste0("res_", t, ".err"))
    time_file <- file.path(row$out, paste0("res_", t, ".time"))
    runs <- if (row$part == "d") timing_runs else 1L
    if (reuse && file.exists(res_file) && file.exists(time_file) &&
        length(readLines(time_file, warn = FALSE)) >= runs) next
    unlink(c(res_file, err_file, time_file))
    if (is.null(s)) s <- read_set(row)
    secs <- numeric()
    for (run in seq_len(runs)) {
      t0 <- proc.time()[["elapsed"]]
      out <- tryCatch(suppressWarnings(tools[[t]](s)), error = function(e) conditionMessage(e))
      secs <- c(secs, proc.time()[["elapsed"]] - t0)
      if (is.character(out)) break
    }
    if (is.character(out)) {
      writeLines(gsub("[\r\n]+", " ", out), err_file)
      cat(sprintf("  %-8s %-22s %s: FAILED: %s\n", row$part, basename(row$out), t, out[1]))
    } else {
      write.table(out, res_file, sep = "\t", quote = FALSE, row.names = FALSE, na = "NA")
      writeLines(sprintf("%.3f", secs), time_file)
    }
  }
  cat(sprintf("  peers %-12s %-40s done\n", row$part, sub(paste0("^", work, "/?"), "", row$out)))
}
