# Writes the benchmark's data sets, each in its own directory, so that every
# tool reads the same counts, the same design matrix and the same size factors:
#   matrix.mtx + genes.tsv + barcodes.tsv (single cell: a 10x directory) or
#   counts.tsv (bulk: dense, features x samples); design.tsv (observation +
#   the model matrix of the set's formula); size_factors.tsv; info.tsv.
#
# Usage: Rscript make_data.R OUT_ROOT SHARED_DATA_DIR NAME...
#   sc_GxN      simulated single-cell-like: G features x N cells, `~ 1`
#   bulk_GxN    simulated bulk: G features x N samples, `~ condition` (two halves)
#   pasilla | airway | bottomly | kang_muscat   the real sets of ../shared/data
# A set whose info.tsv already records this generator's version is kept.
#
# Simulation (seeded by the set's name, so a set is the same on every run):
#   single cell: feature mean m_g = exp(N(-3, 1.8^2)) (median 0.05 per cell),
#     overdispersion phi_g = exp(N(log 0.3, 0.8^2)), 10% of features Poisson
#     (phi = 0); size factors s_i = exp(N(0, 0.6^2)) scaled to geometric mean 1;
#     y_gi ~ NB(mean s_i m_g, size 1/phi_g).
#   bulk: m_g = exp(N(4, 2.2^2)), phi_g = exp(N(log 0.05, 0.7^2)), 10% of
#     features with a condition effect N(0, 1) on the log scale,
#     s_i = exp(N(0, 0.25^2)) scaled to geometric mean 1.
# Size factors of the real sets: bulk, DESeq2's median of ratios (geometric
# means over the features with no zero); single cell, glmGamPoi's "normed_sum"
# (column sums over their geometric mean).
generator_version <- "1"

args <- commandArgs(trailingOnly = TRUE)
out_root <- args[1]
shared <- args[2]
names <- args[-(1:2)]

sanitize <- function(x) gsub("[^A-Za-z0-9_.()]", "_", x)

write_tsv <- function(df, path) {
  write.table(df, path, sep = "\t", quote = FALSE, row.names = FALSE, col.names = TRUE)
}

write_common <- function(dir, name, kind, formula, x, sf, features, counts_file) {
  design <- data.frame(observation = rownames(x), x, check.names = FALSE)
  colnames(design) <- c("observation", sanitize(colnames(x)))
  write_tsv(design, file.path(dir, "design.tsv"))
  write_tsv(data.frame(observation = names(sf), size_factor = sprintf("%.17g", sf)),
            file.path(dir, "size_factors.tsv"))
  info <- data.frame(key = c("name", "kind", "formula", "features", "observations", "counts", "version"),
                     value = c(name, kind, formula, features, nrow(x), counts_file, generator_version))
  write.table(info, file.path(dir, "info.tsv"), sep = "\t", quote = FALSE, row.names = FALSE, col.names = FALSE)
}

seed_of <- function(name) sum(utf8ToInt(name) * seq_along(utf8ToInt(name))) %% 100000L

normed_sum <- function(colsums) colsums / exp(mean(log(colsums)))

median_of_ratios <- function(y) {
  logy <- log(y)
  keep <- rowSums(y == 0) == 0
  loggeo <- rowMeans(logy[keep, , drop = FALSE])
  apply(logy[keep, , drop = FALSE], 2, function(col) exp(median(col - loggeo)))
}

# MatrixMarket writer, chunked over features: `chunk(g0, g1)` returns the
# dense integer counts of features g0..g1.
write_mtx <- function(path, num_features, num_obs, chunk, chunk_size = 500L) {
  body <- paste0(path, ".body")
  con <- file(body, "w")
  nnz <- 0
  colsums <- numeric(num_obs)
  for (g0 in seq(1L, num_features, by = chunk_size)) {
    g1 <- min(g0 + chunk_size - 1L, num_features)
    y <- chunk(g0, g1)
    colsums <- colsums + colSums(y)
    nz <- which(y != 0L, arr.ind = TRUE)
    if (nrow(nz)) {
      writeLines(sprintf("%d %d %d", nz[, 1] + g0 - 1L, nz[, 2], y[nz]), con)
      nnz <- nnz + nrow(nz)
    }
  }
  close(con)
  header <- c("%%MatrixMarket matrix coordinate integer general",
              sprintf("%d %d %.0f", num_features, num_obs, nnz))
  con <- file(path, "w")
  writeLines(header, con)
  close(con)
  system2("sh", c("-c", shQuote(sprintf("cat '%s' >> '%s' && rm '%s'", body, path, body))))
  list(nnz = nnz, colsums = colsums)
}

make_sc <- function(dir, name, g, n) {
  set.seed(seed_of(name))
  m <- exp(rnorm(g, -3, 1.8))
  phi <- exp(rnorm(g, log(0.3), 0.8))
  phi[runif(g) < 0.1] <- 0
  s <- exp(rnorm(n, 0, 0.6))
  s <- s / exp(mean(log(s)))
  features <- sprintf("gene%05d", seq_len(g))
  cells <- sprintf("cell%05d", seq_len(n))
  chunk <- function(g0, g1) {
    idx <- g0:g1
    mu <- outer(m[idx], s)
    size <- ifelse(phi[idx] > 0, 1 / phi[idx], Inf)
    y <- matrix(0L, length(idx), n)
    pois <- !is.finite(size)
    if (any(!pois)) y[!pois, ] <- rnbinom(sum(!pois) * n, size = size[!pois], mu = mu[!pois, , drop = FALSE])
    if (any(pois)) y[pois, ] <- rpois(sum(pois) * n, mu[pois, , drop = FALSE])
    y
  }
  info <- write_mtx(file.path(dir, "matrix.mtx"), g, n, chunk)
  writeLines(features, file.path(dir, "genes.tsv"))
  writeLines(cells, file.path(dir, "barcodes.tsv"))
  x <- matrix(1, n, 1, dimnames = list(cells, "(Intercept)"))
  write_common(dir, name, "simulated single cell", "~ 1", x, setNames(s, cells), g, "matrix.mtx")
  writeLines(sprintf("%.0f nonzeros (%.2f%%)", info$nnz, 100 * info$nnz / (g * n)), file.path(dir, "notes.txt"))
}

