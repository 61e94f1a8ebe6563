#!/usr/bin/env Rscript
# Independent reference values for the exact negative-binomial MLE (docs/model.md §1, eqs (1)-(8)):
#   y_i ~ NB(mean mu_i = s_i * exp(x_i' a), size r = exp(log_r)), one model per feature,
#   location coefficients a (natural-log scale) and one scale parameter log_r per feature.
#
# Run from the repository root:   Rscript tests/reference/make_nb_reference.R
# Reads ../shared/data/pasilla (relative to the repo root), writes tests/data/reference/.
#
# Method per feature:
#   1. MASS::glm.nb(y ~ 0 + X + offset(log(sf)), control = glm.control(epsilon = 1e-13, maxit = 200))
#      (falls back to a Poisson fit + moment estimate of theta when glm.nb fails).
#   2. polish: joint Newton iteration over (a, log_r) on the full log-likelihood with the analytic
#      gradient and Hessian of docs/model.md eqs (5)-(8) (lgamma / digamma / trigamma differences as
#      exact finite sums where r is large), Levenberg damping and step control, until
#      max |gradient| < 1e-10 and Newton step < 1e-10, or no further progress.
#   3. Poisson limit: Poisson MLE and its overdispersion score 0.5 * sum((y - mu)^2 - y)
#      (= d profile-loglik / d(1/r) at 1/r = 0).
#   4. status:
#        ok              converged finite MLE with log_r <= 15 (and loglik >= the Poisson limit)
#        theta_diverged  no finite MLE of r (score above <= 0 or polish ran past log_r = 40):
#                        stored log_r = Inf, location = Poisson MLE, loglik = Poisson loglik
#                        (the supremum); or a finite MLE with log_r > 15 (noted in diagnostics)
#        coef_diverged   a location coefficient runs to -Inf (all-zero counts in a design cell);
#                        values stored where the polish stopped (|coef| > 30)
#        not_converged   anything else (none in the current output)
#   5. for information, glmGamPoi::glm_gp(overdispersion_shrinkage = FALSE,
#      do_cox_reid_adjustment = FALSE, size_factors = sf) log-likelihood when glmGamPoi is installed.
# Log-likelihoods are R's dnbinom(log = TRUE) except for r > 1e4, where a cancellation-free form is
# used (dnbinom loses up to ~1e-8 per observation there); see nb_ll_obs().
# Independent 40-digit check of the outputs: python3 tests/reference/check_nb_reference.py

suppressPackageStartupMessages(library(MASS))
have_ggp <- suppressWarnings(suppressPackageStartupMessages(requireNamespace("glmGamPoi", quietly = TRUE)))

data_dir <- file.path("..", "shared", "data")
out_dir  <- file.path("tests", "data", "reference")
if (!dir.exists(file.path(data_dir, "pasilla")))
  stop("cannot find ", file.path(data_dir, "pasilla"), "; run from the repository root")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

LOG_R_MAX   <- 15      # log_r above this counts as diverged (Poisson limit), status theta_diverged
LOG_R_CAP   <- 40      # the polish follows log_r up to here before declaring r -> Inf
GRAD_TOL    <- 1e-10   # target for max |gradient| of the polish
SUM_Y_MAX   <- 1e4     # finite sums for lgamma/psi/psi1 differences when y <= this or r >= y

fmt <- function(x) {
  s <- sprintf("%.17g", x)
  s[is.na(x)] <- "NaN"
  s[is.infinite(x) & x > 0] <- "Inf"
  s[is.infinite(x) & x < 0] <- "-Inf"
  s
}

write_tsv <- function(df, file) {
  # df: data.frame of character columns already formatted
  con <- file(file, open = "w")
  writeLines(paste(names(df), collapse = "\t"), con)
  if (nrow(df) > 0) writeLines(do.call(paste, c(as.list(df), sep = "\t")), con)
  close(con)
}

