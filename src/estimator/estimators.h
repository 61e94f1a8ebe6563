// The per-feature estimators of docs/model.md §4. Each maximises one feature's
// Σ ℓ_i over the reduced parameters θ = (θ_loc, θ_scale), starting from the
// initial values in `theta`, and returns how it ended. None throws; none
// allocates after its workspace is built.
#ifndef NBGLM_SRC_ESTIMATOR_ESTIMATORS_H_
#define NBGLM_SRC_ESTIMATOR_ESTIMATORS_H_

#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Dense>

#include "estimator/feature_objective.h"
#include "estimator/small_cholesky.h"
#include "nbglm/fit.h"

namespace nbglm {

struct EstimatorOutcome {
  FeatureStatus status = FeatureStatus::kNumericalFailure;
  int iterations = 0;
  double loglik = 0.0;
  // The ceres estimator: how its line-search solve ended (Ceres's
  // TerminationTypeToString: "CONVERGENCE", "NO_CONVERGENCE", "FAILURE", …).
  // Empty for newton and irls.
  const char* solver_termination = "";
};

// Scratch space for one thread, sized for q + q_s parameters.
struct EstimatorWorkspace {
  EstimatorWorkspace(Index q, Index q_s);
  Index q, q_s, m;
  Eigen::VectorXd gradient, step, trial, diagonal;
  Eigen::MatrixXd hessian, information, damped;
  SmallCholesky cholesky;
  // Set by HasConverged and BlockConverged: `cholesky` holds J of the block
  // [offset, offset + size) at the current θ and `step` its Newton step
  // J⁻¹g (reused by the undamped Newton step).
  bool newton_step_ready = false;
  Index newton_step_offset = 0, newton_step_size = 0;
  // The last accepted Newton step (full length, zero outside its block), for
  // the tail extrapolation of RunNewton.
  Eigen::VectorXd previous_step;
  bool previous_step_valid = false;
  Eigen::VectorXd block_gradient, block_step;
  Eigen::MatrixXd block_hessian, block_damped;
  SmallCholesky block_cholesky;
  // Scale groups at their own Poisson limit (scale_limit.h): ∂ℓ/∂β_h per
  // scale group, which groups are held at the limit, and the free directions
  // N (m × free_directions, the columns that move θ with those groups fixed)
  // with the gradient Nᵀg, information Nᵀ J N and step in their coordinates.
  Eigen::VectorXd group_gradient;
  std::vector<char> group_at_limit;
  Index groups_at_limit = 0;
  Eigen::MatrixXd free_basis, free_information;
  Eigen::VectorXd free_gradient, free_step;
  Index free_directions = 0;
  SmallCholesky free_cholesky;
};

// A step may change no linear predictor by more than this (log scale: a
// factor e^10 in a mean or a size). Levenberg damping relative to diag(J)
// does not bound a step along a direction in which ℓ is nearly flat — e.g.
// log r far beyond the data's overdispersion, where ∂²ℓ/∂ζ² ≈ 0 — and an
// unbounded step there can leave the range where ℓ is computable.
inline constexpr double kMaxPredictorStep = 10.0;

// Shrinks `step` (the change of θ's block [offset, offset + size)) so that
// no η_i or ζ_i moves by more than `bound`.
void LimitPredictorStep(const FeatureObjective& problem, Index offset, Index size, Eigen::Ref<Eigen::VectorXd> step,
                        double bound = kMaxPredictorStep);

// Near the maximum a step's predicted gain gᵀδ falls below the rounding noise
// of ℓ itself (a sum of n terms, each a difference of lgammas): comparing ℓ
// values can no longer confirm an ascent that the exact gradient shows. In
// that quadratic regime — predicted gain within the function tolerance — a
// step is accepted unless ℓ drops by more than that tolerance (returned as
// the slack); far from the maximum the slack is 0.
double QuadraticRegimeSlack(double predicted_gain, double loglik, const FitOptions& options);

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
BoundCheck CheckBounds(FeatureObjective& problem, const double* theta, const FitOptions& options, double slack,
                       EstimatorWorkspace* work);

// The estimators' at_bound stopping rule at θ (work->gradient and
// work->hessian evaluated there; `last_change` the last step's Δℓ, 0 before
// the first): a location stalled at its bound with the scale settled, the
// scale held beyond its bounds with the location converged, or some scale
// groups heading to their own Poisson limit with everything else converged
// (scale_limit.h). Shared by newton, irls and ceres (docs/model.md "Bounds").
bool SettledAtBound(FeatureObjective& problem, const double* theta, int iteration, double loglik, double last_change,
                    bool train_location, const FitOptions& options, EstimatorWorkspace* work);

// irls: Fisher scoring for location alternating with safeguarded Newton for
// scale (step halving on both). train_location = false keeps θ_loc fixed
// (the initial value is the exact location MLE).
EstimatorOutcome RunIrls(FeatureObjective& problem, double* theta, bool train_location, const FitOptions& options,
                         EstimatorWorkspace* work);
// Beyond max_size, ℓ(β) ≈ ℓ_∞ − C·e^{−β} along a group's log size β: what the
// Poisson limit can still gain (or lose) is about |∂ℓ/∂β|. A gradient below
// the rounding of ℓ itself (ε·(1 + |ℓ|)) has no sign to follow — e.g. a group
// of zeros whose μ → 0 leaves ℓ flat in r — and counts as heading to the
// limit, as does a positive one.
inline double FlatScaleGradient(double loglik) {
  return std::numeric_limits<double>::epsilon() * (1.0 + std::abs(loglik));
}

// ζ of the Poisson limit: r = e^500 ≈ 1.4e217. There the NB terms equal the
// Poisson ones to double precision for every count up to 2^31 (they differ
// by O(y·μ/r)) while r, r + μ and every ratio of the kernels stay finite. A
// scale at its upper bound is reported there (fit.cc).
inline constexpr double kPoissonLimitLogSize = 500.0;

// newton: joint Newton with the exact Hessian and Levenberg damping.
// scale_held: train the location only, the scale staying where θ puts it;
// then status at_bound means the location converged (or stalled at its own
// bound) with the scale gradient pushing every scale group further beyond
// its bound — the held scale is a boundary maximum — and converged means the
// location converged but the scale would move inward.
// abandon_heading_out: stop with at_bound as soon as the scale is held beyond
// its bounds heading out (ScaleHeadingOut), without converging the location:
// for a restart that is of use only if it finds an interior maximum (fit.cc).
EstimatorOutcome RunNewton(FeatureObjective& problem, double* theta, bool train_location, const FitOptions& options,
                           EstimatorWorkspace* work, bool scale_held = false, bool abandon_heading_out = false);
// ceres: Ceres Solver's BFGS line search on −ℓ with the analytic gradient.
EstimatorOutcome RunCeres(FeatureObjective& problem, double* theta, bool train_location, const FitOptions& options,
                          EstimatorWorkspace* work);

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_ESTIMATORS_H_
