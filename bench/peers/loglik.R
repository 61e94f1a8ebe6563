# The benchmark's one log-likelihood evaluator: scores every tool's estimates
# on the same data with the same formula, independent of every tool's code.
#
# Usage: Rscript loglik.R SET_DIR OUT_TSV TOOL=RESULT_DIR...   (the first tool is the reference)
#        Rscript loglik.R --selftest
# RESULT_DIR holds loc_coef.tsv (feature + one natural-log coefficient per
# design column) and scale_coef.tsv (feature, log r), nbglm's output format.
#
# For feature g with mu_i = s_i exp(x_i' beta_g) and size r_g (r = 1/overdispersion):
#   l_g = sum_i [ lgamma(y+r) - lgamma(r) - lgamma(y+1) + r log(r/(r+mu)) + y log(mu/(r+mu)) ]
# evaluated as A_i + B_i with A_i = -r log1p(mu/r) for every observation (the
# whole term when y = 0; -mu when r = Inf) and, for y > 0 only,
#   r <= 10:  B = lgamma(y+r) - lgamma(r) - lgamma(y+1) - y log1p(r/mu)
#   r > 10:   B = y log mu - lgamma(y+1) - y + (r+y-1/2) log1p(y/r) - y log1p(mu/r)
#                 + c(r+y) - c(r),   c(x) = 1/(12x) - 1/(360x^3) + 1/(1260x^5) - 1/(1680x^7)
#             (Stirling's series for lgamma(y+r) - lgamma(r), regrouped so that
#             nothing cancels as r grows: no loss at r = 1e12, unlike dnbinom)
#   r = Inf:  B = y log mu - lgamma(y+1)          (the Poisson limit)
# A feature whose counts are all zero scores 0 for every tool (its supremum,
# reached as mu -> 0), whatever the tool returned for it. nbglm reports the
# location coefficients of a feature whose fit diverges (a group of zeros:
# mu -> 0, status at_bound) as NaN, not as a finite stopping value; for such a
# feature the tool's own log-likelihood (feature_stats.tsv, the value at its
# last iterate) is taken and counted as "self-reported" (its agreement with
# this evaluator on every other feature is reported as max_abs_vs_own). A
# feature with a non-finite estimate otherwise (NaN, or log r = -Inf) is
# "missing" for that tool: the sum excludes it and the count is reported.
# Sums use R's extended precision accumulation.

script_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE)))
source(file.path(script_dir, "common.R"))

stirling_corr <- function(x) {
  x2 <- x * x
  (1 / 12 - (1 / 360 - (1 / 1260 - 1 / (1680 * x2)) / x2) / x2) / x
}

# Per-observation log-likelihood of the y > 0 entries (vectors of equal length).
b_term <- function(y, mu, r) {
  out <- numeric(length(y))
  small <- r <= 10
  large <- r > 10 & is.finite(r)
  pois <- !is.finite(r)
  if (any(small)) {
    ys <- y[small]; rs <- r[small]; ms <- mu[small]
    out[small] <- lgamma(ys + rs) - lgamma(rs) - lgamma(ys + 1) - ys * log1p(rs / ms)
  }
  if (any(large)) {
    yl <- y[large]; rl <- r[large]; ml <- mu[large]
    out[large] <- yl * log(ml) - lgamma(yl + 1) - yl + (rl + yl - 0.5) * log1p(yl / rl) - yl * log1p(ml / rl) +
      (stirling_corr(rl + yl) - stirling_corr(rl))
  }
  if (any(pois)) out[pois] <- y[pois] * log(mu[pois]) - lgamma(y[pois] + 1)
  out
}

# Per-feature log-likelihoods: y (G x n counts), eta (G x n, log mu), r (G).
feature_loglik <- function(y, eta, r) {
  mu <- exp(eta)
  rr <- matrix(r, nrow(mu), ncol(mu))
  a <- ifelse(is.finite(rr), -rr * log1p(mu / rr), -mu)
  total <- rowSums(a)
  nz <- which(y > 0)
  if (length(nz)) {
    b <- b_term(y[nz], mu[nz], rr[nz])
    rows <- (nz - 1L) %% nrow(y) + 1L
    s <- rowsum(b, rows, reorder = TRUE)
    at <- as.integer(rownames(s))
    total[at] <- total[at] + s[, 1]
  }
  total
}

read_coef <- function(path, features) {
  tab <- read.delim(path, check.names = FALSE, colClasses = c("character"))
  if (!identical(tab[[1]], features)) stop(path, ": features differ from the data set's")
  m <- as.matrix(tab[, -1, drop = FALSE])
  matrix(suppressWarnings(as.numeric(m)), nrow(m), ncol(m), dimnames = list(NULL, colnames(tab)[-1]))
}