# ---- accurate differences of lgamma / digamma / trigamma ----------------------------------------
# For y <= SUM_Y_MAX or r >= y they are evaluated as exact finite sums (no cancellation at large r):
#   lgamma(y+r) - lgamma(r) - y log r = sum_{k<y} log1p(k/r)
#   psi(y+r)  - psi(r)  =  sum_{k<y} 1/(r+k)
#   psi1(y+r) - psi1(r) = -sum_{k<y} 1/(r+k)^2
use_sum <- function(y, r) y > 0 & (y <= SUM_Y_MAX | r >= y)
lg_diff <- function(y, r) {
  out <- numeric(length(y))
  for (i in which(y > 0)) {
    out[i] <- if (use_sum(y[i], r)) sum(log1p(((y[i] - 1):0) / r))
              else lgamma(y[i] + r) - lgamma(r) - y[i] * log(r)
  }
  out
}
dig_diff <- function(y, r) {
  out <- numeric(length(y))
  for (i in which(y > 0)) {
    out[i] <- if (use_sum(y[i], r)) sum(1 / (r + (y[i] - 1):0)) else digamma(y[i] + r) - digamma(r)
  }
  out
}
trig_diff <- function(y, r) {
  out <- numeric(length(y))
  for (i in which(y > 0)) {
    out[i] <- if (use_sum(y[i], r)) -sum(1 / (r + (y[i] - 1):0)^2) else trigamma(y[i] + r) - trigamma(r)
  }
  out
}

# Per-observation NB log-likelihood, docs/model.md eq (4). R's dnbinom(log = TRUE) (saddle-point
# form) is accurate to ~1e-12 for r <= 1e4 and for large counts, but loses accuracy as r grows
# (errors ~1e-8 per observation at r ~ e^20). For large r and moderate y we use instead
#   l = [lgamma(y+r) - lgamma(r) - y log r] - lgamma(y+1) - r log1p(mu/r) + y log(mu) - y log1p(mu/r)
# with the bracket as an exact finite sum. Both branches were checked against 50-digit mpmath
# on a grid of (y, r, mu); see tests/reference/check_nb_reference.py for the check of the results.
nb_ll_obs <- function(y, r, mu) {
  if (is.infinite(r)) return(dpois(y, mu, log = TRUE))
  out <- dnbinom(y, size = r, mu = mu, log = TRUE)
  big_r <- r > 1e4 & (y <= 1000 | r > 1e9)
  if (any(big_r)) {
    yy <- y[big_r]; mm <- mu[big_r]
    out[big_r] <- lg_diff(yy, r) - lgamma(yy + 1) - r * log1p(mm / r) + yy * log(mm) -
      yy * log1p(mm / r)
  }
  out
}
loglik <- function(par, y, X, off) {
  p <- ncol(X)
  mu <- exp(drop(X %*% par[1:p]) + off)
  sum(nb_ll_obs(y, exp(par[p + 1]), mu))
}
loglik_dnbinom <- function(par, y, X, off) {
  p <- ncol(X)
  mu <- exp(drop(X %*% par[1:p]) + off)
  if (is.infinite(par[p + 1])) return(sum(dpois(y, mu, log = TRUE)))
  sum(dnbinom(y, size = exp(par[p + 1]), mu = mu, log = TRUE))
}

