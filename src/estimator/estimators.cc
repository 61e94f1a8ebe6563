#include "estimator/estimators.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nbglm {
namespace {

constexpr int kMaxStepShrinks = 60;

// Estimates heading for a bound (μ → 0, r → ∞) converge there by the
// ordinary stopping rules (the gradient vanishes like μ or 1/r) and are then
// marked at_bound. Only a runaway far past the bounds — e^30 beyond them,
// where nothing is numerically meaningful — stops the iteration early.
constexpr double kRunawaySlack = 1e13;

bool AllFinite(const Eigen::Ref<const Eigen::VectorXd>& v) { return v.allFinite(); }

// Near the maximum a step's predicted gain gᵀδ falls below the rounding noise
// of ℓ itself (a sum of n terms, each a difference of lgammas): comparing ℓ
// values can no longer confirm an ascent that the exact gradient shows. In
// that quadratic regime — predicted gain within the function tolerance — a
// step is accepted unless ℓ drops by more than that tolerance. Far from the
// maximum the slack is 0 and a step must not decrease ℓ at all.
double QuadraticRegimeSlack(double predicted_gain, double loglik, const FitOptions& options) {
  const double tolerance = options.function_tolerance * (1.0 + std::abs(loglik));
  return predicted_gain >= 0.0 && predicted_gain <= tolerance ? tolerance : 0.0;
}

}  // namespace

EstimatorWorkspace::EstimatorWorkspace(Index q_in, Index q_s_in)
    : q(q_in), q_s(q_s_in), m(q_in + q_s_in) {
  gradient.resize(m);
  step.resize(m);
  trial.resize(m);
  diagonal.resize(m);
  hessian.resize(m, m);
  information.resize(m, m);
  damped.resize(m, m);
  cholesky = Eigen::LLT<Eigen::MatrixXd>(m);
  block_gradient.resize(std::max(q, q_s));
  block_step.resize(std::max(q, q_s));
  block_hessian.resize(std::max(q, q_s), std::max(q, q_s));
  block_damped.resize(std::max(q, q_s), std::max(q, q_s));
  block_cholesky = Eigen::LLT<Eigen::MatrixXd>(std::max(q, q_s));
}

bool HasConverged(double loglik, double last_change, bool train_location, const FitOptions& options,
                  EstimatorWorkspace* work) {
  // The trained block: all of θ, or the scale block only.
  const Index offset = train_location ? 0 : work->q;
  const Index size = train_location ? work->m : work->q_s;
  if (size == 0) return true;
  auto g = work->gradient.segment(offset, size);
  work->information.topLeftCorner(size, size) = -work->hessian.block(offset, offset, size, size);
  work->cholesky.compute(work->information.topLeftCorner(size, size));
  if (work->cholesky.info() != Eigen::Success) return false;  // not at a maximum
  work->step.head(size) = work->cholesky.solve(g);
  const double decrement = g.dot(work->step.head(size));  // gᵀJ⁻¹g ≥ 0
  if (!(decrement >= 0.0) || !std::isfinite(decrement)) return false;
  // (a) relative log-likelihood change, actual and predicted.
  const double change = std::max(std::abs(last_change), 0.5 * decrement);
  if (change > options.function_tolerance * (1.0 + std::abs(loglik))) return false;
  // (b) scaled gradient: |g_j|·sqrt((J⁻¹)_jj).
  for (Index j = 0; j < size; ++j) {
    work->diagonal.head(size).setZero();
    work->diagonal(j) = 1.0;
    const double inverse_jj = work->cholesky.solve(work->diagonal.head(size))(j);
    if (std::abs(g(j)) * std::sqrt(std::max(inverse_jj, 0.0)) > options.gradient_tolerance) return false;
  }
  return true;
}

BoundCheck CheckBounds(FeatureProblem& problem, const double* theta, const FitOptions& options, double slack,
                       EstimatorWorkspace* /*work*/) {
  const PredictorExtremes extremes = problem.Extremes(theta);
  BoundCheck result;
  result.location = extremes.min_eta < std::log(options.min_mean / slack);
  result.scale = extremes.min_zeta < std::log(options.min_size / slack) ||
                 extremes.max_zeta > std::log(options.max_size * slack);
  return result;
}