score_tool <- function(set, dir, chunk = 1000L) {
  y <- set$counts
  x <- set$design
  features <- rownames(y)
  beta <- read_coef(file.path(dir, "loc_coef.tsv"), features)
  if (!identical(colnames(beta), colnames(x))) stop(dir, ": loc_coef.tsv columns differ from the design's")
  log_r <- read_coef(file.path(dir, "scale_coef.tsv"), features)
  if (ncol(log_r) != 1) stop(dir, ": scale_coef.tsv must have one (intercept) column")
  r <- exp(log_r[, 1])
  all_zero <- rowSums(y) == 0
  finite <- rowSums(is.na(beta)) == 0 & !is.na(r) & r > 0
  # mu = 0 (beta = -Inf) is a legitimate limit; keep X beta free of Inf * 0.
  beta[is.infinite(beta)] <- sign(beta[is.infinite(beta)]) * 1e6
  beta[beta > 1e6] <- 1e6
  beta[beta < -1e6] <- -1e6
  ll <- rep(NA_real_, length(features))
  ll[all_zero] <- 0
  attr(ll, "self_reported") <- 0L
  todo <- which(!all_zero & finite)
  offset <- log(set$size_factors)
  for (k in seq(1L, length(todo), by = chunk)) {
    idx <- todo[k:min(k + chunk - 1L, length(todo))]
    eta <- beta[idx, , drop = FALSE] %*% t(x)
    eta <- eta + matrix(offset, nrow(eta), ncol(eta), byrow = TRUE)
    ll[idx] <- feature_loglik(y[idx, , drop = FALSE], eta, r[idx])
  }
  stats <- file.path(dir, "feature_stats.tsv")
  self <- 0L
  if (file.exists(stats)) {
    fs <- read.delim(stats, colClasses = c(feature = "character"))
    diverged <- which(is.na(ll) & !all_zero & rowSums(is.na(beta)) > 0 & fs$status == "at_bound" & is.finite(fs$loglik))
    ll[diverged] <- fs$loglik[diverged]
    self <- length(diverged)
    attr(ll, "own") <- fs$loglik
    attr(ll, "scored") <- !is.na(ll) & !seq_along(ll) %in% diverged & !all_zero
  }
  attr(ll, "self_reported") <- self
  ll
}

selftest <- function() {
  set.seed(1)
  y <- matrix(rnbinom(200, size = 2, mu = 5), 20, 10)
  for (r in c(0.05, 0.7, 3, 9.99, 10.01, 50, 400, 5000)) {
    eta <- matrix(log(runif(200, 0.1, 20)), 20, 10)
    mine <- feature_loglik(y, eta, rep(r, 20))
    ref <- rowSums(matrix(dnbinom(y, size = r, mu = exp(eta), log = TRUE), 20, 10))
    stopifnot(max(abs(mine - ref) / (1 + abs(ref))) < 1e-12)
  }
  eta <- matrix(log(runif(200, 0.1, 20)), 20, 10)
  pois <- rowSums(matrix(dpois(y, exp(eta), log = TRUE), 20, 10))
  stopifnot(max(abs(feature_loglik(y, eta, rep(Inf, 20)) - pois)) < 1e-10)
  # r = 1e12 differs from the Poisson limit by about sum(mu^2 - ...)/r: ~1e-10.
  stopifnot(max(abs(feature_loglik(y, eta, rep(1e12, 20)) - pois)) < 1e-8)
  # Large counts, moderate r: compare with lgamma differences in long form.
  yb <- matrix(c(1e6, 123456, 7, 1), 1, 4)
  etab <- matrix(log(c(9e5, 1e5, 10, 0.5)), 1, 4)
  refb <- sum(dnbinom(yb, size = 37, mu = exp(etab), log = TRUE))
  stopifnot(abs(feature_loglik(yb, etab, 37) - refb) < 1e-7)
  cat("loglik.R selftest: ok\n")
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) == 1 && args[1] == "--selftest") {
  selftest()
  quit(status = 0)
}
set <- read_set(args[1])
out_path <- args[2]
tools <- args[-(1:2)]
names <- sub("=.*$", "", tools)
dirs <- sub("^[^=]*=", "", tools)
scores <- list()
for (i in seq_along(tools)) {
  ok <- file.exists(file.path(dirs[i], "loc_coef.tsv")) && file.exists(file.path(dirs[i], "scale_coef.tsv"))
  scores[[names[i]]] <- if (ok) tryCatch(score_tool(set, dirs[i]), error = function(e) {
    message("loglik: ", names[i], ": ", conditionMessage(e))
    NULL
  }) else NULL
}
ref <- scores[[1]]
rows <- list()
for (name in names) {
  ll <- scores[[name]]
  if (is.null(ll)) {
    rows[[name]] <- data.frame(tool = name, loglik = NA, missing = NA, delta = NA, common = NA, lower = NA, higher = NA,
                               max_abs_vs_own = NA, self_reported = NA)
    next
  }
  common <- !is.na(ll) & !is.na(ref)
  diff <- ll[common] - ref[common]
  tol <- 1e-6 * (1 + abs(ref[common]))
  own <- NA
  if (!is.null(attr(ll, "own"))) {
    d <- abs(attr(ll, "own") - ll)
    d[!attr(ll, "scored")] <- NA
    own <- if (any(!is.na(d))) max(d, na.rm = TRUE) else NA
  }
  rows[[name]] <- data.frame(tool = name, loglik = sprintf("%.10g", sum(ll, na.rm = TRUE)), missing = sum(is.na(ll)),
                             delta = sprintf("%.6g", sum(diff)), common = sum(common),
                             lower = sum(diff < -tol), higher = sum(diff > tol), max_abs_vs_own = own,
                             self_reported = attr(ll, "self_reported"))
}
write.table(do.call(rbind, rows), out_path, sep = "\t", quote = FALSE, row.names = FALSE)
