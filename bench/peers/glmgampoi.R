# glmGamPoi peer: glm_gp with one overdispersion per feature, exact MLE as
# glmGamPoi computes it: no overdispersion shrinkage, no Cox-Reid adjustment,
# the benchmark's size factors, the data set's design matrix, in memory, one thread.
# Usage: Rscript glmgampoi.R SET_DIR OUT_DIR
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))), "common.R"))
set <- read_set(args[1])
suppressPackageStartupMessages(library(glmGamPoi))
t <- timed(glm_gp(set$counts, design = set$design, size_factors = set$size_factors,
                  overdispersion = TRUE, overdispersion_shrinkage = FALSE,
                  do_cox_reid_adjustment = FALSE, on_disk = FALSE, verbose = FALSE))
fit <- t$value
write_estimates(args[2], rownames(set$counts), fit$Beta, fit$overdispersions, colnames(set$design))
write_fit_seconds(args[2], t$seconds,
                  sprintf("glmGamPoi %s glm_gp(overdispersion_shrinkage=FALSE, do_cox_reid_adjustment=FALSE)",
                          packageVersion("glmGamPoi")))