make_bulk <- function(dir, name, g, n) {
  set.seed(seed_of(name))
  m <- exp(rnorm(g, 4, 2.2))
  phi <- exp(rnorm(g, log(0.05), 0.7))
  effect <- ifelse(runif(g) < 0.1, rnorm(g), 0)
  s <- exp(rnorm(n, 0, 0.25))
  s <- s / exp(mean(log(s)))
  samples <- sprintf("sample%02d", seq_len(n))
  condition <- factor(ifelse(seq_len(n) <= n / 2, "A", "B"))
  x <- model.matrix(~ condition)
  rownames(x) <- samples
  mu <- exp(outer(log(m), rep(1, n)) + outer(effect, x[, 2])) * rep(s, each = g)
  y <- matrix(rnbinom(g * n, size = rep(1 / phi, n), mu = mu), g, n)
  counts <- data.frame(feature = sprintf("gene%05d", seq_len(g)), y, check.names = FALSE)
  colnames(counts) <- c("feature", samples)
  write_tsv(counts, file.path(dir, "counts.tsv"))
  write_common(dir, name, "simulated bulk", "~ condition", x, setNames(s, samples), g, "counts.tsv")
}

make_real_bulk <- function(dir, name, formula, factors) {
  src <- file.path(shared, name)
  tab <- read.delim(file.path(src, "counts.tsv"), check.names = FALSE)
  samples <- read.delim(file.path(src, "samples.tsv"), check.names = FALSE, colClasses = "character")
  stopifnot(identical(samples[[1]], colnames(tab)[-1]))
  for (f in factors) samples[[f]] <- factor(samples[[f]])
  x <- model.matrix(as.formula(formula), samples)
  rownames(x) <- samples[[1]]
  y <- as.matrix(tab[, -1])
  file.copy(file.path(src, "counts.tsv"), file.path(dir, "counts.tsv"), overwrite = TRUE)
  write_common(dir, name, "bulk", formula, x, setNames(median_of_ratios(y), samples[[1]]), nrow(y), "counts.tsv")
}

make_kang <- function(dir) {
  src <- file.path(shared, "kang_muscat")
  cells <- read.delim(file.path(src, "cells.tsv"), check.names = FALSE, colClasses = "character")
  barcodes <- readLines(file.path(src, "barcodes.tsv"))
  stopifnot(identical(cells[[1]], barcodes))
  for (f in c("cluster_id", "donor", "group_id")) cells[[f]] <- factor(cells[[f]])
  formula <- "~ cluster_id + donor + group_id"
  x <- model.matrix(as.formula(formula), cells)
  rownames(x) <- barcodes
  for (f in c("matrix.mtx", "genes.tsv", "barcodes.tsv")) {
    file.copy(file.path(src, f), file.path(dir, f), overwrite = TRUE)
  }
  sf <- normed_sum(as.numeric(cells$total_counts))
  write_common(dir, "kang_muscat", "single cell", formula, x, setNames(sf, barcodes),
               length(readLines(file.path(src, "genes.tsv"))), "matrix.mtx")
}

for (name in names) {
  dir <- file.path(out_root, name)
  info_path <- file.path(dir, "info.tsv")
  if (file.exists(info_path)) {
    kv <- read.delim(info_path, header = FALSE, colClasses = "character")
    if (any(kv[[1]] == "version" & kv[[2]] == generator_version)) {
      message("data: ", name, " (kept)")
      next
    }
  }
  unlink(dir, recursive = TRUE)
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  t0 <- proc.time()[["elapsed"]]
  # info.tsv is written last: a set without it is incomplete and is remade.
  if (grepl("^sc_[0-9]+x[0-9]+$", name)) {
    d <- as.integer(strsplit(sub("^sc_", "", name), "x")[[1]])
    make_sc(dir, name, d[1], d[2])
  } else if (grepl("^bulk_[0-9]+x[0-9]+$", name)) {
    d <- as.integer(strsplit(sub("^bulk_", "", name), "x")[[1]])
    make_bulk(dir, name, d[1], d[2])
  } else if (name == "pasilla") {
    make_real_bulk(dir, name, "~ type + condition", c("type", "condition"))
  } else if (name == "airway") {
    make_real_bulk(dir, name, "~ cell + dex", c("cell", "dex"))
  } else if (name == "bottomly") {
    make_real_bulk(dir, name, "~ experiment_number + strain", c("experiment_number", "strain"))
  } else if (name == "kang_muscat") {
    make_kang(dir)
  } else {
    stop("unknown data set: ", name)
  }
  message(sprintf("data: %s written in %.1f s", name, proc.time()[["elapsed"]] - t0))
}
