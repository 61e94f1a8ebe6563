# Reference values for the differential-expression (DE) layer, computed by the peers
# themselves (edgeR, glmGamPoi, DESeq2). R is not part of the test suite: this script made the
# TSV files next to it once; the C++ tests only read the TSVs. See README.md here for each file.
#
# Usage (from the repository root):
#   Rscript tests/data/de/make_de_reference.R /work/shared/data tests/data/de
# Takes ~2 minutes on 2 cores (DESeq2 on bottomly is the slow part).
#
# Every number is written with sprintf("%.17g") (round-trip exact); NA is written as NaN.
suppressPackageStartupMessages({
  library(edgeR); library(glmGamPoi); library(DESeq2)
})
args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[1] else "/work/shared/data"
out_dir <- if (length(args) >= 2) args[2] else "tests/data/de"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# Numeric columns -> %.17g, NA/NaN -> "NaN" (what the C++ parser reads), everything else as is.
write_tsv <- function(df, name) {
  for (j in seq_along(df)) {
    if (is.double(df[[j]])) {
      v <- sprintf("%.17g", df[[j]])
      v[is.na(df[[j]])] <- "NaN"
      df[[j]] <- v
    }
  }
  write.table(df, file.path(out_dir, name), sep = "\t", quote = FALSE, row.names = FALSE)
  cat("wrote", name, ":", nrow(df), "rows\n")
}
read_counts <- function(name) {
  m <- as.matrix(read.delim(file.path(data_dir, name, "counts.tsv"), row.names = 1, check.names = FALSE))
  storage.mode(m) <- "integer"
  m
}
read_samples <- function(name) {
  read.delim(file.path(data_dir, name, "samples.tsv"), check.names = FALSE, stringsAsFactors = FALSE)
}

## ---- pasilla: counts, design, size factors --------------------------------------------------
pas <- read_counts("pasilla")
pas_s <- read_samples("pasilla")
stopifnot(identical(pas_s$sample, colnames(pas)))
pas_s$condition <- relevel(factor(pas_s$condition), ref = "untreated")
pas_s$type <- factor(pas_s$type)           # alphabetical: paired-end is the reference
pas_X <- model.matrix(~ type + condition, data = pas_s)
# DESeq2 median of ratios over ALL genes of the file.
pas_sf <- estimateSizeFactorsForMatrix(pas)
write_tsv(data.frame(sample = colnames(pas), size_factor = unname(pas_sf)), "size_factors_pasilla.tsv")

## ---- 1. gene choice for the APL / Cox-Reid references ----------------------------------------
tot <- rowSums(pas)
eligible <- which(tot >= 10)
k <- floor(length(eligible) / 40)
spread <- eligible[k * seq_len(40)]                 # every k-th eligible gene, in file order
untr <- pas_s$condition == "untreated"
one_group_zero <- which(tot >= 10 & (rowSums(pas[, untr]) == 0 | rowSums(pas[, !untr]) == 0))
one_group_zero <- head(setdiff(one_group_zero, spread), 5)   # first 5 in file order
genes <- sort(c(spread, one_group_zero))
kind <- ifelse(genes %in% one_group_zero, "one_group_zero", "spread")
write_tsv(data.frame(gene = rownames(pas)[genes], kind = kind, total_count = as.integer(tot[genes])),
          "apl_pasilla_genes.tsv")
off <- log(pas_sf)

