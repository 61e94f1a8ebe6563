# Reads the results that bench/de/run left in WORK and prints the markdown tables of the DE
# calibration benchmark (also written to WORK/de_bench.md).
#
# Usage: Rscript bench/de/summarize.R WORK "RUN DESCRIPTION"
a <- commandArgs(trailingOnly = TRUE)
work <- a[1]; about <- if (length(a) >= 2) a[2] else ""
man <- read.delim(file.path(work, "manifest.tsv"), stringsAsFactors = FALSE, check.names = FALSE,
                  colClasses = "character")
# Splits make_sets.R did not write because the design is rank-deficient (part, set, size, rep, reason).
skipped_file <- file.path(work, "skipped.tsv")
skipped <- if (file.exists(skipped_file)) read.delim(skipped_file, stringsAsFactors = FALSE, check.names = FALSE,
                                                     colClasses = "character") else data.frame(set = character(), size = character())
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

# nbglm's verdict that the model of a data set is unidentifiable (exit 2, "not identifiable"): the
# first such message of the nbglm variants, or NA. Such a split is skipped for every tool, as
# make_sets.R skips the splits with a rank-deficient design.
unidentifiable <- function(out) {
  for (t in names(nbglm_variants)) {
    e <- file.path(out, paste0(t, ".err"))
    if (!file.exists(e)) next
    msg <- paste(head(readLines(e, warn = FALSE), 1), collapse = "")
    if (grepl("^nbglm de exited 2:", msg) && grepl("identifiable", msg)) return(msg)
  }
  NA_character_
}

# Mock nulls: every call is a false positive. Per split: fraction of tested genes (p not NA)
# with p < 0.05 and p < 0.01, and the number of genes with padj < 0.1.
null_table <- function(rows) {
  out <- list(); notes <- character()
  keys <- unique(c(paste(rows$set, rows$size, sep = "\r"),
                   paste(skipped$set, skipped$size, sep = "\r")[skipped$set %in% rows$set]))
  for (key in keys) {
    grp <- rows[paste(rows$set, rows$size, sep = "\r") == key, ]
    skip <- skipped[paste(skipped$set, skipped$size, sep = "\r") == key, , drop = FALSE]
    n_all <- nrow(grp) + nrow(skip)
    why_id <- vapply(grp$out, unidentifiable, "")
    set_size <- strsplit(key, "\r")[[1]]
    if (nrow(skip))
      notes <- c(notes, sprintf("%s, %s: %d of %d splits skipped for every tool: group and covariate confounded (%s)",
                                set_size[1], set_size[2], nrow(skip), n_all, skip$reason[1]))
    if (any(!is.na(why_id)))
      notes <- c(notes, sprintf("%s, %s: %d of %d splits skipped for every tool: nbglm calls the model unidentifiable (%s)",
                                set_size[1], set_size[2], sum(!is.na(why_id)), n_all, why_id[!is.na(why_id)][1]))
    grp <- grp[is.na(why_id), , drop = FALSE]
    if (!nrow(grp)) next
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

# Timing: wall seconds of the whole workflow of each tool (R package loading excluded), one value
# per run; the table gives the runs, the median and the range, and the ratio of medians tool /
# nbglm default.
timing_table <- function(rows) {
  out <- list(); notes <- character()
  for (i in seq_len(nrow(rows))) {
    times <- lapply(setNames(nm = tools_of(rows[i, ])), function(t) {
      prefix <- if (t %in% names(nbglm_variants)) t else paste0("res_", t)
      f <- file.path(rows$out[i], paste0(prefix, ".time")); e <- sub(".time$", ".err", f)
      if (file.exists(e)) {
        notes <<- c(notes, sprintf("%s, %s: failed (%s)", rows$set[i], label(t), readLines(e, warn = FALSE)[1]))
        return(numeric())
      }
      if (file.exists(f)) as.numeric(readLines(f, warn = FALSE)) else numeric()
    })
    med <- vapply(times, function(x) if (length(x)) median(x) else NA_real_, 0)
    base <- med[["nbglm_ql_shrunk"]]
    for (t in names(times)) if (length(times[[t]]))
      out[[length(out) + 1]] <- data.frame(
        `data set` = rows$set[i], samples = rows$size[i], tool = label(t), runs = length(times[[t]]),
        `median seconds` = f3(med[[t]]), `min - max` = paste(f3(min(times[[t]])), "-", f3(max(times[[t]]))),
        `ratio to nbglm default` = if (is.na(base)) "-" else f1(med[[t]] / base), check.names = FALSE)
  }
  if (length(out)) table_md(do.call(rbind, out)) else emit("(no timings)\n")
  for (n in notes) emit("- ", n)
  if (length(notes)) emit("")
}

emit("# DE calibration benchmark (bench/de/run)")
emit("")
emit(about)
emit("")
# Sections; a section may hold several manifest parts (rows of each data set and size in manifest
# order, so a variant's rows follow the original's).
sections <- list(
  a = "## (a) Mock nulls: random A/B splits within one bottomly strain, `~ group`; (a-batch) the same splits, `~ experiment_number + group`",
  b_cells = "## (b1) Mock null: pbmc_small cells, `~ groups` (split 1 = the shipped random label, others permutations); (b1-cluster) the same, `~ cluster + groups`",
  b_pseudobulk = "## (b2) Mock null: pbmc_small pseudobulk by (RNA_snn_res.1, groups), `~ cluster + groups`",
  c = "## (c) Simulation from bottomly C57BL/6J: 10% DE, |log2 FC| ~ U[0.5, 1.5]",
  d = "## (d) Timing: the whole DE workflow, 1 thread, median of repeated runs (nbglm: the process, file reading included; R: from the counts in memory)")
section_parts <- list(a = c("a", "a_batch"), b_cells = c("b_cells", "b_cells_cluster"))
for (p in names(sections)) {
  rows <- man[man$part %in% (if (is.null(section_parts[[p]])) p else section_parts[[p]]), , drop = FALSE]
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
