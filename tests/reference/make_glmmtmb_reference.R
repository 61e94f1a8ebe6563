#!/usr/bin/env Rscript
# Outside reference for location-scale NB fits: glmmTMB (family nbinom2 with a dispersion
# formula), and reference values for models nbglm does not have yet (Poisson, zero-inflated NB).
#
# Run from the repository root:   Rscript tests/reference/make_glmmtmb_reference.R   (~1-2 min)
# Writes tests/data/glmmtmb/ (described in its README.md). Deterministic: set.seed per problem.
#
# Model correspondence (docs/model.md §1):
#   nbglm location  log mu_i = x_i' a + log s_i   <->  glmmTMB conditional model  y ~ 0 + X + offset(log s)
#   nbglm scale     log r_i  = z_i' b             <->  glmmTMB dispformula ~ 0 + Z  (nbinom2:
#                   Var = mu (1 + mu / phi), log link, so phi = r and the disp coefficients are b)
# Constrained location (problem "nested"): nbglm takes the full, rank-deficient X and sum-to-zero
# constraints that reduce to a basis B (a = B theta, docs/model.md §2). glmmTMB gets the reduced
# design X B and estimates beta; the stored location coefficients are a = B beta (full parameters),
# which do not depend on the choice of B as long as it spans the same space (X B has full rank, so
# a is unique). B here is the one the sum-to-zero rows of docs/formats.md define: the dependent
# parameter of each row is minus the sum of the others.
#
# Stored per feature (reference TSVs): glmmTMB's coefficients, its own logLik ("glmmtmb_loglik"),
# the log-likelihood recomputed at its coefficients by a formula accurate as r -> Inf ("loglik",
# see nb_loglik below), convergence (nlminb code 0 and a positive-definite Hessian, "converged"),
# max |gradient| of the TMB objective and max |Newton step| |H^-1 g| over the parameters, i.e. how
# far glmmTMB's coefficients can be from its exact optimum.
#
# Problems:
#   bulk     location ~ condition + batch, scale ~ condition, size factors: 40 features x 60
#   nested   location ~ condition + replicate (replicates nested in condition, constrained),
#            scale ~ condition: 40 features x 48
#   sc       single-cell-like, location ~ condition, scale ~ condition, means 0.02-0.2,
#            condition B Poisson (r = Inf) in half of the features: 40 features x 1500
#   poisson  glmmTMB family = poisson, location ~ condition + batch: 30 features x 60
#            (nbglm has no Poisson model yet: data and values for the tests that will come with it)
#   zinb     nbinom2 + ziformula ~ 1 and ~ condition, location ~ condition, dispersion ~ 1:
#            30 features x 200 (nbglm has no zero-inflated model yet: likewise)

suppressPackageStartupMessages(library(glmmTMB))
out_dir <- file.path("tests", "data", "glmmtmb")
if (!dir.exists("tests")) stop("run from the repository root")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

fmt <- function(x) {
  s <- sprintf("%.17g", x)
  s[is.na(x)] <- "NaN"
  s[is.infinite(x)] <- ifelse(x[is.infinite(x)] > 0, "Inf", "-Inf")
  s
}
write_table <- function(first, first_name, values, file) {
  # values: numeric matrix with column names; first: the row names column
  body <- cbind(first, if (is.character(values)) values else apply(values, 2, fmt))
  colnames(body)[1] <- first_name
  write.table(body, file.path(out_dir, file), sep = "\t", quote = FALSE, row.names = FALSE,
              col.names = TRUE)
}
write_inputs <- function(name, Y, X, Z, sf) {
  obs <- colnames(Y)
  write_table(rownames(Y), "gene_id", Y, paste0(name, "_counts.tsv"))
  write_table(obs, "observation", X, paste0(name, "_loc_design.tsv"))
  if (!is.null(Z)) write_table(obs, "observation", Z, paste0(name, "_scale_design.tsv"))
  write_table(obs, "observation", cbind(size_factor = sf), paste0(name, "_size_factors.tsv"))
}

