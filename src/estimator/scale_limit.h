// Scale groups at their own Poisson limit (docs/model.md §4 "Bounds",
// "Scale, group by group"). Internal header.
//
// With a factor scale model (e.g. log r = θ₀ + θ₁·condition) one condition's
// size can run to the Poisson limit (r → ∞) while the other's stays finite:
// then θ₀ and θ₁ run off in opposite directions, no stopping rule in θ holds
// (the variance of θ₁ grows like e^{ζ}), and the printed numbers are not
// estimates. When the scale groups identify θ_scale one to one
// (ObservationLayout::scale_group_inverse: H = q_s groups, Z̃_G invertible),
// each group's log size β_h = z̃_hᵀθ_scale is a coordinate of its own. A
// group beyond max_size whose gradient ∂ℓ/∂β_h still points outward is
// heading to its limit; the fit is settled once the other directions — the
// location and the other groups' β — pass the stopping rules with those
// groups held, and then reported with them at β_h = kPoissonLimitLogSize
// (r = e^500, where the NB terms equal the Poisson ones): the coefficients
// that carry a group at the limit are ±Inf (NaN where they mix +∞ and −∞),
// the others estimates with standard errors.
//
// When every scale group heads out, the whole scale is held instead
// (estimators.cc, ScaleHeadingOut); a scale design whose groups do not
// identify θ_scale (a numeric covariate, two crossed factors without their
// interaction) is left to the ordinary rules.
#ifndef NBGLM_SRC_ESTIMATOR_SCALE_LIMIT_H_
#define NBGLM_SRC_ESTIMATOR_SCALE_LIMIT_H_

#include <vector>

#include <Eigen/Dense>

#include "estimator/estimators.h"
#include "estimator/feature_objective.h"
#include "nbglm/fit.h"
#include "nbglm/types.h"

namespace nbglm {

// Marks in work->group_at_limit the scale groups heading to the Poisson
// limit at θ: β_h > log max_size with ∂ℓ/∂β_h > −FlatScaleGradient; sets and returns
// work->groups_at_limit. 0 (nothing marked) unless the layout's scale groups
// identify θ_scale.
Index MarkGroupsHeadingToLimit(FeatureObjective& problem, const double* theta, const FitOptions& options,
                               EstimatorWorkspace* work);

// The free directions with the marked groups held (work->free_basis, m ×
// k): the location's unit vectors when `train_location`, then Z̃_G⁻¹e_h for
// every unmarked scale group h. Sets and returns work->free_directions = k.
Index BuildFreeDirections(const FeatureObjective& problem, bool train_location, EstimatorWorkspace* work);

// Nᵀg and Nᵀ J N = −Nᵀ H N (exactly symmetric) into work->free_gradient and
// work->free_information, from work->gradient and work->hessian and the
// free directions BuildFreeDirections made.
void ProjectOnFreeDirections(EstimatorWorkspace* work);

// For the estimators' stopping rules, with work->gradient and work->hessian
// evaluated at θ: some but not all scale groups head to the limit, and along
// the free directions the predicted gain of a Newton step is within
// function_tolerance·(1 + |ℓ|) and every scaled gradient within
// gradient_tolerance (the tests of HasConverged, in the coordinates of N).
// Then the fit stops as at_bound and fit.cc moves those groups to the limit.
bool SomeScaleGroupsAtLimit(FeatureObjective& problem, const double* theta, double loglik, bool train_location,
                            const FitOptions& options, EstimatorWorkspace* work);

// The same with the location left out: some but not all scale groups head
// to the limit and the other groups' log sizes pass the stopping rules (for
// a location stalled at its own bound, estimators.cc AtBoundAndStalled).
bool OtherScaleGroupsConverged(FeatureObjective& problem, const double* theta, double loglik, const FitOptions& options,
                               EstimatorWorkspace* work);

// Moves the marked groups (MarkGroupsHeadingToLimit, at least one, not all)
// to β_h = kPoissonLimitLogSize and maximises ℓ along the free directions by
// damped Newton steps (the same damping, step limit and acceptance as
// RunNewton). Status at_bound when the free directions converge (or their
// location stalls at its own bound), max_iterations or numerical_failure
// otherwise. The marks are kept for the report (ReportGroupsAtLimit).
EstimatorOutcome MaximizeWithGroupsAtLimit(FeatureObjective& problem, double* theta, bool train_location,
                                           const FitOptions& options, EstimatorWorkspace* work);

// A reported scale coefficient a = b·θ_scale (b a row of the constraint
// basis B_s) with the marked groups at the limit, from the groups' log sizes
// β (H = q_s values) and Z̃_G⁻¹ (ObservationLayout::scale_group_inverse of
// the model's layout): a = w·β with w = b·Z̃_G⁻¹; its loading on the marked
// groups decides — none: finite, Σ w_h β_h over the other groups; all of one
// sign: ±Inf; mixed: NaN.
double ScaleCoefficientWithGroupsAtLimit(const Eigen::Ref<const Eigen::RowVectorXd>& basis_row,
                                         const Eigen::MatrixXd& group_inverse, const double* beta,
                                         const std::vector<char>& group_at_limit);

// The reduced scale parameter θ_scale,j = (Z̃_G⁻¹β)_j loads on a marked group
// (its covariance is not finite).
bool ReducedScaleParameterAtLimit(Index j, const Eigen::MatrixXd& group_inverse,
                                  const std::vector<char>& group_at_limit);

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_SCALE_LIMIT_H_
