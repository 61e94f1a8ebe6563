// The per-feature estimators of DESIGN.md §4. Each maximises one feature's
// Σ ℓ_i over the reduced parameters θ = (θ_loc, θ_scale), starting from the
// initial values in `theta`, and returns how it ended. None throws; none
// allocates after its workspace is built.
#ifndef NBGLM_SRC_ESTIMATOR_ESTIMATORS_H_
#define NBGLM_SRC_ESTIMATOR_ESTIMATORS_H_

#include <Eigen/Dense>

#include "estimator/feature_problem.h"
#include "nbglm/fit.h"

namespace nbglm {

struct EstimatorOutcome {
  FeatureStatus status = FeatureStatus::kNumericalFailure;
  int iterations = 0;
  double loglik = 0.0;
};

// Scratch space for one thread, sized for q + q_s parameters.
struct EstimatorWorkspace {
  EstimatorWorkspace(Index q, Index q_s);
  Index q, q_s, m;
  Eigen::VectorXd gradient, step, trial, diagonal;
  Eigen::MatrixXd hessian, information, damped;
  Eigen::LLT<Eigen::MatrixXd> cholesky;
  Eigen::VectorXd block_gradient, block_step;
  Eigen::MatrixXd block_hessian, block_damped;
  Eigen::LLT<Eigen::MatrixXd> block_cholesky;
};

// Stopping rules of FitOptions at θ: `last_change` is |Δℓ| of the last
// accepted step (0 before the first). Uses workspace gradient/hessian already
// evaluated at θ (of the trained block when `train_location` is false).
bool HasConverged(double loglik, double last_change, bool train_location, const FitOptions& options,
                  EstimatorWorkspace* work);

// Bound check on the linear predictors of θ (FitOptions' min_mean, min_size,
// max_size, widened by `slack` ≥ 1 for the in-flight check).
struct BoundCheck {
  bool location = false;  // some μ_i < min_mean
  bool scale = false;     // some r_i outside [min_size, max_size]
  bool any() const { return location || scale; }
};
BoundCheck CheckBounds(FeatureProblem& problem, const double* theta, const FitOptions& options, double slack,
                       EstimatorWorkspace* work);

// irls: Fisher scoring for location alternating with safeguarded Newton for
// scale (step halving on both). train_location = false keeps θ_loc fixed
// (the initial value is the exact location MLE).
EstimatorOutcome RunIrls(FeatureProblem& problem, double* theta, bool train_location, const FitOptions& options,
                         EstimatorWorkspace* work);
// newton: joint Newton with the exact Hessian and Levenberg damping.
EstimatorOutcome RunNewton(FeatureProblem& problem, double* theta, bool train_location, const FitOptions& options,
                           EstimatorWorkspace* work);
// ceres: Ceres Solver's BFGS line search on −ℓ with the analytic gradient.
EstimatorOutcome RunCeres(FeatureProblem& problem, double* theta, bool train_location, const FitOptions& options,
                          EstimatorWorkspace* work);

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_ESTIMATORS_H_