# Sum over observations of log NB(y; mu, r), docs/model.md eq. (4), accurate for any r: R's
# dnbinom(log = TRUE) is exact to ~1e-12 for r <= 1e4 but loses up to ~1e-8 per observation at
# r ~ e^20 (as does TMB's dnbinom_robust, whose lgamma(y + r) - lgamma(r) cancels); beyond 1e4 the
# same density is written with lgamma(y + r) - lgamma(r) - y log r = sum_{k<y} log1p(k / r), and
# r log(r / (r + mu)) = -r log1p(mu / r), nothing cancelling. r = Inf is the Poisson density.
nb_loglik <- function(y, mu, r) {
  r <- rep_len(r, length(y))
  out <- dnbinom(y, size = pmin(r, 1e300), mu = mu, log = TRUE)
  big <- r > 1e4
  for (i in which(big)) {
    k <- seq_len(y[i]) - 1
    out[i] <- if (is.infinite(r[i])) dpois(y[i], mu[i], log = TRUE)
              else sum(log1p(k / r[i])) - lgamma(y[i] + 1) - r[i] * log1p(mu[i] / r[i]) +
                   y[i] * (log(mu[i]) - log1p(mu[i] / r[i]))
  }
  sum(out)
}
# Zero-inflated NB: P(0) = pi + (1 - pi) NB(0), P(y > 0) = (1 - pi) NB(y); logit link for pi.
zinb_loglik <- function(y, mu, r, pi) {
  nb <- dnbinom(y, size = r, mu = mu, log = TRUE)
  sum(ifelse(y == 0, log(pi + (1 - pi) * exp(nb)), log1p(-pi) + nb))
}

# nlminb beyond glmmTMB's defaults (rel.tol 1e-10 there leaves |gradient| up to ~3e-4, coefficients
# ~1e-5 off): relative tolerance 1e-14, no x-convergence stop, and sing.tol lowered so that the
# flat top does not end the run as "singular convergence" (code 1). Max |gradient| is then ~1e-6.
control <- glmmTMBControl(optCtrl = list(iter.max = 10000, eval.max = 20000, rel.tol = 1e-14,
                                         x.tol = 0, sing.tol = 1e-30))