# gradient and Hessian in (a, zeta = log r), docs/model.md eqs (5)-(8), written in stable forms:
#   dl/dzeta = r [ (psi(y+r)-psi(r)) - log1p(mu/r) + (mu-y)/(r+mu) ]
#   d2l/dzeta2 = dl/dzeta + r^2 [ (psi1(y+r)-psi1(r)) + (mu^2 + r y)/(r (r+mu)^2) ]
grad_hess <- function(par, y, X, off) {
  p <- ncol(X)
  eta <- drop(X %*% par[1:p]) + off
  mu <- exp(eta)
  r <- exp(par[p + 1])
  rpm <- r + mu
  d_eta  <- r * (y - mu) / rpm
  d2_eta <- -r * mu * (r + y) / rpm^2
  d_z    <- r * (dig_diff(y, r) - log1p(mu / r) + (mu - y) / rpm)
  d2_z   <- d_z + r^2 * (trig_diff(y, r) + (mu^2 + r * y) / (r * rpm^2))
  d2_ez  <- r * mu * (y - mu) / rpm^2
  g <- c(drop(crossprod(X, d_eta)), sum(d_z))
  H <- matrix(0, p + 1, p + 1)
  H[1:p, 1:p] <- crossprod(X, X * d2_eta)
  H[1:p, p + 1] <- H[p + 1, 1:p] <- drop(crossprod(X, d2_ez))
  H[p + 1, p + 1] <- sum(d2_z)
  list(g = g, H = H)
}

# Newton polish (maximisation) with Levenberg damping and step control.
# Returns diverged = TRUE when log_r passes LOG_R_CAP with the log_r score still positive.
polish <- function(par, y, X, off, max_iter = 300) {
  p <- ncol(X)
  ll <- loglik(par, y, X, off)
  lambda <- 0
  iter <- 0
  stalled <- 0
  diverged <- FALSE
  for (iter in 1:max_iter) {
    gh <- grad_hess(par, y, X, off)
    g <- gh$g; H <- gh$H
    ns <- tryCatch(max(abs(solve(-H, g))), error = function(e) Inf)
    if (max(abs(g)) < GRAD_TOL && ns < 1e-10) break
    if (par[p + 1] > LOG_R_CAP && g[p + 1] > 0) { diverged <- TRUE; break }
    accepted <- FALSE
    for (attempt in 1:60) {
      A <- -H + lambda * diag(pmax(abs(diag(H)), 1e-12), p + 1)
      ch <- tryCatch(chol(A), error = function(e) NULL)
      if (is.null(ch)) { lambda <- max(1e-8, 10 * lambda); next }
      step <- backsolve(ch, forwardsolve(t(ch), g))
      smax <- max(abs(step))
      if (smax > 5) step <- step * 5 / smax
      newpar <- par + step
      newll <- loglik(newpar, y, X, off)
      # accept improvements and, near the optimum, rounding-level changes
      if (is.finite(newll) && newll >= ll - 1e-14 * max(1, abs(ll))) {
        if (newll <= ll + 1e-15 * max(1, abs(ll))) stalled <- stalled + 1 else stalled <- 0
        par <- newpar; ll <- newll; accepted <- TRUE
        lambda <- if (lambda > 0) lambda / 10 else 0
        if (lambda < 1e-10) lambda <- 0
        break
      }
      lambda <- max(1e-8, 10 * lambda)
    }
    if (!accepted || stalled >= 3) break
  }
  gh <- grad_hess(par, y, X, off)
  newton_step <- tryCatch(max(abs(solve(-gh$H, gh$g))), error = function(e) NaN)
  list(par = par, ll = loglik(par, y, X, off), grad = gh$g, grad_max = max(abs(gh$g)),
       newton_step = newton_step, iter = iter, diverged = diverged)
}

# Poisson limit (r = Inf): Newton on the Poisson log-likelihood.
polish_poisson <- function(b, y, X, off, max_iter = 200) {
  llp <- function(b) sum(dpois(y, exp(drop(X %*% b) + off), log = TRUE))
  pf <- suppressWarnings(glm.fit(X, y, family = poisson(), offset = off,
                                 control = glm.control(epsilon = 1e-14, maxit = 200)))
  if (all(is.finite(pf$coefficients))) b <- unname(pf$coefficients)
  ll <- llp(b)
  iter <- 0
  for (iter in 1:max_iter) {
    mu <- exp(drop(X %*% b) + off)
    g <- drop(crossprod(X, y - mu)); H <- crossprod(X, X * mu)
    if (max(abs(g)) < 1e-12) break
    step <- tryCatch(solve(H, g), error = function(e) NULL)
    if (is.null(step)) break
    t <- 1; ok <- FALSE
    for (k in 1:40) {
      nb <- b + t * step; nll <- llp(nb)
      if (is.finite(nll) && nll >= ll - 1e-14 * max(1, abs(ll))) { ok <- TRUE; break }
      t <- t / 2
    }
    if (!ok || max(abs(nb - b)) == 0) break
    b <- nb; ll <- nll
  }
  mu <- exp(drop(X %*% b) + off)
  g <- drop(crossprod(X, y - mu)); H <- crossprod(X, X * mu)
  ns <- tryCatch(max(abs(solve(H, g))), error = function(e) NaN)
  list(par = b, ll = llp(b), grad = g, grad_max = max(abs(g)), newton_step = ns, iter = iter,
       mu = mu)
}