# edgeR::adjustedProfileLik (edgeR 3.40): refits the NB GLM at the FIXED dispersion phi with
# glmFit(prior.count = 0) and returns, per gene, the full NB log-likelihood at that fit
# (sum of log dnbinom(y; mu, size = 1/phi), lgamma terms included) minus the Cox-Reid term
# 0.5 * log det(X' W X), W = diag(mu / (1 + phi * mu)). edgeR computes the determinant by an
# LDL' factorisation and floors each diagonal element at 1e-10, which only matters when some
# fitted means go to zero (the one_group_zero genes, whose fold change is infinite: there the
# value depends on where edgeR's iterations stopped and on that floor).
# edgeR's glmFit stops at a loose tolerance, so its default `apl` carries a fitting error of up
# to ~1e-4 absolute (the Cox-Reid term is first order in the coefficient error). Hence two more
# columns: apl_edger_at_mle = the same edgeR call started at our converged MLE (edgeR's formula
# at the exact fit), and apl_own = our own evaluation of the formula above at our own fit
# (dnbinom + determinant(), nothing of edgeR).
# Newton's method with step halving on the NB log-likelihood. The log-likelihood is concave in
# the coefficients (d2/d eta2 = -(y + r) r mu / (r + mu)^2, r = 1/phi), so Newton steps with the
# observed information converge quadratically; Fisher scoring (IRLS) crawls for phi >~ 2 with
# small counts. Returns converged = FALSE when no finite MLE is reached (a group all zero).
own_irls <- function(y, X, off, phi) {
  r <- 1 / phi
  ll <- function(b) sum(dnbinom(y, size = r, mu = exp(drop(X %*% b) + off), log = TRUE))
  beta <- qr.solve(X, log(pmax(y, 0.5)) - off)
  cur <- ll(beta)
  for (it in 1:200) {
    mu <- exp(drop(X %*% beta) + off)
    h <- (y + r) * r * mu / (r + mu)^2
    step <- tryCatch(drop(solve(crossprod(X, h * X), crossprod(X, r * (y - mu) / (r + mu)))),
                     error = function(e) NULL)
    if (is.null(step)) break                 # information singular: fitted means went to zero
    t <- 1                                   # halve only on a real decrease, not on rounding
    while (t > 1e-10 && !(ll(beta + t * step) >= cur - 1e-12 * abs(cur))) t <- t / 2
    beta <- beta + t * step
    cur <- ll(beta)
    if (max(abs(t * step)) < 1e-13 * (1 + max(abs(beta)))) break
  }
  mu <- exp(drop(X %*% beta) + off)
  score <- crossprod(X, (y - mu) / (1 + phi * mu))
  list(beta = beta, mu = mu, converged = all(is.finite(mu)) && max(abs(score)) < 1e-8 * (1 + sum(y)))
}
apl_own <- function(y, X, off, phi, fit = own_irls(y, X, off, phi)) {
  if (!fit$converged) return(NA_real_)
  w <- fit$mu / (1 + phi * fit$mu)
  ll <- sum(dnbinom(y, size = 1 / phi, mu = fit$mu, log = TRUE))
  ll - 0.5 * as.numeric(determinant(crossprod(X, w * X), logarithm = TRUE)$modulus)
}
phis <- c(1e-4, 0.01, 0.05, 0.2, 1.0)
apl_rows <- list()
for (i in seq_along(genes)) {
  y <- pas[genes[i], , drop = FALSE]
  finite_mle <- kind[i] != "one_group_zero"   # a group all zero: the MLE is at -Inf, no own value
  for (phi in phis) {
    a <- adjustedProfileLik(dispersion = phi, y = y, design = pas_X, offset = matrix(off, nrow = 1))
    f <- own_irls(as.numeric(y), pas_X, off, phi)
    at_mle <- if (finite_mle && f$converged)
      adjustedProfileLik(phi, y, pas_X, matrix(off, nrow = 1), start = matrix(f$beta, nrow = 1)) else NA_real_
    own <- if (finite_mle) apl_own(as.numeric(y), pas_X, off, phi, f) else NA_real_
    apl_rows[[length(apl_rows) + 1]] <- data.frame(gene = rownames(pas)[genes[i]], dispersion = phi, apl = a,
                                                   apl_edger_at_mle = at_mle, apl_own = own)
  }
}
apl_tab <- do.call(rbind, apl_rows)
write_tsv(apl_tab, "apl_pasilla.tsv")
cat("APL: max |edgeR default - own| =", format(max(abs(apl_tab$apl - apl_tab$apl_own), na.rm = TRUE), digits = 3),
    "; max |edgeR at MLE - own| =", format(max(abs(apl_tab$apl_edger_at_mle - apl_tab$apl_own), na.rm = TRUE), digits = 3),
    "\n")

