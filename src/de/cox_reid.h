// The Cox–Reid adjusted profile likelihood of the NB size for one feature
// (docs/de.md "Cox–Reid"), and its maximiser at fixed means. Internal header.
//
// With ζ = log r (r = 1/φ) and the means μ_i held:
//   APL(ζ) = Σ_i ℓ_NB(y_i; μ_i, ζ) − ½ log det(X̃ᵀ W(ζ) X̃),  W_i = μ_i r/(r + μ_i).
// The adjustment removes the downward bias of the dispersion MLE that comes
// from estimating q location parameters from n observations (Cox & Reid
// 1987; edgeR, DESeq2 and glmGamPoi use it). X̃ is the reduced location design
// (X·B), so the adjustment is exact for constrained location models.
// Derivatives in ζ: with a_i = μ_i/(r + μ_i), ∂W_i/∂ζ = W_i a_i and
// ∂²W_i/∂ζ² = −W_i a_i (1 − 2a_i); for A = X̃ᵀWX̃,
//   ∂(−½ log det A)/∂ζ  = −½ tr(A⁻¹A'),
//   ∂²(−½ log det A)/∂ζ² = −½ [tr(A⁻¹A'') − tr(A⁻¹A'A⁻¹A')].
#ifndef NBGLM_SRC_DE_COX_REID_H_
#define NBGLM_SRC_DE_COX_REID_H_

#include <vector>

#include <Eigen/Dense>

#include "de/fixed_dispersion_glm.h"
#include "estimator/small_cholesky.h"
#include "nbglm/types.h"

namespace nbglm::de {

struct CoxReidOptions {
  // The search range of r (overdispersion 1/r in [1/max_size, 1/min_size]).
  double min_size = 1e-8;
  double max_size = 1e8;
  int max_iterations = 100;
  double tolerance = 1e-8;  // on ζ: φ to 1e-8 relative, far below what moves a p-value
};

struct CoxReidOutcome {
  // φ = 1/r at the maximum; 0 when the adjusted likelihood still increases
  // at r = max_size (the Poisson limit, no overdispersion visible).
  double overdispersion = 0.0;
  bool poisson_limit = false;
  bool at_lower_bound = false;  // r = min_size (degenerate)
  bool converged = false;
  int iterations = 0;
};

class CoxReidDispersion {
 public:
  explicit CoxReidDispersion(const GlmDesign& design);

  // APL at ζ for counts y and fixed log means eta (n each); its first and
  // second derivative in ζ when the pointers are non-null. With
  // `adjust` false, the plain log-likelihood.
  double AdjustedLogLikelihood(const double* y, const double* eta, double zeta, double* d1, double* d2,
                               bool adjust = true);

  // The maximiser over ζ ∈ [log min_size, log max_size], by Newton steps kept
  // inside a bracket of the root of ∂APL/∂ζ (bisection when a step leaves
  // it), from `start_overdispersion` (> 0; clamped into the range).
  CoxReidOutcome Maximize(const double* y, const double* eta, double start_overdispersion,
                          const CoxReidOptions& options = {}, bool adjust = true);

 private:
  // The per-observation constants of a feature: μ, log y, st(y).
  void Prepare(const double* y, const double* eta);
  // APL at ζ for the prepared feature (the special functions of r computed
  // once, shared by every observation).
  double Evaluate(double zeta, double* d1, double* d2, bool adjust);

  const GlmDesign& design_;
  const double* y_ = nullptr;
  const double* eta_ = nullptr;
  std::vector<double> mu_, log_y_, stirling_y_, w_, w1_, w2_, packed_, packed1_, packed2_;
  Eigen::MatrixXd a_, a1_, a2_, inverse_, product_;
  SmallCholesky cholesky_;
  Eigen::LDLT<Eigen::MatrixXd> solver_;
};

}  // namespace nbglm::de

#endif  // NBGLM_SRC_DE_COX_REID_H_