fit_one <- function(y, X, sf) {
  p <- ncol(X)
  off <- log(sf)
  notes <- character(0)
  fit <- withCallingHandlers(
    tryCatch(glm.nb(y ~ 0 + X + offset(off), control = glm.control(epsilon = 1e-13, maxit = 200)),
             error = function(e) { notes <<- c(notes, paste0("glm.nb error: ", conditionMessage(e))); NULL }),
    warning = function(w) {
      notes <<- union(notes, paste0("glm.nb warning: ", conditionMessage(w)))
      invokeRestart("muffleWarning")
    })
  if (!is.null(fit) && all(is.finite(coef(fit))) && is.finite(fit$theta)) {
    start <- c(unname(coef(fit)), log(fit$theta))
    nb_theta <- fit$theta
  } else {
    nb_theta <- if (!is.null(fit)) fit$theta else NaN
    # fall back: Poisson fit + moment estimate of theta
    pf <- suppressWarnings(glm.fit(X, y, family = poisson(), offset = off,
                                   control = glm.control(maxit = 100)))
    mu <- pf$fitted.values
    th <- sum(mu^2) / max(sum((y - mu)^2 - mu), 1e-3 * sum(mu^2))
    start <- c(unname(pf$coefficients), log(min(th, exp(LOG_R_MAX))))
    start[!is.finite(start)] <- 0
  }
  nb_ll <- if (is.finite(start[p + 1]) && !is.na(nb_theta) && is.finite(nb_theta))
             loglik(start, y, X, off) else NaN
  pol <- polish(start, y, X, off)
  # Poisson limit and the sign of its overdispersion score: d l_profile / d(1/r) at 1/r = 0 equals
  # 0.5 * sum((y - mu)^2 - y) at the Poisson MLE; <= 0 means the supremum is at r = Inf.
  pp <- polish_poisson(pol$par[1:p], y, X, off)
  ct <- sum((y - pp$mu)^2 - y)
  status <- "ok"
  converged <- !pol$diverged && is.finite(pol$ll) && pol$grad_max < 1e-8 &&
               is.finite(pol$newton_step) && pol$newton_step < 1e-6
  beats_poisson <- pol$ll >= pp$ll - 1e-12 * max(1, abs(pp$ll))
  if (converged && beats_poisson && pol$par[p + 1] <= LOG_R_MAX) {
    status <- "ok"
  } else if (ct <= 0 || pol$diverged) {
    # supremum at r = Inf (Cameron-Trivedi score <= 0, or the polish ran off to LOG_R_CAP)
    status <- "theta_diverged"
    if (ct > 0) notes <- c(notes, sprintf("Poisson-limit score %.6g > 0 but no finite maximum found", ct / 2))
    notes <- c(notes, "no finite MLE of r: stored Poisson limit (log_r = Inf, Poisson MLE, Poisson loglik)")
    pol <- list(par = c(pp$par, Inf), ll = pp$ll, grad = pp$grad, grad_max = pp$grad_max,
                newton_step = pp$newton_step, iter = pp$iter)
  } else if (pol$par[p + 1] > LOG_R_MAX) {
    status <- "theta_diverged"
    notes <- c(notes, sprintf("finite MLE with large log_r = %.6g (flat profile)", pol$par[p + 1]))
  } else {
    status <- "not_converged"
  }
  if (any(abs(pol$par[1:p]) > 30)) {
    status <- if (status %in% c("ok", "not_converged")) "coef_diverged" else paste0(status, ",coef_diverged")
    notes <- c(notes, "a location coefficient runs to -Inf (zero counts in a design cell); values stored where the polish stopped")
  }
  list(par = pol$par, ll = pol$ll, ll_dnbinom = loglik_dnbinom(pol$par, y, X, off),
       status = status, grad_max = pol$grad_max, newton_step = pol$newton_step, iter = pol$iter,
       nb_theta = nb_theta, nb_ll = nb_ll, poisson_score = ct / 2,
       note = paste(notes, collapse = "; "))
}

