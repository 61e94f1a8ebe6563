#!/usr/bin/env Rscript
# Expected designs for nbglm's formula parser: R's model.matrix (column names and values) for a
# set of formulas on real sample sheets and on a toy sheet (a in {p,q,r}, b in {u,v,w}, numeric x
# and d; the coding rules are those of docs/formulas.md "Coding").
#
# Run from the repository root:   Rscript tests/reference/make_formula_reference.R
# Reads ../shared/data/{pasilla,bottomly,kang_muscat} (relative to the repo root) and writes
# tests/data/formula/:
#   *_samples.tsv   the sample sheets the tests read (pasilla and bottomly verbatim; kang: every
#                   26th of the 1556 cells, 60 cells covering every cluster, sample and group;
#                   toy: the toy sheet)
#   cases.tsv       one row per case: case, samples (file name), formula, ref (FACTOR=LEVEL or "")
#   <case>.tsv      model.matrix: header "observation" + column names, values as %.17g
# Deterministic: running it again gives byte-identical files.
#
# Sheets are read as nbglm reads them: read.delim (numbers become numeric, TRUE/FALSE logical),
# then character columns become factors with levels in byte order (C collation), which is what
# model.matrix does in the C locale. --ref is R's relevel(). `Sum` is bound to "contr.sum" so that
# the patsy-style C(x, Sum) works in R as it does in nbglm (R's own spelling is C(x, sum)).

invisible(Sys.setlocale("LC_COLLATE", "C"))
out_dir <- "tests/data/formula"
data_dir <- "../shared/data"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

write_tsv <- function(frame, path) {
  write.table(frame, path, sep = "\t", quote = FALSE, row.names = FALSE, col.names = TRUE)
}

copy_lines <- function(from, to, keep = NULL) {
  lines <- readLines(from)
  if (!is.null(keep)) lines <- lines[c(1, keep + 1)]
  writeLines(lines, to)
}

copy_lines(file.path(data_dir, "pasilla/samples.tsv"), file.path(out_dir, "pasilla_samples.tsv"))
copy_lines(file.path(data_dir, "bottomly/samples.tsv"), file.path(out_dir, "bottomly_samples.tsv"))
copy_lines(file.path(data_dir, "kang_muscat/cells.tsv"), file.path(out_dir, "kang_cells.tsv"),
           keep = seq(1, 1556, by = 26))
writeLines(c("obs\ta\tb\tx\td",
             "o1\tp\tu\t1.5\t1",
             "o2\tq\tu\t2.0\t2",
             "o3\tr\tv\t0.5\t3",
             "o4\tp\tv\t1.0\t1",
             "o5\tq\tw\t3.0\t2",
             "o6\tr\tw\t2.5\t3"), file.path(out_dir, "toy_samples.tsv"))

read_sheet <- function(file) {
  frame <- read.delim(file.path(out_dir, file), check.names = FALSE, stringsAsFactors = FALSE)
  for (name in names(frame)[-1]) {
    if (is.character(frame[[name]])) frame[[name]] <- factor(frame[[name]], levels = sort(unique(frame[[name]])))
  }
  frame
}

Sum <- "contr.sum"

