// One feature's log-likelihood as the estimators see it (docs/model.md §4
// "Noise models"). Internal header.
//
// θ = (θ_loc (q), θ_scale (q_s)) over an ObservationLayout's reduced designs:
// η = offset + X̃·θ_loc, ζ = Z̃·θ_scale. An implementation is one noise model
// — the negative binomial (FeatureProblem, feature_problem.h), the Poisson
// (PoissonFeatureProblem, poisson_feature_problem.h; q_s = 0) — with its own
// fast grouped evaluation. The estimators (newton, irls, ceres), their
// stopping rules and the bound handling use only this interface, so a new
// noise model is a new implementation and touches no estimator.
//
// Contract: SetFeature before evaluating; every evaluation returns ℓ(θ) and
// fills each non-null output; Hessians and information matrices are full
// symmetric row-major matrices; no allocation, no exception (invalid numbers
// come back as NaN/Inf for the caller to turn into a status); results depend
// only on the inputs (bit-identical whatever thread computes them). Not
// thread-safe: one object per thread.
#ifndef NBGLM_SRC_ESTIMATOR_FEATURE_OBJECTIVE_H_
#define NBGLM_SRC_ESTIMATOR_FEATURE_OBJECTIVE_H_

#include "model/observation_layout.h"
#include "nbglm/types.h"

namespace nbglm {

// Extremes of the linear predictors over the observations at some θ.
struct PredictorExtremes {
  double min_eta = 0.0;   // min_i η_i (offset included)
  double min_zeta = 0.0;  // min_i ζ_i (+Inf without a scale predictor)
  double max_zeta = 0.0;  // max_i ζ_i (−Inf without a scale predictor)
};

class FeatureObjective {
 public:
  virtual ~FeatureObjective() = default;

  virtual const ObservationLayout& layout() const = 0;
  Index num_observations() const { return layout().num_observations(); }
  Index num_location() const { return layout().num_location(); }
  Index num_scale() const { return layout().num_scale(); }
  Index num_parameters() const { return num_location() + num_scale(); }

  // Points the objective at one feature: n counts y ≥ 0 in the original
  // observation order (copied).
  virtual void SetFeature(const double* y) = 0;

  // ℓ(θ); theta has num_parameters() entries (θ_loc then θ_scale).
  virtual double LogLikelihood(const double* theta) = 0;
  // ℓ(θ), gradient (num_parameters()) and observed Hessian (num_parameters()²).
  virtual double Evaluate(const double* theta, double* gradient, double* hessian) = 0;
  // The location block for Fisher scoring: score ∇_loc ℓ (q) and information
  // X̃ᵀ diag(E[−∂²ℓ/∂η²]) X̃ (q × q, positive semi-definite).
  virtual double EvaluateLocationFisher(const double* theta, double* score, double* information) = 0;
  // The scale block, location held: ∇_scale ℓ (q_s) and H_scale,scale.
  virtual double EvaluateScale(const double* theta, double* gradient, double* hessian) = 0;
  // ∂ℓ/∂β_h for every scale group h (layout().num_scale_groups() values).
  virtual double ScaleGroupGradient(const double* theta, double* group_gradient) = 0;
  // min η_i, min ζ_i, max ζ_i at θ.
  virtual PredictorExtremes Extremes(const double* theta) const = 0;
};

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_FEATURE_OBJECTIVE_H_