ggp_fit <- function(Y, X, sf) {
  if (!have_ggp) return(NULL)
  fit <- tryCatch(glmGamPoi::glm_gp(Y, design = X, size_factors = sf,
                                    overdispersion_shrinkage = FALSE,
                                    do_cox_reid_adjustment = FALSE),
                  error = function(e) { message("glm_gp failed: ", conditionMessage(e)); NULL })
  if (is.null(fit)) return(NULL)
  od <- fit$overdispersions
  # evaluated with the same accurate formula as ours (plain dnbinom is off by ~1e-7 at size ~ e^23)
  ll <- vapply(seq_len(nrow(Y)), function(i)
    sum(nb_ll_obs(Y[i, ], if (od[i] > 0) 1 / od[i] else Inf, fit$Mu[i, ])), numeric(1))
  list(ll = ll, od = od, beta = fit$Beta)
}

run_dataset <- function(prefix, Y, X, sf) {
  stopifnot(is.matrix(Y), nrow(X) == ncol(Y), length(sf) == ncol(Y))
  obs <- colnames(Y)
  pn <- colnames(X)
  p <- length(pn)
  # inputs
  write_tsv(data.frame(gene_id = rownames(Y), apply(Y, 2, function(v) sprintf("%d", as.integer(v))),
                       check.names = FALSE, stringsAsFactors = FALSE),
            file.path(out_dir, paste0(prefix, "_counts.tsv")))
  write_tsv(data.frame(observation = obs, apply(X, 2, function(v) sprintf("%d", as.integer(v))),
                       check.names = FALSE, stringsAsFactors = FALSE),
            file.path(out_dir, paste0(prefix, "_loc_design.tsv")))
  write_tsv(data.frame(observation = obs, size_factor = fmt(sf), stringsAsFactors = FALSE),
            file.path(out_dir, paste0(prefix, "_size_factors.tsv")))
  # fits
  res <- lapply(seq_len(nrow(Y)), function(i) fit_one(Y[i, ], X, sf))
  gg <- ggp_fit(Y, X, sf)
  coefm <- t(vapply(res, function(r) r$par, numeric(p + 1)))
  ref <- data.frame(feature = rownames(Y), stringsAsFactors = FALSE)
  for (j in seq_len(p)) ref[[pn[j]]] <- fmt(coefm[, j])
  ref$log_r <- fmt(coefm[, p + 1])
  ref$loglik <- fmt(vapply(res, function(r) r$ll, 0))
  ref$status <- vapply(res, function(r) r$status, "")
  if (!is.null(gg)) ref$glmgampoi_loglik <- fmt(gg$ll)
  write_tsv(ref, file.path(out_dir, paste0(prefix, "_reference.tsv")))
  # diagnostics (not part of the comparison contract)
  diag <- data.frame(feature = rownames(Y),
                     max_abs_grad = fmt(vapply(res, function(r) r$grad_max, 0)),
                     newton_step = fmt(vapply(res, function(r) r$newton_step, 0)),
                     newton_iterations = vapply(res, function(r) as.character(r$iter), ""),
                     poisson_limit_score = fmt(vapply(res, function(r) r$poisson_score, 0)),
                     loglik_dnbinom = fmt(vapply(res, function(r) r$ll_dnbinom, 0)),
                     glmnb_log_theta = fmt(log(vapply(res, function(r) r$nb_theta, 0))),
                     glmnb_loglik = fmt(vapply(res, function(r) r$nb_ll, 0)),
                     stringsAsFactors = FALSE)
  if (!is.null(gg)) diag$glmgampoi_log_r <- fmt(-log(gg$od))
  diag$notes <- vapply(res, function(r) gsub("[\t\n]", " ", r$note), "")
  write_tsv(diag, file.path(out_dir, paste0(prefix, "_diagnostics.tsv")))
  list(res = res, gg = gg, coef = coefm, features = rownames(Y))
}