## ---- 2. per-gene Cox-Reid dispersion ---------------------------------------------------------
# edgeR::dispCoxReid(y, design, offset, interval, tol, min.row.sum = 5) maximises the summed APL
# with optimize() over phi^(1/4) in interval^(1/4); with one row (total >= 5) it is exactly the
# per-gene Cox-Reid estimate (its tol is on the phi^(1/4) scale). Its APL carries edgeR's fitting
# error (see above), which moves the argmax of a flat APL by up to a few 1e-5 relative (more for
# phi > 1, where the APL is very flat). So we also maximise our own precise APL over log(phi) in
# [log 1e-8, log 10] with optimize(tol = 1e-10): dispersion_cr_own, with its APL apl_own_at_cr.
# Poisson limit: when the own maximiser is below 1e-6 the APL keeps rising towards phi -> 0 (a
# dispersion < 1e-6 changes the variance mu + phi mu^2 by a negligible amount): both dispersion
# columns are then 0 and poisson_limit = 1 (edgeR's raw value, which lands anywhere in
# [1e-8, 1e-7] by noise, is kept in dispersion_cr_edger_raw). one_group_zero genes have no own
# value (NaN); for them dispersion_cr is edgeR's value, which depends on edgeR's stopping point.
lo <- 1e-8; hi <- 10
cr_rows <- list()
for (i in seq_along(genes)) {
  y <- pas[genes[i], , drop = FALSE]
  e <- dispCoxReid(y = y, design = pas_X, offset = matrix(off, nrow = 1), interval = c(lo, hi), tol = 1e-10)
  own <- NA_real_; own_apl <- NA_real_; pois <- FALSE
  if (kind[i] != "one_group_zero") {
    o <- optimize(function(lp) apl_own(as.numeric(y), pas_X, off, exp(lp)), c(log(lo), log(hi)),
                  maximum = TRUE, tol = 1e-10)
    own <- exp(o$maximum); own_apl <- o$objective
    pois <- own < 1e-6
  }
  cr_rows[[length(cr_rows) + 1]] <- data.frame(
    gene = rownames(pas)[genes[i]], dispersion_cr = if (pois) 0 else e, poisson_limit = as.integer(pois),
    dispersion_cr_own = if (pois) 0 else own, apl_own_at_cr = own_apl,
    dispersion_cr_edger_raw = e, apl_edger_at_raw = adjustedProfileLik(e, y, pas_X, matrix(off, nrow = 1)))
}
write_tsv(do.call(rbind, cr_rows), "cr_dispersion_pasilla.tsv")

## ---- 3. quasi-likelihood F test of glmGamPoi, edgeR QL and DESeq2 Wald p-values --------------
de_reference <- function(counts, X, coef, sf, file, deseq_coldata, deseq_design) {
  # filterByExpr on the raw count matrix: lib.size = colSums(counts), no norm factors.
  kept <- filterByExpr(counts, design = X)
  write_tsv(data.frame(gene = rownames(counts), kept = as.integer(kept)), sub(".tsv", "_kept.tsv", file, fixed = TRUE))
  yk <- counts[kept, , drop = FALSE]
  fit <- glm_gp(yk, design = X, size_factors = sf, overdispersion = TRUE, overdispersion_shrinkage = TRUE)
  # test_de parses `contrast` as an R expression: a column name such as strainDBA/2J must be
  # backquoted, else it reads as a division.
  res <- test_de(fit, contrast = paste0("`", coef, "`"))
  sl <- fit$overdispersion_shrinkage_list
  # edgeR with the same size factors: lib.size = sf * constant, norm.factors = 1, so that
  # offset = log(lib.size) = log(sf) + const (the constant goes into the intercept) and
  # aveLogCPM (the abundance covariate of edgeR's trends) uses the same normalisation.
  dge <- DGEList(yk, lib.size = unname(sf) * exp(mean(log(colSums(counts)))))
  dge <- estimateDisp(dge, X)
  qf <- glmQLFTest(glmQLFit(dge, X), coef = coef)
  # DESeq2 on the same kept genes with the same size factors (sizeFactors<- before DESeq);
  # default results(): Cook's-distance outliers get pvalue NA.
  dds <- DESeqDataSetFromMatrix(yk, deseq_coldata, deseq_design)
  sizeFactors(dds) <- unname(sf)
  dds <- DESeq(dds, quiet = TRUE)
  dr <- results(dds, name = tail(resultsNames(dds), 1))
  write_tsv(data.frame(gene = res$name, pval = res$pval, f_statistic = res$f_statistic, df1 = as.double(res$df1),
                       df2 = res$df2, lfc = res$lfc, overdispersion_mle = fit$overdispersions,
                       dispersion_trend = sl$dispersion_trend, ql_disp_estimate = sl$ql_disp_estimate,
                       ql_disp_trend = sl$ql_disp_trend, ql_disp_shrunken = sl$ql_disp_shrunken,
                       ql_df0 = rep(sl$ql_df0, nrow(res)), deviance = fit$deviances,
                       edger_pval = qf$table$PValue, deseq2_pval = dr$pvalue), file)
  cat(file, ": ", sum(kept), " of ", nrow(counts), " genes kept, ql_df0 = ", format(sl$ql_df0, digits = 6),
      ", glmGamPoi p<0.05: ", sum(res$pval < 0.05, na.rm = TRUE), "\n", sep = "")
}
# DESeq2 wants syntactically valid level names ("single-read" is not): rename for DESeq2 only
# (the reference level, and so the tested coefficient, stays the same).
pas_ds <- pas_s
levels(pas_ds$type) <- make.names(levels(pas_ds$type))
de_reference(pas, pas_X, "conditiontreated", pas_sf, "glmgampoi_test_de_pasilla.tsv",
             pas_ds, ~ type + condition)

