# DESeq2 peer: the two steps of DESeq() that fit the benchmark's model, with
# DESeq2's own code and the benchmark's size factors and design matrix:
#   1. estimateDispersionsGeneEst(useCR = FALSE, minmu = 1e-6): the gene-wise
#      dispersion MLE (no Cox-Reid; minmu as DESeq2 recommends for single
#      cell, used for every set; other arguments default, e.g. niter = 1);
#   2. dispersions <- the gene-wise estimates (the MAP / trend shrinkage steps,
#      estimateDispersionsFit and estimateDispersionsMAP, are skipped);
#   3. nbinomWaldTest(betaPrior = FALSE, minmu = 1e-6): IRLS for the
#      coefficients given those dispersions (+ standard errors, Wald tests).
# DESeq2's coefficients are log2; they are converted to natural log.
# Usage: Rscript deseq2.R SET_DIR OUT_DIR
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))), "common.R"))
set <- read_set(args[1])
suppressPackageStartupMessages(library(DESeq2))
x <- set$design
t <- timed({
  dds <- DESeqDataSetFromMatrix(set$counts, colData = data.frame(row.names = colnames(set$counts)), design = ~1)
  sizeFactors(dds) <- set$size_factors
  dds <- estimateDispersionsGeneEst(dds, useCR = FALSE, minmu = 1e-6, modelMatrix = x, quiet = TRUE)
  dispersions(dds) <- mcols(dds)$dispGeneEst
  dds <- nbinomWaldTest(dds, betaPrior = FALSE, modelMatrix = x, minmu = 1e-6, quiet = TRUE)
  dds
})
dds <- t$value
beta <- coef(dds) * log(2)
stopifnot(ncol(beta) == ncol(x))
write_estimates(args[2], rownames(set$counts), beta, dispersions(dds), colnames(x))
write_fit_seconds(args[2], t$seconds,
                  sprintf("DESeq2 %s estimateDispersionsGeneEst(useCR=FALSE, minmu=1e-6) + nbinomWaldTest(betaPrior=FALSE, minmu=1e-6)",
                          packageVersion("DESeq2")))
