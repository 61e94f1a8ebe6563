// The Poisson GLM's FeatureObjective (docs/model.md "Poisson"): the location
// model alone, ℓ_i = y_i·η_i − e^{η_i} − log y_i!, η = offset + X̃·θ_loc.
// Internal header.
//
// Observations sharing a location design row share α_g = x̃_gᵀθ, so
//   ℓ(θ) = Σ_g [Y_g·α_g − S_g·e^{α_g}] + Σ_i (y_i·o_i − log y_i!)
// with Y_g = Σ y_i and S_g = Σ s_i (s_i = e^{o_i}) over group g, each group's
// term evaluated about its own maximum (poisson_feature_problem.cc): after
// SetFeature (one pass over the counts) an evaluation costs O(G·q²), G the
// number of location groups, whatever the number of observations.
#ifndef NBGLM_SRC_ESTIMATOR_POISSON_FEATURE_PROBLEM_H_
#define NBGLM_SRC_ESTIMATOR_POISSON_FEATURE_PROBLEM_H_

#include <vector>

#include "estimator/feature_objective.h"
#include "model/observation_layout.h"
#include "nbglm/types.h"

namespace nbglm {

class PoissonFeatureProblem final : public FeatureObjective {
 public:
  // `layout` (no scale parameters) must outlive this object. Throws
  // InputError when layout.num_scale() > 0.
  explicit PoissonFeatureProblem(const ObservationLayout& layout);

  PoissonFeatureProblem(const PoissonFeatureProblem&) = delete;
  PoissonFeatureProblem& operator=(const PoissonFeatureProblem&) = delete;

  const ObservationLayout& layout() const override { return layout_; }
  void SetFeature(const double* y) override;
  double LogLikelihood(const double* theta) override;
  double Evaluate(const double* theta, double* gradient, double* hessian) override;
  // The observed and the expected information agree for the log link.
  double EvaluateLocationFisher(const double* theta, double* score, double* information) override;
  // No scale: ℓ only.
  double EvaluateScale(const double* theta, double* gradient, double* hessian) override;
  // The one scale group (an empty row) has no parameter: 0.
  double ScaleGroupGradient(const double* theta, double* group_gradient) override;
  // min η; no scale predictor (+Inf, −Inf).
  PredictorExtremes Extremes(const double* theta) const override;

 private:
  // ℓ and, per location group, m_g = S_g·e^{α_g} at θ.
  double Means(const double* theta);

  const ObservationLayout& layout_;
  std::vector<double> group_y_;         // Y_g
  std::vector<double> group_log_mean_;  // α̂_g = log(Y_g/S_g) (−Inf when Y_g = 0)
  std::vector<double> group_mean_;      // m_g at the last θ
  std::vector<double> group_residual_;  // Y_g − m_g at the last θ
  // Σ y_i·o_i − Σ log y_i! + Σ_g (Y_g·α̂_g − Y_g)
  double constant_ = 0.0;
};

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_POISSON_FEATURE_PROBLEM_H_