summarise <- function(name, out) {
  st <- vapply(out$res, function(r) r$status, "")
  gm <- vapply(out$res, function(r) r$grad_max, 0)
  ns <- vapply(out$res, function(r) r$newton_step, 0)
  ll <- vapply(out$res, function(r) r$ll, 0)
  lld <- vapply(out$res, function(r) r$ll_dnbinom, 0)
  nbll <- vapply(out$res, function(r) r$nb_ll, 0)
  lr <- out$coef[, ncol(out$coef)]
  ok <- st == "ok"
  cat(sprintf("[%s] features %d; status: %s\n", name, length(st),
              paste(names(table(st)), table(st), sep = "=", collapse = ", ")))
  cat(sprintf("[%s] ok: max |grad| %.3g, max |grad|/max(1,|ll|) %.3g, max Newton step %.3g, log_r range [%.3g, %.3g]\n",
              name, max(gm[ok]), max(gm[ok] / pmax(1, abs(ll[ok]))), max(ns[ok]),
              min(lr[ok]), max(lr[ok])))
  cat(sprintf("[%s] all: max |grad| %.3g, max Newton step %.3g\n", name, max(gm), max(ns, na.rm = TRUE)))
  cat(sprintf("[%s] ok: |loglik - sum(dnbinom)| max %.3g; all: max %.3g\n", name,
              max(abs(ll - lld)[ok]), max(abs(ll - lld))))
  cat(sprintf("[%s] ok: loglik gain of polish over glm.nb: max %.3g, min %.3g\n", name,
              max((ll - nbll)[ok], na.rm = TRUE), min((ll - nbll)[ok], na.rm = TRUE)))
  if (!is.null(out$gg)) {
    d <- ll - out$gg$ll
    lr_ggp <- -log(out$gg$od)
    cat(sprintf("[%s] all: loglik(ours) - loglik(glmGamPoi): min %.3g, median %.3g, max %.3g\n",
                name, min(d), median(d), max(d)))
    cat(sprintf("[%s] ok: |log_r - glmGamPoi log_r| median %.3g, max %.3g (feature %s)\n",
                name, median(abs(lr - lr_ggp)[ok]), max(abs(lr - lr_ggp)[ok]),
                out$features[ok][which.max(abs(lr - lr_ggp)[ok])]))
    cat(sprintf("[%s] all: largest loglik gap to glmGamPoi at feature %s\n", name,
                out$features[which.max(d)]))
    db <- abs(out$coef[, -ncol(out$coef), drop = FALSE] - out$gg$beta)
    cat(sprintf("[%s] ok: |location coef - glmGamPoi Beta| median %.3g, max %.3g\n",
                name, median(db[ok, ]), max(db[ok, ])))
  }
}

# ============================== dataset 1: pasilla ===============================================
cts <- as.matrix(read.delim(file.path(data_dir, "pasilla", "counts.tsv"), row.names = 1,
                            check.names = FALSE))
storage.mode(cts) <- "integer"
smp <- read.delim(file.path(data_dir, "pasilla", "samples.tsv"), check.names = FALSE,
                  stringsAsFactors = FALSE)