# One glmmTMB fit of feature y. X, Z (or NULL for Poisson), Zi (or NULL): design matrices.
fit_one <- function(y, X, Z, Zi, off, family) {
  d <- data.frame(y = y, off = off)
  term <- function(M, p) {
    for (j in seq_len(ncol(M))) d[[paste0(p, j)]] <<- M[, j]
    paste("0 +", paste0(p, seq_len(ncol(M)), collapse = " + "))
  }
  cond <- as.formula(paste("y ~", term(X, "x"), "+ offset(off)"))
  disp <- if (is.null(Z)) ~1 else as.formula(paste("~", term(Z, "z")))
  zi <- if (is.null(Zi)) ~0 else as.formula(paste("~", term(Zi, "w")))
  warn <- character(0)
  fit <- withCallingHandlers(
    tryCatch(glmmTMB(cond, data = d, family = family, dispformula = disp, ziformula = zi,
                     control = control),
             error = function(e) { warn <<- c(warn, conditionMessage(e)); NULL }),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  note <- gsub("[\t\n]+", " ", paste(unique(warn), collapse = "; "))
  if (is.null(fit)) return(list(ok = FALSE, note = note))
  par <- fit$fit$par
  g <- fit$obj$gr(par)
  H <- tryCatch(optimHess(par, fit$obj$fn, fit$obj$gr), error = function(e) NULL)
  step <- if (is.null(H)) NaN else tryCatch(max(abs(solve(H, as.numeric(g)))), error = function(e) NaN)
  fe <- fixef(fit)
  list(ok = TRUE, cond = fe$cond, disp = if (is.null(Z)) NULL else fe$disp, zi = fe$zi,
       loglik_tmb = as.numeric(logLik(fit)),
       converged = fit$fit$convergence == 0 && isTRUE(fit$sdr$pdHess),
       code = fit$fit$convergence, max_grad = max(abs(g)), newton_step = step,
       note = paste0(fit$fit$message, if (nchar(note)) paste0("; ", note) else ""))
}

# Fits every feature; B maps reduced location coefficients to full ones (a = B beta).
run_problem <- function(name, Y, X, Z, sf, family = nbinom2(), B = diag(ncol(X)), Zi = NULL) {
  XB <- X %*% B
  off <- log(sf)
  rows <- list()
  notes <- character(nrow(Y))
  for (f in seq_len(nrow(Y))) {
    y <- Y[f, ]
    r <- fit_one(y, XB, Z, Zi, off, family)
    p <- ncol(X); ps <- if (is.null(Z)) 0 else ncol(Z); pz <- if (is.null(Zi)) 0 else ncol(Zi)
    if (!r$ok) {
      rows[[f]] <- c(rep(NaN, p + ps + pz + 4), 0, NaN, NaN); notes[f] <- r$note; next
    }
    a <- drop(B %*% r$cond)
    mu <- exp(drop(XB %*% r$cond) + off)
    ll <- if (family$family == "poisson") sum(dpois(y, mu, log = TRUE))
          else if (pz > 0) zinb_loglik(y, mu, exp(drop(Z %*% r$disp)), plogis(drop(Zi %*% r$zi)))
          else nb_loglik(y, mu, exp(drop(Z %*% r$disp)))
    rows[[f]] <- c(a, r$disp, r$zi, ll, r$loglik_tmb, as.numeric(r$converged), r$code, r$max_grad,
                   r$newton_step)
    notes[f] <- r$note
  }
  values <- do.call(rbind, rows)
  colnames(values) <- c(paste0("loc:", colnames(X)),
                        if (!is.null(Z)) paste0("scale:", colnames(Z)),
                        if (!is.null(Zi)) paste0("zi:", colnames(Zi)),
                        "loglik", "glmmtmb_loglik", "converged", "nlminb_code", "max_abs_grad",
                        "newton_step")
  text <- cbind(apply(values[, 1:(ncol(values) - 4), drop = FALSE], 2, fmt),
                converged = as.character(values[, "converged"]),
                nlminb_code = as.character(values[, "nlminb_code"]),
                max_abs_grad = sprintf("%.3g", values[, "max_abs_grad"]),
                newton_step = sprintf("%.3g", values[, "newton_step"]),
                note = ifelse(nchar(notes) > 0, notes, "-"))
  write_table(rownames(Y), "feature", text, paste0(name, "_reference.tsv"))
  ok <- values[, "converged"] == 1
  cat(sprintf("%-8s %d features x %d: converged %d, max |grad| %.2g, max newton step %.2g (converged)\n",
              name, nrow(Y), ncol(Y), sum(ok), max(values[ok, "max_abs_grad"]),
              max(values[ok, "newton_step"])))
  invisible(values)
}

# Size factors: log-normal, normalised to geometric mean 1.
size_factors <- function(n, sd) { s <- exp(rnorm(n, 0, sd)); s / exp(mean(log(s))) }
mat <- function(formula, frame) {
  M <- model.matrix(formula, frame); attr(M, "assign") <- NULL; attr(M, "contrasts") <- NULL; M
}
obs_names <- function(n) sprintf("obs%04d", seq_len(n))
counts <- function(n_feat, n, draw) {
  Y <- t(vapply(seq_len(n_feat), draw, numeric(n)))
  dimnames(Y) <- list(sprintf("gene%02d", seq_len(n_feat)), obs_names(n))
  Y
}

# ---- (a) bulk: location ~ condition + batch, scale ~ condition -----------------------------------
set.seed(20250101)
n <- 60
frame <- data.frame(condition = factor(rep(c("A", "B"), each = n / 2)),
                    batch = factor(rep(c("b1", "b2", "b3"), times = n / 3)))
X <- mat(~ condition + batch, frame); Z <- mat(~ condition, frame)
sf <- size_factors(n, 0.3)
Y <- counts(40, n, function(f) {
  a <- c(log(runif(1, 5, 200)), rnorm(1, 0, 0.7), rnorm(2, 0, 0.3))
  b <- c(log(runif(1, 2, 20)), rnorm(1, 0, 0.7))
  rnbinom(n, size = exp(drop(Z %*% b)), mu = sf * exp(drop(X %*% a)))
})
rownames(X) <- rownames(Z) <- colnames(Y)
write_inputs("bulk", Y, X, Z, sf)
run_problem("bulk", Y, X, Z, sf)

# ---- (b) nested: replicates nested in condition, confounded, sum-to-zero constraints -------------
# X = (Intercept), conditionB, rep1..rep6 (rep1-3 in A, rep4-6 in B), rank 6 of 8. Constraints
# rep1 + rep2 + rep3 = 0 and rep4 + rep5 + rep6 = 0 with rep3, rep6 dependent:
# theta = ((Intercept), conditionB, rep1, rep2, rep4, rep5), rep3 = -rep1 - rep2, rep6 = -rep4 - rep5.
set.seed(20250102)
n <- 48
rep_f <- factor(rep(paste0("rep", 1:6), each = n / 6))
frame <- data.frame(condition = factor(rep(c("A", "B"), each = n / 2)))
X <- cbind(mat(~ condition, frame), sapply(levels(rep_f), function(l) as.numeric(rep_f == l)))
Z <- mat(~ condition, frame)
B <- matrix(0, 8, 6)
B[cbind(c(1, 2, 3, 4, 6, 7), 1:6)] <- 1
B[5, 3:4] <- -1
B[8, 5:6] <- -1
sf <- size_factors(n, 0.3)
Y <- counts(40, n, function(f) {
  reps <- rnorm(6, 0, 0.3)
  reps <- reps - rep(c(mean(reps[1:3]), mean(reps[4:6])), each = 3)
  a <- c(log(runif(1, 5, 200)), rnorm(1, 0, 0.7), reps)
  b <- c(log(runif(1, 2, 20)), rnorm(1, 0, 0.7))
  rnbinom(n, size = exp(drop(Z %*% b)), mu = sf * exp(drop(X %*% a)))
})
rownames(X) <- rownames(Z) <- colnames(Y)
write_inputs("nested", Y, X, Z, sf)
constraints <- rbind(c(0, 0, 1, 1, -1, 0, 0, 0), c(0, 0, 0, 0, 0, 1, 1, -1))
colnames(constraints) <- colnames(X)
write.table(constraints, file.path(out_dir, "nested_loc_constraints.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE)
stopifnot(max(abs(abs(constraints) %*% B)) == 0, qr(X)$rank == 6, qr(X %*% B)$rank == 6)
run_problem("nested", Y, X, Z, sf, B = B)

# ---- (c) sc: single-cell-like, condition B at the Poisson limit in half of the features ---------
set.seed(20250103)
n <- 1500
frame <- data.frame(condition = factor(rep(c("A", "B"), each = n / 2)))
X <- mat(~ condition, frame); Z <- X
sf <- size_factors(n, 0.5)
Y <- counts(40, n, function(f) {
  mu <- sf * exp(log(runif(1, 0.02, 0.2)) + rnorm(1, 0, 0.5) * (frame$condition == "B"))
  size_a <- runif(1, 0.2, 2)
  size_b <- if (f %% 2 == 1) Inf else runif(1, 0.2, 2)
  ifelse(frame$condition == "A", rnbinom(n, size = size_a, mu = mu),
         if (is.infinite(size_b)) rpois(n, mu) else rnbinom(n, size = size_b, mu = mu))
})
rownames(X) <- rownames(Z) <- colnames(Y)
write_inputs("sc", Y, X, Z, sf)
run_problem("sc", Y, X, Z, sf)

# ---- (d) poisson and zinb: models nbglm does not have yet ----------------------------------------
set.seed(20250104)
n <- 60
frame <- data.frame(condition = factor(rep(c("A", "B"), each = n / 2)),
                    batch = factor(rep(c("b1", "b2", "b3"), times = n / 3)))
X <- mat(~ condition + batch, frame)
sf <- size_factors(n, 0.3)
Y <- counts(30, n, function(f) {
  a <- c(log(runif(1, 1, 100)), rnorm(1, 0, 0.7), rnorm(2, 0, 0.3))
  rpois(n, sf * exp(drop(X %*% a)))
})
rownames(X) <- colnames(Y)
write_inputs("poisson", Y, X, NULL, sf)
run_problem("poisson", Y, X, NULL, sf, family = poisson())

set.seed(20250105)
n <- 200
frame <- data.frame(condition = factor(rep(c("A", "B"), each = n / 2)))
X <- mat(~ condition, frame); Z <- mat(~ 1, frame)
sf <- size_factors(n, 0.3)
pi_logit <- matrix(0, 30, 2)
Y <- counts(30, n, function(f) {
  mu <- sf * exp(log(runif(1, 2, 50)) + rnorm(1, 0, 0.7) * (frame$condition == "B"))
  pi_logit[f, ] <<- c(qlogis(runif(1, 0.05, 0.3)), rnorm(1, 0, 0.7))
  zero <- runif(n) < plogis(pi_logit[f, 1] + pi_logit[f, 2] * (frame$condition == "B"))
  ifelse(zero, 0, rnbinom(n, size = runif(1, 1, 10), mu = mu))
})
rownames(X) <- rownames(Z) <- colnames(Y)
write_inputs("zinb", Y, X, Z, sf)
run_problem("zinb_zi_intercept", Y, X, Z, sf, Zi = mat(~ 1, frame))
run_problem("zinb_zi_condition", Y, X, Z, sf, Zi = mat(~ condition, frame))

cat("R:", R.version.string, "; glmmTMB", as.character(packageVersion("glmmTMB")), "; TMB",
    as.character(packageVersion("TMB")), "\n")