// A scale beyond its bounds and still heading out, the location converged.
// r → ∞ (the Poisson limit) and r → 0 are approached only asymptotically:
// each Newton step moves ζ by about 1 and gains ℓ ∝ e^{−|ζ|}, which stays
// above function_tolerance well past max_size. When every scale group is
// beyond [min_size, max_size] and the scale gradient pushes each further
// out, the estimate is at the bound: what is left is the location, which
// depends on r there only through O(μ/r), so the fit stops as at_bound once
// the location block meets the stopping rules. (With some scale groups
// inside the bounds their parameters must still converge; then only the
// stall rule below applies.)
bool ScaleAtBoundWithLocationConverged(FeatureProblem& problem, const double* theta, double loglik,
                                       bool train_location, const FitOptions& options, EstimatorWorkspace* work) {
  const Index q = work->q;
  const Index q_s = work->q_s;
  if (q_s == 0) return false;
  const RowMajorMatrixXd& z = problem.layout().scale_rows();
  const double log_min = std::log(options.min_size);
  const double log_max = std::log(options.max_size);
  for (Index h = 0; h < z.rows(); ++h) {
    double beta = 0.0;
    double outward = 0.0;  // d β_h / dt along the scale gradient
    for (Index j = 0; j < q_s; ++j) {
      beta += z(h, j) * theta[q + j];
      outward += z(h, j) * work->gradient(q + j);
    }
    const bool beyond_max = beta > log_max && outward > 0.0;
    const bool beyond_min = beta < log_min && outward < 0.0;
    if (!beyond_max && !beyond_min) return false;
  }
  if (!train_location || q == 0) return true;
  // The stopping rules of HasConverged on the location block.
  EstimatorWorkspace& w = *work;
  auto g = w.gradient.head(q);
  w.information.topLeftCorner(q, q) = -w.hessian.topLeftCorner(q, q);
  w.cholesky.compute(w.information.topLeftCorner(q, q));
  if (w.cholesky.info() != Eigen::Success) return false;
  w.step.head(q) = w.cholesky.solve(g);
  const double decrement = g.dot(w.step.head(q));
  if (!(decrement >= 0.0) || !std::isfinite(decrement)) return false;
  const double tolerance = options.function_tolerance * (1.0 + std::abs(loglik));
  if (0.5 * decrement > tolerance) return false;
  // (The last step's |Δℓ| is not asked: the scale's own steps keep moving ℓ.)
  for (Index j = 0; j < q; ++j) {
    w.diagonal.head(q).setZero();
    w.diagonal(j) = 1.0;
    const double inverse_jj = w.cholesky.solve(w.diagonal.head(q))(j);
    if (std::abs(g(j)) * std::sqrt(std::max(inverse_jj, 0.0)) > options.gradient_tolerance) return false;
  }
  return true;
}

// Past a bound the information is (numerically) singular in the direction of
// the bound, so HasConverged cannot hold; the fit stops there as at_bound once
// the log-likelihood no longer moves (last |Δℓ| within function_tolerance).
bool AtBoundAndStalled(FeatureProblem& problem, const double* theta, int iteration, double loglik, double last_change,
                       const FitOptions& options, EstimatorWorkspace* work) {
  if (iteration == 0 || std::abs(last_change) > options.function_tolerance * (1.0 + std::abs(loglik))) return false;
  return CheckBounds(problem, theta, options, 1.0, work).any();
}

// ---------------------------------------------------------------- newton

