// Empirical-Bayes prior of the quasi-likelihood dispersions (docs/de.md
// "Shrinkage"), Smyth's (2004) model as glmGamPoi's variance_prior fits it:
// each feature's s²_g (on d residual degrees of freedom) is s0²_g · F(d, d0),
// i.e. its true value is drawn from a scaled inverse χ² with d0 degrees of
// freedom around s0²_g. (s0², d0) are fitted by maximum likelihood of that
// F density; with a covariate (the feature's mean), log s0² is a natural
// cubic spline in log mean (4 degrees of freedom, knots at the ends and at
// ⅓, ⅔ of the range), as in Lund et al. (2012). The posterior
//   s²_post = (d0·s0² + d·s²)/(d0 + d)
// has d0 + d degrees of freedom in the QL F test. Internal header.
#ifndef NBGLM_SRC_DE_VARIANCE_PRIOR_H_
#define NBGLM_SRC_DE_VARIANCE_PRIOR_H_

#include <string>
#include <vector>

namespace nbglm::de {

struct VariancePrior {
  std::vector<double> prior_variance;   // s0² per feature (NaN where s² is)
  double prior_df = 0.0;                // d0; +inf when the s² show no spread beyond sampling
  std::vector<double> posterior_variance;
  bool trended = false;                 // the spline in log covariate was fitted
  bool converged = false;
};

// Log density of the F(d1, d2) distribution at x > 0, stable for large d2.
double LogFDensity(double x, double d1, double d2);

// s2: per-feature values, > 0 or NaN (NaN: not used, posterior NaN); df: the
// residual degrees of freedom d (> 0) shared by every feature. covariate:
// empty, or one mean per feature (a trend is fitted when `trend` and at
// least 10 features have covariate > 1e-8). Throws InputError when fewer
// than 2 usable values remain or an s² is ≤ 0.
VariancePrior FitVariancePrior(const std::vector<double>& s2, double df, const std::vector<double>& covariate,
                               bool trend);

}  // namespace nbglm::de

#endif  // NBGLM_SRC_DE_VARIANCE_PRIOR_H_
