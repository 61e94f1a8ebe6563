# Writes the data sets of the DE calibration benchmark (bench/de/run) into WORK and a manifest
# WORK/manifest.tsv with one row per (data set, split) telling the other scripts what to fit.
#
# Usage: Rscript bench/de/make_sets.R DATA_DIR WORK SPLITS SEEDS BOTH_STRAINS(0/1) PARTS
#   PARTS: comma-separated subset of a,b,c,d (the parts of bench/de/run)
#
# Every random choice uses its own fixed seed per (data set, size), drawn sequentially, so the
# same command gives the same splits and split k is the same whatever --splits is (>= k).
suppressPackageStartupMessages({ library(edgeR); library(DESeq2) })
a <- commandArgs(trailingOnly = TRUE)
data_dir <- a[1]; work <- a[2]
n_splits <- as.integer(a[3]); n_seeds <- as.integer(a[4])
both_strains <- a[5] == "1"; parts <- strsplit(a[6], ",")[[1]]

read_counts <- function(path) {
  m <- as.matrix(read.delim(path, row.names = 1, check.names = FALSE))
  storage.mode(m) <- "integer"
  m
}
read_sheet <- function(path) read.delim(path, check.names = FALSE, stringsAsFactors = FALSE, colClasses = "character")
# Same layout as the shared counts.tsv: header gene_id<TAB>sample..., integers.
write_counts <- function(m, dir) {
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  write.table(data.frame(gene_id = rownames(m), m, check.names = FALSE), file.path(dir, "counts.tsv"),
              sep = "\t", quote = FALSE, row.names = FALSE)
}
write_sheet <- function(df, dir, name = "samples.tsv")
  write.table(df, file.path(dir, name), sep = "\t", quote = FALSE, row.names = FALSE)

# One manifest row. r_formula/factor_cols are for the R peers (columns listed in factor_cols are
# made factors first); nbglm_formula is the same model in nbglm's syntax. The tested coefficient
# is test_var + test_level (treatment coding, reference ref_level).
manifest <- list()
# dir holds counts.tsv + samples.tsv; results go to out (the same, except for the shared data).
# filter: the genes edgeR and glmGamPoi are run on (filterByExpr, or nonzero = total count > 0).
add <- function(part, set, size, rep, dir, r_formula, test_var, ref_level, test_level, tools,
                nbglm_formula, factor_cols = "-", nbglm_extra = "-", out = dir, filter = "filterByExpr") {
  manifest[[length(manifest) + 1]] <<- data.frame(
    part, set, size, rep, dir, out, r_formula, factor_cols, test_var, ref_level, test_level, tools,
    nbglm_formula, nbglm_extra, filter)
}
peers3 <- "edgeR_QL,glmGamPoi,DESeq2"
# Splits whose design is rank-deficient (the tested label confounded with a covariate) are not
# fitted by any tool; they are listed in WORK/skipped.tsv and counted in the tables.
skipped <- list()
skip_if_confounded <- function(part, set, size, rep, sheet, r_formula) {
  X <- model.matrix(as.formula(r_formula), sheet)
  if (qr(X)$rank == ncol(X)) return(FALSE)
  skipped[[length(skipped) + 1]] <<- data.frame(part, set, size, rep,
    reason = sprintf("design %s rank-deficient (rank %d of %d columns)", r_formula, qr(X)$rank, ncol(X)))
  TRUE
}

