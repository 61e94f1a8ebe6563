# Shared helpers of the benchmark's R scripts (bench/peers/*.R): read one
# benchmark data set (bench/data/sets/NAME, written by make_data.R) and write
# a tool's estimates in nbglm's output format, so that one evaluator
# (loglik.R) scores every tool.
#
# A data set directory holds
#   matrix.mtx + genes.tsv + barcodes.tsv (a 10x directory)  or  counts.tsv (dense)
#   design.tsv        observation + location design columns (the model matrix)
#   size_factors.tsv  observation, size_factor
#   info.tsv          key <TAB> value: name, kind, formula, features, observations, counts

read_info <- function(dir) {
  kv <- read.delim(file.path(dir, "info.tsv"), header = FALSE, colClasses = "character")
  setNames(as.list(kv[[2]]), kv[[1]])
}

# Reads a MatrixMarket coordinate file into a dense integer matrix with scan()
# (much faster than Matrix::readMM for large files).
read_mtx_dense <- function(path, nrow_expected = NULL) {
  con <- file(path, "r")
  on.exit(close(con))
  repeat {
    line <- readLines(con, n = 1)
    if (!startsWith(line, "%")) break
  }
  dims <- as.numeric(strsplit(trimws(line), "[[:space:]]+")[[1]])
  entries <- scan(con, what = list(integer(), integer(), numeric()), n = 3 * dims[3], quiet = TRUE)
  y <- matrix(0L, dims[1], dims[2])
  y[cbind(entries[[1]], entries[[2]])] <- as.integer(entries[[3]])
  y
}

# The counts (dense integer matrix, features x observations, with dimnames),
# the design matrix (observations x parameters) and the size factors, all in
# the same observation order.
read_set <- function(dir) {
  info <- read_info(dir)
  if (file.exists(file.path(dir, "matrix.mtx"))) {
    y <- read_mtx_dense(file.path(dir, "matrix.mtx"))
    rownames(y) <- readLines(file.path(dir, "genes.tsv"))
    colnames(y) <- readLines(file.path(dir, "barcodes.tsv"))
  } else {
    tab <- read.delim(file.path(dir, "counts.tsv"), check.names = FALSE, colClasses = c("character"),
                      nrows = as.integer(info$features) + 1L)
    y <- as.matrix(tab[, -1, drop = FALSE])
    y <- matrix(as.integer(y), nrow(y), ncol(y), dimnames = list(tab[[1]], colnames(tab)[-1]))
  }
  design <- read.delim(file.path(dir, "design.tsv"), check.names = FALSE)
  x <- as.matrix(design[, -1, drop = FALSE])
  rownames(x) <- design[[1]]
  sf_tab <- read.delim(file.path(dir, "size_factors.tsv"))
  sf <- setNames(sf_tab$size_factor, sf_tab$observation)
  stopifnot(identical(rownames(x), colnames(y)), identical(names(sf), colnames(y)))
  list(info = info, counts = y, design = x, size_factors = sf)
}

write_tsv <- function(df, path) {
  write.table(df, path, sep = "\t", quote = FALSE, row.names = FALSE, col.names = TRUE)
}

# Writes loc_coef.tsv (natural-log location coefficients, one column per
# design column) and scale_coef.tsv (log r = -log overdispersion) as nbglm does.
write_estimates <- function(out_dir, features, beta, overdispersion, design_names) {
  dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
  beta <- as.matrix(beta)
  loc <- data.frame(feature = features, beta, check.names = FALSE)
  colnames(loc) <- c("feature", design_names)
  write_tsv(loc, file.path(out_dir, "loc_coef.tsv"))
  scale <- data.frame(feature = features, `(Intercept)` = -log(overdispersion), check.names = FALSE)
  write_tsv(scale, file.path(out_dir, "scale_coef.tsv"))
}

write_fit_seconds <- function(out_dir, seconds, note = "") {
  writeLines(c(sprintf("%.6f", seconds), note), file.path(out_dir, "fit_seconds.txt"))
}

# Runs expr, returning its value; the elapsed seconds go to `seconds` in the caller.
timed <- function(expr) {
  t0 <- proc.time()[["elapsed"]]
  value <- force(expr)
  list(value = value, seconds = proc.time()[["elapsed"]] - t0)
}
