# Reads the results that bench/de/run left in WORK and prints the markdown tables of the DE
# calibration benchmark (also written to WORK/de_bench.md).
#
# Usage: Rscript bench/de/summarize.R WORK "RUN DESCRIPTION"
a <- commandArgs(trailingOnly = TRUE)
work <- a[1]; about <- if (length(a) >= 2) a[2] else ""
man <- read.delim(file.path(work, "manifest.tsv"), stringsAsFactors = FALSE, check.names = FALSE,
                  colClasses = "character")
nbglm_variants <- c(nbglm_ql_shrunk = "nbglm (ql, shrunk; default)", nbglm_wald_mle = "nbglm (wald, mle)",
                    nbglm_lrt_mle = "nbglm (lrt, mle)")
peer_labels <- c(edgeR_QL = "edgeR QL", glmGamPoi = "glmGamPoi", DESeq2 = "DESeq2")

# Result of one tool on one data set: a data frame (feature, pvalue, padj), or the reason it is
# missing (first line of the .err file).
load_result <- function(out, tool) {
  prefix <- if (tool %in% names(nbglm_variants)) tool else paste0("res_", tool)
  f <- file.path(out, paste0(prefix, ".tsv")); e <- file.path(out, paste0(prefix, ".err"))
  if (file.exists(e)) return(paste(head(readLines(e, warn = FALSE), 1), collapse = ""))
  if (!file.exists(f)) return("not run")
  r <- read.delim(f, stringsAsFactors = FALSE, check.names = FALSE)
  if (!all(c("feature", "pvalue", "padj") %in% names(r))) return("no feature/pvalue/padj columns")
  r[, c("feature", "pvalue", "padj")]
}
tools_of <- function(row) c(strsplit(row$tools, ",")[[1]], names(nbglm_variants))
label <- function(t) if (t %in% names(nbglm_variants)) nbglm_variants[[t]] else peer_labels[[t]]
f3 <- function(x) formatC(x, format = "f", digits = 3)
f1 <- function(x) formatC(x, format = "f", digits = 1)

md <- character()
emit <- function(...) md <<- c(md, paste0(...))
table_md <- function(df) {
  emit("| ", paste(names(df), collapse = " | "), " |")
  emit("|", paste(rep("---", ncol(df)), collapse = "|"), "|")
  for (i in seq_len(nrow(df))) emit("| ", paste(df[i, ], collapse = " | "), " |")
  emit("")
}

# Mock nulls: every call is a false positive. Per split: fraction of tested genes (p not NA)
# with p < 0.05 and p < 0.01, and the number of genes with padj < 0.1.
null_table <- function(rows) {
  out <- list(); notes <- character()
  for (key in unique(paste(rows$set, rows$size, sep = "\r"))) {
    grp <- rows[paste(rows$set, rows$size, sep = "\r") == key, ]
    for (t in tools_of(grp[1, ])) {
      stats <- list(); why <- character()
      for (i in seq_len(nrow(grp))) {
        r <- load_result(grp$out[i], t)
        if (is.character(r)) { why <- c(why, r); next }
        p <- r$pvalue[!is.na(r$pvalue)]
        stats[[length(stats) + 1]] <- c(tested = length(p), p05 = mean(p < 0.05), p01 = mean(p < 0.01),
                                        calls = sum(r$padj < 0.1, na.rm = TRUE))
      }
      if (length(why)) notes <- c(notes, sprintf("%s, %s, %s: %d of %d splits missing (%s)", grp$set[1],
                                                 grp$size[1], label(t), length(why), nrow(grp), why[1]))
      if (!length(stats)) next
      m <- do.call(rbind, stats)
      out[[length(out) + 1]] <- data.frame(
        `data set` = grp$set[1], size = grp$size[1], tool = label(t), splits = nrow(m),
        `tested genes` = f1(mean(m[, "tested"])), `p<0.05` = f3(mean(m[, "p05"])),
        `p<0.01` = f3(mean(m[, "p01"])), `padj<0.1 mean` = f1(mean(m[, "calls"])),
        `padj<0.1 max` = as.character(max(m[, "calls"])), check.names = FALSE)
    }
  }
  if (length(out)) table_md(do.call(rbind, out))
  for (n in notes) emit("- ", n)
  if (length(notes)) emit("")
}

