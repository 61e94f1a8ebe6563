# edgeR peer. edgeR's glmFit takes the dispersions as input, and edgeR's own
# per-gene estimators (estimateDisp / estimateGLMTagwiseDisp) always maximise
# the Cox-Reid adjusted profile likelihood. To fit the benchmark's model
# (per-feature dispersion, Cox-Reid off, no shrinkage) with edgeR's own code,
# this does what estimateDisp does for its tagwise step with prior.df = 0,
# but with adjust = FALSE:
#   1. adjustedProfileLik(d, y, design, offset = log(sf), adjust = FALSE) on
#      estimateDisp's default grid d = 0.1 * 2^k, k = -10, -9, ..., 10 (21
#      points; warm-started from the previous grid point's coefficients),
#   2. per-feature maximum by maximizeInterpolant (spline through the grid),
#   3. glmFit(y, design, dispersion = d_hat, offset = log(sf), prior.count = 0).
# Features whose counts are all zero are not estimated (dispersion 0.1 passed).
# Usage: Rscript edger.R SET_DIR OUT_DIR
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))), "common.R"))
set <- read_set(args[1])
suppressPackageStartupMessages(library(edgeR))
y <- set$counts
storage.mode(y) <- "double"
x <- set$design
t <- timed({
  offset <- matrix(log(set$size_factors), nrow(y), ncol(y), byrow = TRUE)
  keep <- rowSums(y) > 0
  grid <- seq(-10, 10, length.out = 21)
  l0 <- matrix(0, sum(keep), length(grid))
  yk <- y[keep, , drop = FALSE]
  ok <- offset[keep, , drop = FALSE]
  beta <- NULL
  for (j in seq_along(grid)) {
    apl <- adjustedProfileLik(0.1 * 2^grid[j], yk, x, ok, adjust = FALSE, start = beta, get.coef = TRUE)
    l0[, j] <- apl$apl
    beta <- apl$beta
  }
  dispersion <- rep(0.1, nrow(y))
  dispersion[keep] <- 0.1 * 2^maximizeInterpolant(grid, l0)
  fit <- glmFit(y, x, dispersion = dispersion, offset = offset, prior.count = 0)
  list(fit = fit, dispersion = dispersion)
})
write_estimates(args[2], rownames(y), t$value$fit$coefficients, t$value$dispersion, colnames(x))
write_fit_seconds(args[2], t$seconds,
                  sprintf("edgeR %s adjustedProfileLik(adjust=FALSE) on 21-point grid + maximizeInterpolant + glmFit(prior.count=0)",
                          packageVersion("edgeR")))