EstimatorOutcome RunNewton(FeatureProblem& problem, double* theta_data, bool train_location, const FitOptions& options,
                           EstimatorWorkspace* work) {
  Eigen::Map<Eigen::VectorXd> theta(theta_data, work->m);
  const Index offset = train_location ? 0 : work->q;
  const Index size = train_location ? work->m : work->q_s;
  EstimatorOutcome outcome;
  double loglik = problem.Evaluate(theta_data, work->gradient.data(), work->hessian.data());
  double last_change = 0.0;
  double lambda = 0.0;  // Levenberg damping, relative to diag(J)
  for (int iteration = 0;; ++iteration) {
    outcome.iterations = iteration;
    outcome.loglik = loglik;
    if (!std::isfinite(loglik) || !AllFinite(work->gradient) || !work->hessian.allFinite()) {
      outcome.status = FeatureStatus::kNumericalFailure;
      return outcome;
    }
    if (HasConverged(loglik, last_change, train_location, options, work)) {
      outcome.status = FeatureStatus::kConverged;
      return outcome;
    }
    if (AtBoundAndStalled(problem, theta_data, iteration, loglik, last_change, options, work) ||
        ScaleAtBoundWithLocationConverged(problem, theta_data, loglik, train_location, options, work)) {
      outcome.status = FeatureStatus::kAtBound;
      return outcome;
    }
    if (CheckBounds(problem, theta_data, options, kRunawaySlack, work).any()) {
      outcome.status = FeatureStatus::kAtBound;
      return outcome;
    }
    if (iteration >= options.max_iterations) {
      outcome.status = FeatureStatus::kMaxIterations;
      return outcome;
    }
    // Damped Newton step: (J + λ·D) δ = g with D = diag(|J|) (floored), λ
    // raised until J + λD is positive definite and the step increases ℓ.
    auto g = work->gradient.segment(offset, size);
    bool accepted = false;
    for (int attempt = 0; attempt < kMaxStepShrinks; ++attempt) {
      work->damped.topLeftCorner(size, size) = -work->hessian.block(offset, offset, size, size);
      if (lambda > 0.0) {
        for (Index j = 0; j < size; ++j) {
          work->damped(j, j) += lambda * std::max(std::abs(work->damped(j, j)), 1e-8);
        }
      }
      work->cholesky.compute(work->damped.topLeftCorner(size, size));
      if (work->cholesky.info() != Eigen::Success) {
        lambda = std::max(lambda * 10.0, 1e-6);
        continue;
      }
      work->step.head(size) = work->cholesky.solve(g);
      work->trial = theta;
      work->trial.segment(offset, size) += work->step.head(size);
      const double trial_loglik = problem.LogLikelihood(work->trial.data());
      const double slack = QuadraticRegimeSlack(g.dot(work->step.head(size)), loglik, options);
      if (std::isfinite(trial_loglik) && trial_loglik >= loglik - slack) {
        theta = work->trial;
        last_change = trial_loglik - loglik;
        lambda = lambda > 1e-6 ? lambda / 10.0 : 0.0;
        accepted = true;
        break;
      }
      lambda = std::max(lambda * 10.0, 1e-6);
    }
    if (!accepted) {
      outcome.status = CheckBounds(problem, theta_data, options, 1.0, work).any() ? FeatureStatus::kAtBound
                                                                                    : FeatureStatus::kNumericalFailure;
      return outcome;
    }
    loglik = problem.Evaluate(theta_data, work->gradient.data(), work->hessian.data());
  }
}

// ---------------------------------------------------------------- irls