cases <- list(
  # pasilla (7 samples: condition treated/untreated, type paired-end/single-read)
  list("pasilla_type_condition", "pasilla_samples.tsv", "~ type + condition", ""),
  list("pasilla_type_condition_ref", "pasilla_samples.tsv", "~ type + condition", "condition=untreated"),
  list("pasilla_condition", "pasilla_samples.tsv", "~ condition", ""),
  list("pasilla_condition_ref", "pasilla_samples.tsv", "~ condition", "condition=untreated"),
  list("pasilla_no_intercept", "pasilla_samples.tsv", "~ 0 + condition", ""),
  list("pasilla_minus_one", "pasilla_samples.tsv", "~ condition + type - 1", ""),
  list("pasilla_cross", "pasilla_samples.tsv", "~ type * condition", ""),
  list("pasilla_cross_ref", "pasilla_samples.tsv", "~ type * condition", "condition=untreated"),
  list("pasilla_interaction_only", "pasilla_samples.tsv", "~ type:condition", ""),
  list("pasilla_nested_interaction", "pasilla_samples.tsv", "~ condition + type:condition", ""),
  list("pasilla_power", "pasilla_samples.tsv", "~ (type + condition)^2", ""),
  list("pasilla_sum", "pasilla_samples.tsv", "~ C(condition, Sum)", ""),
  list("pasilla_sum_cross", "pasilla_samples.tsv", "~ C(type, Sum) * condition", ""),
  list("pasilla_numeric", "pasilla_samples.tsv", "~ exon_counts + condition", ""),
  list("pasilla_numeric_interaction", "pasilla_samples.tsv", "~ condition * exon_counts", ""),
  list("pasilla_factor_lanes", "pasilla_samples.tsv", "~ factor(number_of_lanes) + type", ""),
  list("pasilla_text_column", "pasilla_samples.tsv", "~ total_number_of_reads", ""),
  # bottomly (21 samples: strain, experiment_number 4/6/7 read as numbers, lane_number)
  list("bottomly_batch_strain", "bottomly_samples.tsv", "~ factor(experiment_number) + strain", ""),
  list("bottomly_batch_strain_ref", "bottomly_samples.tsv", "~ factor(experiment_number) + strain",
       "experiment_number=6"),
  list("bottomly_numeric_batch", "bottomly_samples.tsv", "~ experiment_number + strain", ""),
  list("bottomly_lane", "bottomly_samples.tsv", "~ strain + lane_number", ""),
  list("bottomly_cross", "bottomly_samples.tsv", "~ factor(experiment_number) * strain", ""),
  list("bottomly_no_intercept", "bottomly_samples.tsv", "~ 0 + strain + factor(lane_number)", ""),
  list("bottomly_nest", "bottomly_samples.tsv", "~ strain / factor(experiment_number)", ""),
  list("bottomly_sum_factor", "bottomly_samples.tsv", "~ C(factor(experiment_number), Sum) + strain", ""),
  # kang_muscat (60 cells: cluster_id, sample_id, group_id ctrl/stim, donor 101/107 read as numbers)
  list("kang_donor_group", "kang_cells.tsv", "~ donor + group_id", ""),
  list("kang_factor_donor_group", "kang_cells.tsv", "~ factor(donor) + group_id", ""),
  list("kang_total_counts", "kang_cells.tsv", "~ group_id + total_counts", ""),
  list("kang_total_counts_interaction", "kang_cells.tsv", "~ group_id * total_counts", ""),
  list("kang_cluster_group", "kang_cells.tsv", "~ cluster_id + group_id", ""),
  list("kang_cluster_ref", "kang_cells.tsv", "~ cluster_id + group_id", "cluster_id=CD4 T cells"),
  list("kang_samples", "kang_cells.tsv", "~ 0 + sample_id", ""),
  list("kang_sum_cluster", "kang_cells.tsv", "~ C(cluster_id, Sum) + group_id", ""),
  list("kang_cluster_by_group", "kang_cells.tsv", "~ group_id + cluster_id:group_id", ""),
  # the toy sheet's cases
  list("toy_a_plus_b", "toy_samples.tsv", "~ a + b", ""),
  list("toy_a_times_b", "toy_samples.tsv", "~ a * b", ""),
  list("toy_no_intercept", "toy_samples.tsv", "~ 0 + a + b", ""),
  list("toy_a_colon_b", "toy_samples.tsv", "~ a:b", ""),
  list("toy_a_plus_a_colon_b", "toy_samples.tsv", "~ a + a:b", ""),
  list("toy_b_plus_a_colon_b", "toy_samples.tsv", "~ b + a:b", ""),
  list("toy_no_intercept_a_colon_b", "toy_samples.tsv", "~ 0 + a:b", ""),
  list("toy_x_plus_a", "toy_samples.tsv", "~ x + a", ""),
  list("toy_x_colon_a", "toy_samples.tsv", "~ x:a", ""),
  list("toy_x_plus_x_colon_a", "toy_samples.tsv", "~ x + x:a", ""),
  list("toy_no_intercept_x_colon_a", "toy_samples.tsv", "~ 0 + x:a", ""),
  list("toy_a_times_x", "toy_samples.tsv", "~ a * x", ""),
  list("toy_factor_d_plus_x", "toy_samples.tsv", "~ factor(d) + x", ""),
  list("toy_a_times_b_times_x", "toy_samples.tsv", "~ a*b*x", ""),
  list("toy_a_plus_b_minus_one", "toy_samples.tsv", "~ a + b - 1", ""),
  list("toy_power", "toy_samples.tsv", "~ (a + b)^2", ""),
  list("toy_a_minus_one_plus_x", "toy_samples.tsv", "~ a - 1 + x", ""),
  list("toy_cross_minus_main", "toy_samples.tsv", "~ a*b - a", ""),
  list("toy_sum_interaction", "toy_samples.tsv", "~ C(a, Sum):b", ""),
  list("toy_three_way_power", "toy_samples.tsv", "~ (a + b + x)^3 - a:b:x", ""),
  list("toy_ref_b", "toy_samples.tsv", "~ a * b", "b=w"),
  list("toy_intercept_only", "toy_samples.tsv", "~ 1", "")
)

manifest <- data.frame(case = character(), samples = character(), formula = character(),
                       ref = character(), stringsAsFactors = FALSE)
for (entry in cases) {
  name <- entry[[1]]; file <- entry[[2]]; formula <- entry[[3]]; ref <- entry[[4]]
  frame <- read_sheet(file)
  if (nzchar(ref)) {
    parts <- strsplit(ref, "=", fixed = TRUE)[[1]]
    frame[[parts[1]]] <- relevel(factor(frame[[parts[1]]]), parts[2])
  }
  matrix <- model.matrix(as.formula(formula), frame)
  values <- apply(matrix, 2, function(column) sprintf("%.17g", column))
  if (is.null(dim(values))) values <- matrix(values, nrow = nrow(matrix))
  table <- data.frame(observation = frame[[1]], values, check.names = FALSE, stringsAsFactors = FALSE)
  names(table) <- c("observation", colnames(matrix))
  write_tsv(table, file.path(out_dir, paste0(name, ".tsv")))
  manifest[nrow(manifest) + 1, ] <- list(name, file, formula, ref)
}
write_tsv(manifest, file.path(out_dir, "cases.tsv"))
cat("wrote", nrow(manifest), "cases to", out_dir, "\n")
