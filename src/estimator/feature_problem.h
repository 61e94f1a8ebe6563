// One feature's objective in the reduced parameters, for the estimators
// (DESIGN.md §4). Internal header.
//
// Parameters θ = (θ_loc (q), θ_scale (q_s)), with reduced designs
// X̃ = X·B (n × q) and Z̃ = Z_s·B_s (n × q_s) (DESIGN.md §2):
//   η = offset + X̃·θ_loc   (eq. (1)),      ζ = Z̃·θ_scale   (eq. (2)),
// objective ℓ(θ) = Σ_i ℓ_i(η_i, ζ_i) from the NoiseModel (eq. (4) for the NB).
// Chain rule (DESIGN.md §1):
//   ∇_loc = X̃ᵀ·∂ℓ/∂η,   ∇_scale = Z̃ᵀ·∂ℓ/∂ζ,
//   H_loc,loc = X̃ᵀ diag(∂²ℓ/∂η²) X̃,   H_loc,scale = X̃ᵀ diag(∂²ℓ/∂η∂ζ) Z̃,
//   H_scale,scale = Z̃ᵀ diag(∂²ℓ/∂ζ²) Z̃,
// and the IRLS (Fisher-scoring) location information X̃ᵀ diag(E[−∂²ℓ/∂η²]) X̃.
//
// Usage: one FeatureProblem per thread, constructed once with the sizes; it
// owns every work buffer, so SetFeature/evaluations never allocate in nbglm
// code (Eigen's small products block on the stack). Not thread-safe: each
// thread has its own. Results depend only on the inputs (no hidden state
// besides the buffers), hence are identical whatever thread computes them.
//
// Conventions: every matrix is dense row-major (observations × parameters);
// Hessians and information matrices are written as full symmetric matrices
// (upper and lower triangles bit-identical); every output pointer may be null
// (that output is skipped); every method returns ℓ(θ) = Σ_i ℓ_i.
#ifndef NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_H_
#define NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_H_

#include <vector>

#include "nbglm/noise_model.h"
#include "nbglm/types.h"

namespace nbglm {

class FeatureProblem {
 public:
  // `noise` must outlive this object. Sizes: n ≥ 0 observations, q ≥ 0
  // location and q_s ≥ 0 scale parameters (a block with 0 parameters has a
  // zero linear predictor, e.g. ζ ≡ 0 when q_s = 0). Throws InputError on
  // negative sizes.
  FeatureProblem(const NoiseModel& noise, Index num_observations, Index num_location,
                 Index num_scale);

  FeatureProblem(const FeatureProblem&) = delete;
  FeatureProblem& operator=(const FeatureProblem&) = delete;

  // Points the problem at one feature's data; nothing is copied, so the
  // arrays must stay valid while this feature is evaluated.
  //   y: n responses; offset: n log size factors, or null for none (zero);
  //   location_design: X̃, n × q row-major; scale_design: Z̃, n × q_s
  //   row-major (either may be null when its q is 0).
  // Throws InputError on a null array that is needed.
  void SetFeature(const double* y, const double* offset, const double* location_design,
                  const double* scale_design);

  Index num_observations() const { return n_; }
  Index num_location() const { return q_; }
  Index num_scale() const { return q_scale_; }
  Index num_parameters() const { return q_ + q_scale_; }

  // ℓ(θ); theta has num_parameters() entries (θ_loc then θ_scale).
  double LogLikelihood(const double* theta);

  // ℓ(θ), gradient (num_parameters()) and observed Hessian of ℓ
  // (num_parameters()², row-major), both nullable.
  double Evaluate(const double* theta, double* gradient, double* hessian);

  // For IRLS / Fisher scoring of the location block at θ (scale held at
  // θ_scale): score = ∇_loc ℓ (q) and information = X̃ᵀ diag(E[−∂²ℓ/∂η²]) X̃
  // (q × q, positive semi-definite), both nullable.
  double EvaluateLocationFisher(const double* theta, double* score, double* information);

  // For the scale step of the alternating estimator, location held at θ_loc:
  // gradient = ∇_scale ℓ (q_s) and observed Hessian H_scale,scale
  // (q_s × q_s), both nullable.
  double EvaluateScale(const double* theta, double* gradient, double* hessian);

  // Linear predictors η and ζ (n each) at the θ of the last evaluation.
  const double* eta() const { return eta_.data(); }
  const double* zeta() const { return zeta_.data(); }

 private:
  // η = offset + X̃θ_loc and ζ = Z̃θ_scale into eta_/zeta_.
  void ComputePredictors(const double* theta);
  double SumLoglik() const;
  void CheckFeatureSet() const;

  const NoiseModel& noise_;
  Index n_;
  Index q_;
  Index q_scale_;

  // The current feature (not owned).
  const double* y_ = nullptr;
  const double* offset_ = nullptr;
  const double* location_design_ = nullptr;
  const double* scale_design_ = nullptr;

  // Work buffers, sized once in the constructor.
  std::vector<double> eta_, zeta_;
  std::vector<double> loglik_, d_eta_, d2_eta_, fisher_eta_, d_zeta_, d2_zeta_, d2_eta_zeta_;
  std::vector<double> weighted_location_;  // n × q:   diag(w)·X̃
  std::vector<double> weighted_scale_;     // n × q_s: diag(w)·Z̃
};

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_H_
