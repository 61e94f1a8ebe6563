// Inference (docs/model.md §5): Wald tests of a coefficient or any contrast,
// likelihood-ratio tests of nested models, Benjamini–Hochberg adjustment.
// Where a feature's estimate is not trustworthy (not fitted, not converged,
// or its standard error is undefined), the test reports NaN and the feature's
// status — never a made-up number.
#ifndef NBGLM_INFERENCE_H_
#define NBGLM_INFERENCE_H_

#include <string>
#include <vector>

#include "nbglm/fit.h"
#include "nbglm/model.h"

namespace nbglm {

struct TestResult {
  std::vector<std::string> feature_names;
  std::vector<double> estimate;   // cᵀa (Wald) or 2Δℓ (LRT: the estimate column holds Δℓ)
  std::vector<double> se;         // standard error of cᵀa (NaN for LRT)
  std::vector<double> statistic;  // z = estimate / se, or the LR statistic 2Δℓ
  std::vector<double> pvalue;
  std::vector<double> padj;       // Benjamini–Hochberg over the non-NaN p-values
  std::vector<std::string> status;
  double df = 1.0;                // degrees of freedom (LRT)

  // TSV: feature, estimate, se, statistic, pvalue, padj, status.
  std::string ToTsv() const;
};

enum class Predictor { kLocation, kScale };

// Wald test of cᵀa for a contrast c over one predictor's full parameters a
// (length p or p_s): Var(cᵀa) = (Bᵀc)ᵀ Cov(θ) (Bᵀc), z ~ N(0, 1) two-sided.
// Estimable for converged features, and for at_bound features whose tested
// predictor did not hit the bound. Throws InputError for a wrong length.
TestResult WaldTest(const FitResult& fit, const NbGlmModel& model, const std::vector<double>& contrast,
                    Predictor predictor = Predictor::kLocation);
// The contrast e_j of the parameter named `name` (location names first, then
// scale names; "loc:NAME" / "scale:NAME" pick the predictor, e.g.
// "scale:(Intercept)"). Throws InputError naming the available parameters.
TestResult WaldTestCoefficient(const FitResult& fit, const NbGlmModel& model, const std::string& name);

// Likelihood-ratio test of a reduced model nested in the full one, fitted to
// the same features: 2(ℓ_full − ℓ_reduced) ~ χ²(df), df = difference in free
// parameters. Throws InputError when the fits do not line up or df ≤ 0.
TestResult LikelihoodRatioTest(const FitResult& full, const NbGlmModel& full_model, const FitResult& reduced,
                               const NbGlmModel& reduced_model);

// Likelihood-ratio test for overdispersion: an NB fit with an intercept-only
// scale model against the Poisson fit (FitOptions::noise) of the same
// location model and features. The Poisson is the NB's r = ∞, a boundary of
// its parameter space, so under the Poisson 2(ℓ_NB − ℓ_Poisson) follows the
// 50:50 mixture of a point mass at 0 and χ²(1) (Self & Liang 1987):
// p = ½·P(χ²₁ ≥ t) for t > 0 and 1 at t = 0 (an NB fit at the Poisson
// limit). The estimate column holds Δℓ; df is 1. Throws InputError when the
// fits do not line up or the NB's scale model is not intercept-only.
TestResult OverdispersionTest(const FitResult& nb, const NbGlmModel& nb_model, const FitResult& poisson);

// Benjamini–Hochberg step-up adjusted p-values; NaN entries stay NaN and do
// not count towards the number of tests.
std::vector<double> BenjaminiHochberg(const std::vector<double>& pvalues);

}  // namespace nbglm

#endif  // NBGLM_INFERENCE_H_