# Simulation: calls at padj < 0.1, observed FDR = false calls / calls (0 without calls), TPR = true
# calls / all truly DE genes (an untested DE gene counts as missed).
sim_table <- function(rows) {
  out <- list(); notes <- character()
  for (size in unique(rows$size)) {
    grp <- rows[rows$size == size, ]
    for (t in tools_of(grp[1, ])) {
      stats <- list(); why <- character()
      for (i in seq_len(nrow(grp))) {
        r <- load_result(grp$out[i], t)
        if (is.character(r)) { why <- c(why, r); next }
        truth <- read.delim(file.path(grp$dir[i], "truth.tsv"), stringsAsFactors = FALSE)
        de <- truth$de[match(r$feature, truth$gene)] == 1
        call <- !is.na(r$padj) & r$padj < 0.1
        stats[[length(stats) + 1]] <- c(tested = sum(!is.na(r$pvalue)), calls = sum(call),
                                        fdr = if (any(call)) mean(!de[call]) else 0,
                                        tpr = sum(call & de) / sum(truth$de == 1))
      }
      if (length(why)) notes <- c(notes, sprintf("%s, %s: %d of %d seeds missing (%s)", size, label(t),
                                                 length(why), nrow(grp), why[1]))
      if (!length(stats)) next
      m <- do.call(rbind, stats)
      out[[length(out) + 1]] <- data.frame(size = size, tool = label(t), seeds = nrow(m),
                                           `tested genes` = f1(mean(m[, "tested"])),
                                           `calls (padj<0.1)` = f1(mean(m[, "calls"])),
                                           `observed FDR` = f3(mean(m[, "fdr"])), TPR = f3(mean(m[, "tpr"])),
                                           check.names = FALSE)
    }
  }
  if (length(out)) table_md(do.call(rbind, out))
  for (n in notes) emit("- ", n)
  if (length(notes)) emit("")
}

# Timing: wall seconds of the whole workflow of each tool (R package loading excluded), and the
# ratio tool / nbglm default.
timing_table <- function(rows) {
  out <- list()
  for (i in seq_len(nrow(rows))) {
    secs <- sapply(tools_of(rows[i, ]), function(t) {
      prefix <- if (t %in% names(nbglm_variants)) t else paste0("res_", t)
      f <- file.path(rows$out[i], paste0(prefix, ".time"))
      if (file.exists(f) && !file.exists(sub(".time$", ".err", f))) as.numeric(readLines(f)) else NA
    })
    base <- secs[["nbglm_ql_shrunk"]]
    for (t in names(secs)) if (!is.na(secs[[t]]))
      out[[length(out) + 1]] <- data.frame(`data set` = rows$set[i], tool = label(t), `seconds` = f3(secs[[t]]),
                                           `ratio to nbglm default` = if (is.na(base)) "-" else f1(secs[[t]] / base),
                                           check.names = FALSE)
  }
  if (length(out)) table_md(do.call(rbind, out)) else emit("(no timings)\n")
}

emit("# DE calibration benchmark (bench/de/run)")
emit("")
emit(about)
emit("")
sections <- list(
  a = "## (a) Mock nulls: random A/B splits within one bottomly strain, `~ group`",
  b_cells = "## (b1) Mock null: pbmc_small cells, `~ groups` (split 1 = the shipped random label, others permutations)",
  b_pseudobulk = "## (b2) Mock null: pbmc_small pseudobulk by (RNA_snn_res.1, groups), `~ cluster + groups`",
  c = "## (c) Simulation from bottomly C57BL/6J: 10% DE, |log2 FC| ~ U[0.5, 1.5]",
  d = "## (d) Timing: the whole DE workflow, 1 thread, one run each (nbglm: the process, file reading included; R: from the counts in memory)")
for (p in names(sections)) {
  rows <- man[man$part == p, , drop = FALSE]
  if (!nrow(rows)) next
  emit(sections[[p]]); emit("")
  if (p == "b_pseudobulk") {
    how <- unique(unlist(lapply(rows$out, function(d) {
      f <- file.path(d, "made_by"); if (file.exists(f)) readLines(f) else "unknown"
    })))
    emit("Pseudobulk made by: ", paste(how, collapse = "; ")); emit("")
  }
  if (p == "c") sim_table(rows) else if (p == "d") timing_table(rows) else null_table(rows)
}
writeLines(md, file.path(work, "de_bench.md"))
cat(md, sep = "\n")