## (a) mock nulls: random A/B splits within one strain of bottomly ------------------------------
bot <- read_counts(file.path(data_dir, "bottomly", "counts.tsv"))
bot_s <- read_sheet(file.path(data_dir, "bottomly", "samples.tsv"))
stopifnot(identical(bot_s$sample, colnames(bot)))
strains <- if (!"a" %in% parts) character() else if (both_strains) c("C57BL/6J", "DBA/2J") else "C57BL/6J"
for (strain in strains) {
  cols <- bot_s$sample[bot_s$strain == strain]
  for (n in c(3, 5)) {
    set.seed(100 * n + match(strain, c("C57BL/6J", "DBA/2J")))
    for (k in seq_len(n_splits)) {
      pick <- sample(cols, 2 * n)             # first n -> A, next n -> B
      dir <- file.path(work, "a_null", gsub("/", "_", strain), sprintf("%dv%d_%02d", n, n, k))
      write_counts(bot[, pick], dir)
      write_sheet(data.frame(sample = pick, group = rep(c("A", "B"), each = n)), dir)
      add("a", paste("bottomly", strain), sprintf("%d vs %d", n, n), k, dir, "~ group",
          "group", "A", "B", peers3, "~ group")
      # (a-batch) the same split with the sequencing batch in the design, experiment_number as
      # text ("E4") so that every tool reads it as a factor; skipped where group and batch are
      # confounded.
      sheet <- data.frame(sample = pick, experiment_number = paste0("E", bot_s$experiment_number[match(pick, bot_s$sample)]),
                          group = rep(c("A", "B"), each = n))
      set_b <- paste0("bottomly ", strain, ", batch in design")
      if (!skip_if_confounded("a_batch", set_b, sprintf("%d vs %d", n, n), k, sheet, "~ experiment_number + group")) {
        write_counts(bot[, pick], file.path(dir, "batch"))
        write_sheet(sheet, file.path(dir, "batch"))
        add("a_batch", set_b, sprintf("%d vs %d", n, n), k, file.path(dir, "batch"),
            "~ experiment_number + group", "group", "A", "B", peers3, "~ experiment_number + group")
      }
    }
  }
}

## (b) pbmc_small: the shipped random label `groups`, then label permutations --------------------
pb_counts <- read_counts(file.path(data_dir, "pbmc_small", "counts.tsv"))
cells <- read_sheet(file.path(data_dir, "pbmc_small", "cells.tsv"))
stopifnot(identical(cells$barcode, colnames(pb_counts)))
set.seed(7)
for (k in seq_len(if ("b" %in% parts) n_splits else 0)) {
  sheet <- cells
  if (k > 1) sheet$groups <- sample(cells$groups)  # split 1 is the shipped label itself
  dir <- file.path(work, "b_pbmc", sprintf("split_%02d", k))
  write_counts(pb_counts, dir)
  write_sheet(sheet, dir)
  # DESeq2's default (median of ratios) fails on single cells (every gene has a zero): no DESeq2.
  # filterByExpr keeps no gene of 80 cells of 41-872 UMIs (it asks for ~10 counts per cell at the
  # median library size), so every tool gets every gene with a nonzero total here (nbglm:
  # --filter none; pbmc_small has no all-zero gene).
  add("b_cells", "pbmc_small cells", "80 cells", k, dir, "~ groups", "groups", "g1", "g2",
      "edgeR_QL,glmGamPoi", "~ groups", nbglm_extra = "--size-factors poscounts --filter none",
      filter = "nonzero")
  # (b1-cluster) the same cells and labels with the cluster (RNA_snn_res.1, as text "C0") in the
  # design; same tools and options as (b1).
  csheet <- data.frame(barcode = sheet$barcode, cluster = paste0("C", sheet$RNA_snn_res.1), groups = sheet$groups)
  set_c <- "pbmc_small cells, cluster in design"
  if (!skip_if_confounded("b_cells_cluster", set_c, "80 cells", k, csheet, "~ cluster + groups")) {
    write_counts(pb_counts, file.path(dir, "cluster"))
    write_sheet(csheet, file.path(dir, "cluster"))
    add("b_cells_cluster", set_c, "80 cells", k, file.path(dir, "cluster"), "~ cluster + groups", "groups",
        "g1", "g2", "edgeR_QL,glmGamPoi", "~ cluster + groups",
        nbglm_extra = "--size-factors poscounts --filter none", filter = "nonzero")
  }
  # Pseudobulk by (cluster, groups): filled in by bench/de/run (nbglm pseudobulk, or R).
  add("b_pseudobulk", "pbmc_small pseudobulk", "6 pseudo-samples", k, file.path(dir, "pb"),
      "~ RNA_snn_res.1 + groups", "groups", "g1", "g2", peers3, "~ factor(RNA_snn_res.1) + groups",
      factor_cols = "RNA_snn_res.1")
}