stopifnot(identical(smp[[1]], colnames(cts)))
coldata <- data.frame(type = factor(smp$type), condition = relevel(factor(smp$condition), "untreated"))
Xp <- model.matrix(~ type + condition, coldata)
attr(Xp, "assign") <- NULL; attr(Xp, "contrasts") <- NULL
rownames(Xp) <- colnames(cts)
# DESeq2 median of ratios over genes with all counts > 0 (all genes of the file)
pos <- rowSums(cts > 0) == ncol(cts)
lgm <- rowMeans(log(cts[pos, , drop = FALSE]))
sf_p <- apply(cts[pos, , drop = FALSE], 2, function(v) exp(median(log(v) - lgm)))
sel <- which(rowSums(cts) >= 10)[1:300]
Yp <- cts[sel, , drop = FALSE]
cat("pasilla design columns:", paste(colnames(Xp), collapse = ", "), "\n")
cat("pasilla size factors:", paste(signif(sf_p, 6), collapse = " "), "\n")
out_p <- run_dataset("pasilla", Yp, Xp, sf_p)
summarise("pasilla", out_p)

# ============================== dataset 2: simulated single cell =================================
set.seed(20240611)
n_feat <- 200; n_cell <- 500
group <- factor(rep(c("A", "B"), each = n_cell / 2))
sf_s <- exp(rnorm(n_cell, 0, 0.5))
sf_s <- sf_s / exp(mean(log(sf_s)))
base_mean <- exp(runif(n_feat, log(0.05), log(20)))
theta <- exp(runif(n_feat, log(0.5), log(10)))
lfc <- numeric(n_feat)
eff <- sample(n_feat, n_feat / 2)
lfc[eff] <- rnorm(length(eff), 0, 1)
Xs <- model.matrix(~ group)
attr(Xs, "assign") <- NULL; attr(Xs, "contrasts") <- NULL
cells <- sprintf("cell%03d", seq_len(n_cell))
rownames(Xs) <- cells
Ys <- matrix(0L, n_feat, n_cell, dimnames = list(sprintf("gene%03d", seq_len(n_feat)), cells))
for (i in seq_len(n_feat)) {
  mu <- base_mean[i] * sf_s * exp(lfc[i] * (group == "B"))
  Ys[i, ] <- as.integer(rnbinom(n_cell, size = theta[i], mu = mu))
}
keep <- rowSums(Ys) > 0 & rowSums(Ys[, group == "A", drop = FALSE]) > 0 &
  rowSums(Ys[, group == "B", drop = FALSE]) > 0
cat(sprintf("singlecell: dropped %d of %d features (all zero or a group all zero)\n",
            sum(!keep), n_feat))
Ys <- Ys[keep, , drop = FALSE]
out_s <- run_dataset("singlecell", Ys, Xs, sf_s)
summarise("singlecell", out_s)
# true values of the simulation, for information
write_tsv(data.frame(feature = rownames(Ys), `(Intercept)` = fmt(log(base_mean[keep])),
                     groupB = fmt(lfc[keep]), log_r = fmt(log(theta[keep])),
                     check.names = FALSE, stringsAsFactors = FALSE),
          file.path(out_dir, "singlecell_truth.tsv"))

# ============================== dataset 3: pasilla without size factors ==========================
# The same 300 genes and design with every size factor 1: the reference of the
# issue's command line `nbglm fit --counts pasilla/counts.tsv --samples
# pasilla/samples.tsv --loc "~ type + condition" --ref condition=untreated`.
out_n <- run_dataset("pasilla_nosf", Yp, Xp, setNames(rep(1, ncol(Yp)), colnames(Yp)))
summarise("pasilla_nosf", out_n)

cat("R:", R.version.string, "; MASS", as.character(packageVersion("MASS")),
    if (have_ggp) paste("; glmGamPoi", as.character(packageVersion("glmGamPoi"))) else "; glmGamPoi not available",
    "\n")
