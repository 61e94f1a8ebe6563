// Differential expression on small experiments (docs/de.md): per-feature
// NB GLMs whose dispersions borrow strength across features, and tests whose
// p-values are calibrated with 3–5 replicates per group.
//
// The default pipeline (method kQuasiLikelihood, dispersion kShrunk), as
// glmGamPoi's glm_gp + test_de run it:
//  1. filter features as edgeR's filterByExpr (reported as status "filtered");
//  2. per feature: the location GLM at a rough φ, the Cox–Reid adjusted
//     profile-likelihood φ at those means, the GLM again at that φ, and the
//     Cox–Reid φ once more;
//  3. a mean–dispersion trend: local weighted median of those φ along the
//     mean (Poisson-limit estimates φ = 0 included: they are real estimates);
//  4. the GLM at the trended φ, full and reduced model: deviances;
//  5. quasi-likelihood dispersions s² = (1 + m·φ̂)/(1 + m·φ_trend) (m: the
//     feature's mean fitted mean), squeezed to an empirical-Bayes prior
//     (s0² trended in the mean, d0 prior degrees of freedom);
//  6. F = (D_reduced − D_full)/df1/s²_post on (df1, d0 + n − q) degrees of
//     freedom; Benjamini–Hochberg over the tested features.
// kWald / kLikelihoodRatio with kShrunk refit at the per-feature NB
// dispersion that the posterior s²_post implies, φ_post = (s²_post(1 +
// m·φ_trend) − 1)/m (≥ 0), and test with z / χ². kMle uses the exact joint
// maximum-likelihood fit (nbglm/fit.h) and its Wald / LR tests, with any
// scale model; it is the right choice with many observations, not with few.
//
// Thread-safety: DifferentialExpression is reentrant; it runs its own
// threads (options.num_threads) and results are bit-identical for any count.
#ifndef NBGLM_DE_H_
#define NBGLM_DE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nbglm/counts.h"
#include "nbglm/model.h"
#include "nbglm/types.h"

namespace nbglm {

enum class DeMethod { kQuasiLikelihood, kWald, kLikelihoodRatio };
enum class DispersionMethod { kShrunk, kMle };
const char* ToString(DeMethod method);            // "ql" | "wald" | "lrt"
const char* ToString(DispersionMethod method);    // "shrunk" | "mle"
// Parse the names above; throw InputError naming `option` otherwise.
DeMethod ParseDeMethod(const std::string& name, const std::string& option = "--method");
DispersionMethod ParseDispersionMethod(const std::string& name, const std::string& option = "--dispersion");

// What is tested: either a contrast c over the location parameters a
// (H0: cᵀa = 0; a coefficient is c = e_j) or a reduced location model nested
// in the full one (H0: the reduced model). The scale model is never tested.
struct DeHypothesis {
  std::vector<double> contrast;                      // length p, or empty
  std::optional<LinearPredictor> reduced_location;   // or this
  std::string description;                           // for the report

  // e_j of the location parameter `name`; throws InputError listing the names.
  static DeHypothesis Coefficient(const NbGlmModel& model, const std::string& name);
  static DeHypothesis Contrast(std::vector<double> contrast, std::string description);
  static DeHypothesis Reduced(LinearPredictor reduced_location, std::string description);
};

struct DeOptions {
  DeMethod method = DeMethod::kQuasiLikelihood;
  DispersionMethod dispersion = DispersionMethod::kShrunk;
  // edgeR's filterByExpr rule (docs/de.md "Filtering"): keep a feature with
  // CPM ≥ min_count/median library size (in millions) in at least k
  // observations — k the smallest group size, 1/max leverage of the design,
  // above large_n moved towards it by min_prop — and a total of at least
  // min_total_count. Library sizes are the column totals.
  bool filter = true;
  double min_count = 10.0;
  double min_total_count = 15.0;
  double large_n = 10.0;
  double min_prop = 0.7;
  int num_threads = 0;  // 0: all cores
  // Polled from the worker threads between chunks of features; returning
  // true stops the run, and DifferentialExpression throws FitCancelled
  // (nbglm/fit.h). Must be thread-safe. May be empty.
  std::function<bool()> cancel;

  // Returns true when valid; else sets *error to "option: value: rule".
  bool IsValid(std::string* error) const;
};

struct DeResult {
  std::vector<std::string> feature_names;
  std::vector<double> base_mean;         // mean of y/s over observations
  std::vector<double> estimate;          // cᵀa, natural log (NaN for a reduced model or not estimable)
  std::vector<double> log2_fold_change;  // estimate / log 2
  std::vector<double> se;                // of the estimate (QL: scaled by √s²_post)
  std::vector<double> statistic;         // F (ql), z (wald), LR χ² (lrt)
  std::vector<double> df1, df2;          // F degrees of freedom (ql); df1 for lrt
  std::vector<double> pvalue, padj;
  std::vector<double> dispersion;        // the NB φ = 1/r the test used
  std::vector<std::string> status;       // converged, at_bound, filtered, all_zero, max_iterations, numerical_failure

  DeMethod method = DeMethod::kQuasiLikelihood;
  DispersionMethod dispersion_method = DispersionMethod::kShrunk;
  std::string description;
  Index filtered = 0;
  double prior_df = 0.0;                 // d0 (shrunk only)
  bool prior_trended = false;
  double wall_seconds = 0.0;

  // TSV: feature, base_mean, estimate, log2_fold_change, se, statistic, df1,
  // df2, pvalue, padj, dispersion, status — one row per input feature.
  std::string ToTsv() const;
  // "de: METHOD (DISPERSION), HYPOTHESIS: F features, T tested, S at padj < 0.1, X filtered; statuses …"
  std::string BriefReport() const;
};

// Runs the pipeline above on every feature. `size_factors`: length n (> 0)
// or empty (all 1). Throws InputError for caller mistakes before any work:
// invalid options, a shape mismatch, a contrast of the wrong length or zero
// in the free parameters, a reduced model not nested in the full one,
// kShrunk with a scale model that has covariates (shrinkage is of one
// dispersion per feature; use kMle for scale models), kQuasiLikelihood with
// kMle, or fewer than 2 features to estimate a prior from.
DeResult DifferentialExpression(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors,
                                const DeHypothesis& hypothesis, const DeOptions& options = {});

// edgeR's filterByExpr on the reduced location design (see DeOptions);
// one flag per feature.
std::vector<bool> FilterByExpression(const CountMatrix& counts, const Matrix& reduced_design,
                                     const DeOptions& options = {});

}  // namespace nbglm

#endif  // NBGLM_DE_H_