namespace {

// One safeguarded block update: solve (A + λD) δ = g_block for the block at
// [offset, offset + size), halve the step until ℓ does not decrease.
// Returns the accepted change in ℓ, or NaN when no ascent step was found.
double BlockStep(FeatureProblem& problem, Eigen::Map<Eigen::VectorXd>& theta, double loglik, Index offset, Index size,
                 const FitOptions& options, EstimatorWorkspace* work) {
  auto g = work->block_gradient.head(size);
  if (g.squaredNorm() == 0.0) return 0.0;
  double lambda = 0.0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    // The block evaluations write a packed size × size matrix (symmetric, so
    // row- and column-major agree).
    work->block_damped.topLeftCorner(size, size) = Eigen::Map<const Eigen::MatrixXd>(work->block_hessian.data(), size, size);
    if (lambda > 0.0) {
      for (Index j = 0; j < size; ++j) work->block_damped(j, j) += lambda * std::max(std::abs(work->block_damped(j, j)), 1e-8);
    }
    work->block_cholesky.compute(work->block_damped.topLeftCorner(size, size));
    if (work->block_cholesky.info() == Eigen::Success) break;
    lambda = std::max(10.0 * lambda, 1e-6);
  }
  if (work->block_cholesky.info() != Eigen::Success) return std::numeric_limits<double>::quiet_NaN();
  work->block_step.head(size) = work->block_cholesky.solve(g);
  const double slack = QuadraticRegimeSlack(g.dot(work->block_step.head(size)), loglik, options);
  double scale = 1.0;
  for (int halving = 0; halving < kMaxStepShrinks; ++halving) {
    work->trial = theta;
    work->trial.segment(offset, size) += scale * work->block_step.head(size);
    const double trial_loglik = problem.LogLikelihood(work->trial.data());
    if (std::isfinite(trial_loglik) && trial_loglik >= loglik - slack) {
      theta = work->trial;
      return trial_loglik - loglik;
    }
    scale *= 0.5;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

EstimatorOutcome RunIrls(FeatureProblem& problem, double* theta_data, bool train_location, const FitOptions& options,
                         EstimatorWorkspace* work) {
  Eigen::Map<Eigen::VectorXd> theta(theta_data, work->m);
  const Index q = work->q;
  const Index q_s = work->q_s;
  EstimatorOutcome outcome;
  double last_change = 0.0;
  for (int iteration = 0;; ++iteration) {
    // The joint stopping rules use the full observed information, so all
    // estimators stop by the same test.
    const double loglik = problem.Evaluate(theta_data, work->gradient.data(), work->hessian.data());
    outcome.iterations = iteration;
    outcome.loglik = loglik;
    if (!std::isfinite(loglik) || !AllFinite(work->gradient) || !work->hessian.allFinite()) {
      outcome.status = FeatureStatus::kNumericalFailure;
      return outcome;
    }
    if (HasConverged(loglik, last_change, train_location, options, work)) {
      outcome.status = FeatureStatus::kConverged;
      return outcome;
    }
    if (AtBoundAndStalled(problem, theta_data, iteration, loglik, last_change, options, work) ||
        ScaleAtBoundWithLocationConverged(problem, theta_data, loglik, train_location, options, work)) {
      outcome.status = FeatureStatus::kAtBound;
      return outcome;
    }
    if (CheckBounds(problem, theta_data, options, kRunawaySlack, work).any()) {
      outcome.status = FeatureStatus::kAtBound;
      return outcome;
    }
    if (iteration >= options.max_iterations) {
      outcome.status = FeatureStatus::kMaxIterations;
      return outcome;
    }
    double current = loglik;
    double change = 0.0;
    if (train_location) {
      // Fisher scoring: (Xᵀ W X) δ = Xᵀ ∂ℓ/∂η with W = E[−∂²ℓ/∂η²] (eq. 5).
      problem.EvaluateLocationFisher(theta_data, work->block_gradient.data(), work->block_hessian.data());
      const double location_change = BlockStep(problem, theta, current, 0, q, options, work);
      if (std::isnan(location_change)) {
        outcome.status = CheckBounds(problem, theta_data, options, 1.0, work).any() ? FeatureStatus::kAtBound
                                                                                      : FeatureStatus::kNumericalFailure;
        return outcome;
      }
      current += location_change;
      change += location_change;
    }
    // Newton on the scale block with the exact Hessian (eq. 7), damped if needed.
    const double scale_loglik = problem.EvaluateScale(theta_data, work->block_gradient.data(), work->block_hessian.data());
    Eigen::Map<Eigen::MatrixXd>(work->block_hessian.data(), q_s, q_s) *= -1.0;
    const double scale_change = BlockStep(problem, theta, scale_loglik, q, q_s, options, work);
    if (std::isnan(scale_change)) {
      outcome.status = CheckBounds(problem, theta_data, options, 1.0, work).any() ? FeatureStatus::kAtBound
                                                                                    : FeatureStatus::kNumericalFailure;
      return outcome;
    }
    change += scale_change;
    last_change = change;
  }
}

}  // namespace nbglm