bot <- read_counts("bottomly")
bot_s <- read_samples("bottomly")
stopifnot(identical(bot_s$sample, colnames(bot)))
bot_s$experiment_number <- factor(bot_s$experiment_number)
bot_s$strain <- factor(bot_s$strain)                # C57BL/6J is the reference (alphabetical)
bot_X <- model.matrix(~ experiment_number + strain, data = bot_s)
bot_sf <- estimateSizeFactorsForMatrix(bot)
write_tsv(data.frame(sample = colnames(bot), size_factor = unname(bot_sf)), "size_factors_bottomly.tsv")
# The same renaming for DESeq2 ("DBA/2J" -> "DBA.2J").
bot_ds <- bot_s
levels(bot_ds$strain) <- make.names(levels(bot_ds$strain))
de_reference(bot, bot_X, "strainDBA/2J", bot_sf, "glmgampoi_test_de_bottomly.tsv",
             bot_ds, ~ experiment_number + strain)

## ---- 4. glmGamPoi::loc_median_fit --------------------------------------------------------------
set.seed(1)
x <- rexp(500)
y <- rexp(500) * (1 + x)
write_tsv(data.frame(x = x, y = y, fit = loc_median_fit(x, y), fit_npoints_100 = loc_median_fit(x, y, npoints = 100)),
          "loc_median_fit_reference.tsv")
# Small inputs. Defaults on 7 points give npoints = max(1, round(0.7)) = 1: the fit is y itself.
# npoints = 3 and 7 exercise the window and its edges (the first/last half-window copy the
# nearest computed value). With an even npoints equal to n (6 of 6) the window does not fit
# (end < start) and glmGamPoi returns one weighted median of y with dnorm weights taken in the
# ORIGINAL order of y, not the x order: a quirk worth matching.
x7 <- x[1:7]; y7 <- y[1:7]
write_tsv(data.frame(x7 = x7, y7 = y7, fit7 = loc_median_fit(x7, y7),
                     fit7_npoints_3 = loc_median_fit(x7, y7, npoints = 3),
                     fit7_npoints_7 = loc_median_fit(x7, y7, npoints = 7)), "loc_median_fit_small.tsv")
x6 <- x[1:6]; y6 <- y[1:6]
write_tsv(data.frame(x6 = x6, y6 = y6, fit6_npoints_6 = loc_median_fit(x6, y6, npoints = 6)),
          "loc_median_fit_even.tsv")

cat(R.version.string, "| edgeR", as.character(packageVersion("edgeR")), "| glmGamPoi",
    as.character(packageVersion("glmGamPoi")), "| DESeq2", as.character(packageVersion("DESeq2")),
    "| limma", as.character(packageVersion("limma")), "\n")