## (c) simulation with known truth, parameters from bottomly C57BL/6J --------------------------
n_genes <- NA
if ("c" %in% parts) {
  c57 <- bot_s$strain == "C57BL/6J"
  cb <- bot[, c57]
  sf <- estimateSizeFactorsForMatrix(cb)
  norm_mean <- rowMeans(t(t(cb) / sf))
  keep <- norm_mean >= 1
  # Tagwise dispersions with the batch (experiment_number) in the design, so that batch effects do
  # not inflate the biological dispersion we simulate; lib.size = sf * constant makes edgeR's
  # offsets the DESeq2 size factors.
  y <- DGEList(cb[keep, ], lib.size = sf * exp(mean(log(colSums(cb)))))
  y <- estimateDisp(y, model.matrix(~ factor(bot_s$experiment_number[c57])))
  par_mean <- norm_mean[keep]; par_disp <- y$tagwise.dispersion
  n_genes <- length(par_mean)
  for (n in c(3, 5)) for (s in seq_len(n_seeds)) {
    set.seed(1000 * n + s)
    de <- seq_len(n_genes) %in% sample(n_genes, round(0.1 * n_genes))
    lfc <- ifelse(de, runif(n_genes, 0.5, 1.5) * sample(c(-1, 1), n_genes, replace = TRUE), 0)
    sfs <- sample(sf, 2 * n, replace = TRUE)
    group <- rep(c("A", "B"), each = n)
    # Symmetric change: A at mean * 2^(-lfc/2), B at mean * 2^(+lfc/2).
    mu <- outer(par_mean, sfs) * 2^outer(lfc, ifelse(group == "B", 0.5, -0.5))
    m <- matrix(rnbinom(length(mu), size = 1 / par_disp, mu = mu), n_genes)
    dimnames(m) <- list(names(par_mean), sprintf("sim%02d", seq_len(2 * n)))
    dir <- file.path(work, "c_sim", sprintf("%dv%d_seed%d", n, n, s))
    write_counts(m, dir)
    write_sheet(data.frame(sample = colnames(m), group = group), dir)
    write_sheet(data.frame(sample = colnames(m), size_factor = unname(sfs)), dir, "true_size_factors.tsv")
    write_sheet(data.frame(gene = names(par_mean), de = as.integer(de), log2fc = lfc, mean = par_mean,
                           dispersion = par_disp), dir, "truth.tsv")
    add("c", "simulated from bottomly C57BL/6J", sprintf("%d vs %d", n, n), s, dir, "~ group",
        "group", "A", "B", peers3, "~ group")
  }
}

## (d) timing on the real bulk sets (no copies: the shared files are read in place) -------------
if ("d" %in% parts) {
  add("d", "pasilla", "7", 1, file.path(data_dir, "pasilla"), "~ type + condition", "condition",
      "untreated", "treated", peers3, "~ type + condition", out = file.path(work, "d_timing", "pasilla"))
  add("d", "airway", "8", 1, file.path(data_dir, "airway"), "~ cell + dex", "dex", "untrt", "trt",
      peers3, "~ cell + dex", out = file.path(work, "d_timing", "airway"))
  add("d", "bottomly", "21", 1, file.path(data_dir, "bottomly"), "~ experiment_number + strain", "strain",
      "C57BL/6J", "DBA/2J", peers3, "~ factor(experiment_number) + strain", factor_cols = "experiment_number",
      out = file.path(work, "d_timing", "bottomly"))
}

write.table(do.call(rbind, manifest), file.path(work, "manifest.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
write.table(if (length(skipped)) do.call(rbind, skipped) else
              data.frame(part = character(), set = character(), size = character(), rep = integer(), reason = character()),
            file.path(work, "skipped.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
cat(sprintf("make_sets: %d data sets (%d splits skipped as confounded)", length(manifest), length(skipped)))
if (!is.na(n_genes)) cat(sprintf("; simulation: %d genes (mean >= 1), %d DE per set", n_genes, round(0.1 * n_genes)))
cat("\n")
