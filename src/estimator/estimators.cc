#include "estimator/estimators.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <cstdlib>

#include "estimator/scale_limit.h"

namespace nbglm {
namespace {

constexpr int kMaxStepShrinks = 60;

// Estimates heading for a bound (μ → 0, r → ∞) converge there by the
// ordinary stopping rules (the gradient vanishes like μ or 1/r) and are then
// marked at_bound: a location group of zeros stops by the stall rule
// (AtBoundAndStalled) once its steps no longer move ℓ, a scale beyond its
// bounds is held (ScaleHeadingOut). Nothing stops a fit merely for being far
// past a bound: other directions of θ may still need steps.

bool AllFinite(const Eigen::Ref<const Eigen::VectorXd>& v) { return v.allFinite(); }

// Tail extrapolation (RunNewton): a location group of zeros heading to μ → 0
// (or a scale to a bound) makes ℓ ≈ ℓ_∞ − C·e^{−t} along a fixed direction,
// where each Newton step moves t by about 1 and repeats the last step. When
// two consecutive accepted steps of a block (location or scale) agree this
// closely (cosine and length ratio), the step is also tried with that block
// K times longer, and taken if ℓ gains more.
// The gain still to come is about the step's own predicted gain gᵀδ ≈ C·e^{−t},
// so K = log(gᵀδ / function tolerance) moves t to where the rest of the tail
// is below the tolerance in one step, clamped to [kTailStretch,
// kMaxTailStretch]; the longer step may move a predictor by up to
// kMaxTailPredictorStep (μ or r by e^60: ℓ stays computable).
constexpr double kTailCosine = 0.999;
constexpr double kTailLengthRatio = 0.2;
constexpr double kTailStretch = 10.0;
constexpr double kMaxTailStretch = 40.0;
constexpr double kMaxTailPredictorStep = 60.0;

}  // namespace

void LimitPredictorStep(const FeatureObjective& problem, Index offset, Index size, Eigen::Ref<Eigen::VectorXd> step,
                        double bound) {
  const Index q = problem.num_location();
  const RowMajorMatrixXd& x = problem.layout().location_rows();
  const RowMajorMatrixXd& z = problem.layout().scale_rows();
  double largest = 0.0;
  for (Index g = 0; g < x.rows(); ++g) {
    double change = 0.0;
    for (Index j = std::max(offset, Index{0}); j < std::min(offset + size, q); ++j) change += x(g, j) * step(j - offset);
    largest = std::max(largest, std::abs(change));
  }
  for (Index h = 0; h < z.rows(); ++h) {
    double change = 0.0;
    for (Index j = std::max(offset, q); j < offset + size; ++j) change += z(h, j - q) * step(j - offset);
    largest = std::max(largest, std::abs(change));
  }
  if (largest > bound) step *= bound / largest;
}

double QuadraticRegimeSlack(double predicted_gain, double loglik, const FitOptions& options) {
  const double tolerance = options.function_tolerance * (1.0 + std::abs(loglik));
  return predicted_gain >= 0.0 && predicted_gain <= tolerance ? tolerance : 0.0;
}

// The factorizations are sized for the largest block once: they never
// allocate in the loop.
EstimatorWorkspace::EstimatorWorkspace(Index q_in, Index q_s_in)
    : q(q_in),
      q_s(q_s_in),
      m(q_in + q_s_in),
      cholesky(q_in + q_s_in),
      block_cholesky(std::max(q_in, q_s_in)),
      free_cholesky(q_in + q_s_in) {
  gradient.resize(m);
  step.resize(m);
  previous_step = Eigen::VectorXd::Zero(m);
  trial.resize(m);
  diagonal.resize(m);
  hessian.resize(m, m);
  information.resize(m, m);
  damped.resize(m, m);
  block_gradient.resize(std::max(q, q_s));
  block_step.resize(std::max(q, q_s));
  block_hessian.resize(std::max(q, q_s), std::max(q, q_s));
  block_damped.resize(std::max(q, q_s), std::max(q, q_s));
  group_gradient.resize(q_s);
  group_at_limit.assign(static_cast<std::size_t>(q_s), 0);
  free_basis.resize(m, m);
  free_information.resize(m, m);
  free_gradient.resize(m);
  free_step.resize(m);
}

bool HasConverged(double loglik, double last_change, bool train_location, const FitOptions& options,
                  EstimatorWorkspace* work) {
  // The trained block: all of θ, or the scale block only.
  const Index offset = train_location ? 0 : work->q;
  const Index size = train_location ? work->m : work->q_s;
  if (size == 0) return true;
  auto g = work->gradient.segment(offset, size);
  work->newton_step_ready = false;
  work->information.topLeftCorner(size, size) = -work->hessian.block(offset, offset, size, size);
  if (!work->cholesky.Compute(work->information.topLeftCorner(size, size))) return false;  // not at a maximum
  work->cholesky.Solve(g.data(), work->step.data());
  work->newton_step_ready = true;
  work->newton_step_offset = offset;
  work->newton_step_size = size;
  const double decrement = g.dot(work->step.head(size));  // gᵀJ⁻¹g ≥ 0
  if (!(decrement >= 0.0) || !std::isfinite(decrement)) return false;
  // (a) relative log-likelihood change, actual and predicted.
  const double change = std::max(std::abs(last_change), 0.5 * decrement);
  if (change > options.function_tolerance * (1.0 + std::abs(loglik))) return false;
  // (b) scaled gradient: |g_j|·sqrt((J⁻¹)_jj).
  work->cholesky.InverseDiagonal(work->diagonal.data());
  for (Index j = 0; j < size; ++j) {
    if (std::abs(g(j)) * std::sqrt(std::max(work->diagonal(j), 0.0)) > options.gradient_tolerance) return false;
  }
  return true;
}

BoundCheck CheckBounds(FeatureObjective& problem, const double* theta, const FitOptions& options, double slack,
                       EstimatorWorkspace* /*work*/) {
  const PredictorExtremes extremes = problem.Extremes(theta);
  BoundCheck result;
  result.location = extremes.min_eta < std::log(options.min_mean / slack);
  result.scale = extremes.min_zeta < std::log(options.min_size / slack) ||
                 extremes.max_zeta > std::log(options.max_size * slack);
  return result;
}

// Every scale group beyond [min_size, max_size] with the scale gradient
// pushing it further out (work->gradient at θ). r → ∞ (the Poisson limit) and
// r → 0 are approached only asymptotically: each Newton step moves ζ by about
// 1 (or by kMaxPredictorStep in a flat direction) and gains ℓ ∝ e^{−|ζ|},
// which stays above function_tolerance well past max_size. The estimators
// then hold the scale where it is (the bound is an active constraint) and
// train the location only; the location depends on r there only through
// O(μ/r). The test is repeated at every iterate, so a scale whose gradient
// turns inward is released. (With some scale groups inside the bounds their
// parameters must still converge and nothing is held.)
bool ScaleHeadingOut(FeatureObjective& problem, const double* theta, const FitOptions& options,
                     const EstimatorWorkspace& work) {
  const Index q = work.q;
  const Index q_s = work.q_s;
  if (q_s == 0) return false;
  const RowMajorMatrixXd& z = problem.layout().scale_rows();
  const double log_min = std::log(options.min_size);
  const double log_max = std::log(options.max_size);
  const double flat = FlatScaleGradient(problem.LogLikelihood(theta));
  for (Index h = 0; h < z.rows(); ++h) {
    double beta = 0.0;
    double outward = 0.0;  // d β_h / dt along the scale gradient
    for (Index j = 0; j < q_s; ++j) {
      beta += z(h, j) * theta[q + j];
      outward += z(h, j) * work.gradient(q + j);
    }
    const bool beyond_max = beta > log_max && outward > -flat;
    const bool beyond_min = beta < log_min && outward < 0.0;
    if (!beyond_max && !beyond_min) return false;
  }
  return true;
}

// The stopping rules of HasConverged on one block of θ, [offset, offset +
// size), alone (the last step's |Δℓ| is not asked: steps of other blocks may
// still move ℓ, and the predicted gain gᵀJ⁻¹g/2 is what matters here).
bool BlockConverged(Index offset, Index size, double loglik, const FitOptions& options, EstimatorWorkspace* work) {
  if (size == 0) return true;
  EstimatorWorkspace& w = *work;
  w.newton_step_ready = false;
  auto g = w.gradient.segment(offset, size);
  w.information.topLeftCorner(size, size) = -w.hessian.block(offset, offset, size, size);
  if (!w.cholesky.Compute(w.information.topLeftCorner(size, size))) return false;
  w.cholesky.Solve(g.data(), w.step.data());
  // The block's undamped Newton step, for RunNewton (e.g. the location
  // step while the scale is held).
  w.newton_step_ready = true;
  w.newton_step_offset = offset;
  w.newton_step_size = size;
  const double decrement = g.dot(w.step.head(size));
  if (!(decrement >= 0.0) || !std::isfinite(decrement)) return false;
  if (0.5 * decrement > options.function_tolerance * (1.0 + std::abs(loglik))) return false;
  w.cholesky.InverseDiagonal(w.diagonal.data());
  for (Index j = 0; j < size; ++j) {
    if (std::abs(g(j)) * std::sqrt(std::max(w.diagonal(j), 0.0)) > options.gradient_tolerance) return false;
  }
  return true;
}

bool LocationBlockConverged(double loglik, const FitOptions& options, EstimatorWorkspace* work) {
  return BlockConverged(0, work->q, loglik, options, work);
}

// The scale held at its bound (ScaleHeadingOut) and the location converged:
// the fit stops as at_bound.
bool ScaleAtBoundWithLocationConverged(FeatureObjective& problem, const double* theta, double loglik,
                                       bool train_location, const FitOptions& options, EstimatorWorkspace* work) {
  if (!ScaleHeadingOut(problem, theta, options, *work)) return false;
  return !train_location || LocationBlockConverged(loglik, options, work);
}

// Past a location bound the information is (numerically) singular in the
// direction of the bound, so HasConverged cannot hold; the fit stops there as
// at_bound once the log-likelihood no longer moves (last |Δℓ| within
// function_tolerance) — provided the scale is settled too: held at its bound
// (ScaleHeadingOut), some groups heading to their own Poisson limit with the
// others converged (scale_limit.h), or converged as a block. (Along a nearly flat profile in
// r, ℓ may stop moving well before r has reached its maximum.)
bool AtBoundAndStalled(FeatureObjective& problem, const double* theta, int iteration, double loglik, double last_change,
                       const FitOptions& options, EstimatorWorkspace* work) {
  if (iteration == 0 || std::abs(last_change) > options.function_tolerance * (1.0 + std::abs(loglik))) return false;
  const BoundCheck bounds = CheckBounds(problem, theta, options, 1.0, work);
  if (!bounds.any()) return false;
  if (work->q_s > 0) {
    if (bounds.scale) {
      return ScaleHeadingOut(problem, theta, options, *work) ||
             OtherScaleGroupsConverged(problem, theta, loglik, options, work);
    }
    return BlockConverged(work->q, work->q_s, loglik, options, work);
  }
  return true;
}

bool SettledAtBound(FeatureObjective& problem, const double* theta, int iteration, double loglik, double last_change,
                    bool train_location, const FitOptions& options, EstimatorWorkspace* work) {
  return AtBoundAndStalled(problem, theta, iteration, loglik, last_change, options, work) ||
         ScaleAtBoundWithLocationConverged(problem, theta, loglik, train_location, options, work) ||
         SomeScaleGroupsAtLimit(problem, theta, loglik, train_location, options, work);
}

// ---------------------------------------------------------------- newton

EstimatorOutcome RunNewton(FeatureObjective& problem, double* theta_data, bool train_location, const FitOptions& options,
                           EstimatorWorkspace* work, bool scale_held, bool abandon_heading_out) {
  Eigen::Map<Eigen::VectorXd> theta(theta_data, work->m);
  EstimatorOutcome outcome;
  work->previous_step_valid = false;
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
    if (scale_held) {
      // Only the location is trained: done when it converges or stalls at
      // its own bound; at_bound means the held scale is a boundary maximum.
      const bool location_stalled = iteration > 0 &&
                                    std::abs(last_change) <= options.function_tolerance * (1.0 + std::abs(loglik)) &&
                                    CheckBounds(problem, theta_data, options, 1.0, work).location;
      if (location_stalled || LocationBlockConverged(loglik, options, work)) {
        outcome.status =
            ScaleHeadingOut(problem, theta_data, options, *work) ? FeatureStatus::kAtBound : FeatureStatus::kConverged;
        return outcome;
      }
    } else {
      if (HasConverged(loglik, last_change, train_location, options, work)) {
        outcome.status = FeatureStatus::kConverged;
        return outcome;
      }
      if (SettledAtBound(problem, theta_data, iteration, loglik, last_change, train_location, options, work) ||
          (abandon_heading_out && ScaleHeadingOut(problem, theta_data, options, *work))) {
        outcome.status = FeatureStatus::kAtBound;
        return outcome;
      }
    }
    if (std::getenv("NBGLM_DEBUG")) {
      fprintf(stderr, "it %d ll %.12g lambda %g theta", iteration, loglik, lambda);
      for (Index j = 0; j < work->m; ++j) fprintf(stderr, " %.6g", theta_data[j]);
      fprintf(stderr, " | g");
      for (Index j = 0; j < work->m; ++j) fprintf(stderr, " %.3g", work->gradient(j));
      fprintf(stderr, "\n");
    }
    if (iteration >= options.max_iterations) {
      outcome.status = FeatureStatus::kMaxIterations;
      return outcome;
    }
    // The trained block: all of θ, the scale only (exact location), or the
    // location only while the scale is held (at its bound: ScaleHeadingOut).
    const bool hold_scale = scale_held || (train_location && ScaleHeadingOut(problem, theta_data, options, *work));
    const Index offset = train_location || hold_scale ? 0 : work->q;
    const Index size = hold_scale ? work->q : train_location ? work->m : work->q_s;
    // Damped Newton step: (J + λ·D) δ = g with D = diag(|J|) (floored), λ
    // raised until J + λD is positive definite and the step increases ℓ.
    auto g = work->gradient.segment(offset, size);
    bool accepted = false;
    // The undamped step of the block last factorized at this θ (by
    // HasConverged or BlockConverged) is already known.
    const bool step_known = work->newton_step_ready && work->newton_step_offset == offset &&
                            work->newton_step_size == size;
    work->newton_step_ready = false;
    for (int attempt = 0; attempt < kMaxStepShrinks; ++attempt) {
      if (!(step_known && lambda == 0.0)) {
        work->damped.topLeftCorner(size, size) = -work->hessian.block(offset, offset, size, size);
        if (lambda > 0.0) {
          for (Index j = 0; j < size; ++j) {
            work->damped(j, j) += lambda * std::max(std::abs(work->damped(j, j)), 1e-8);
          }
        }
        if (!work->cholesky.Compute(work->damped.topLeftCorner(size, size))) {
          lambda = std::max(lambda * 10.0, 1e-6);
          continue;
        }
        work->cholesky.Solve(g.data(), work->step.data());
      }
      LimitPredictorStep(problem, offset, size, work->step.head(size));
      work->trial = theta;
      work->trial.segment(offset, size) += work->step.head(size);
      const double trial_loglik = problem.LogLikelihood(work->trial.data());
      const double slack = QuadraticRegimeSlack(g.dot(work->step.head(size)), loglik, options);
      if (std::isfinite(trial_loglik) && trial_loglik >= loglik - slack) {
        double accepted_loglik = trial_loglik;
        auto step = work->step.head(size);
        // Tail extrapolation, block by block (location, scale): a block whose
        // step repeats its previous one is tried K times longer; the other
        // keeps its Newton step (it is converging, e.g. the location adjusting
        // to a scale heading out: stretching it would overshoot).
        auto previous = work->previous_step.segment(offset, size);
        const Index location_size = std::clamp<Index>(work->q - offset, 0, size);
        const auto repeats = [&](Index begin, Index length) {
          if (length == 0) return false;
          const auto now = step.segment(begin, length);
          const auto before = previous.segment(begin, length);
          const double norms = now.norm() * before.norm();
          return norms > 0.0 && now.dot(before) >= kTailCosine * norms &&
                 std::abs(now.norm() - before.norm()) <= kTailLengthRatio * before.norm();
        };
        const bool stretch_location = work->previous_step_valid && repeats(0, location_size);
        const bool stretch_scale = work->previous_step_valid && repeats(location_size, size - location_size);
        if (trial_loglik > loglik && (stretch_location || stretch_scale)) {
          const double gain = g.dot(step);
          const double tolerance = options.function_tolerance * (1.0 + std::abs(loglik));
          const double stretch =
              gain > tolerance ? std::clamp(std::log(gain / tolerance), kTailStretch, kMaxTailStretch) : kTailStretch;
          auto longer = work->damped.col(0).head(size);
          longer = step;
          if (stretch_location) longer.head(location_size) *= stretch;
          if (stretch_scale) longer.tail(size - location_size) *= stretch;
          LimitPredictorStep(problem, offset, size, longer, kMaxTailPredictorStep);
          work->trial = theta;
          work->trial.segment(offset, size) += longer;
          const double stretched = problem.LogLikelihood(work->trial.data());
          if (std::isfinite(stretched) && stretched > trial_loglik) {
            accepted_loglik = stretched;
            step = longer;
          } else {
            work->trial = theta;
            work->trial.segment(offset, size) += step;
          }
        }
        work->previous_step.setZero();
        work->previous_step.segment(offset, size) = step;
        work->previous_step_valid = true;
        theta = work->trial;
        last_change = accepted_loglik - loglik;
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
double BlockStep(FeatureObjective& problem, Eigen::Map<Eigen::VectorXd>& theta, double loglik, Index offset, Index size,
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
    if (work->block_cholesky.Compute(work->block_damped.topLeftCorner(size, size))) break;
    lambda = std::max(10.0 * lambda, 1e-6);
  }
  if (!work->block_cholesky.ok()) return std::numeric_limits<double>::quiet_NaN();
  work->block_cholesky.Solve(g.data(), work->block_step.data());
  LimitPredictorStep(problem, offset, size, work->block_step.head(size));
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

EstimatorOutcome RunIrls(FeatureObjective& problem, double* theta_data, bool train_location, const FitOptions& options,
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
    if (SettledAtBound(problem, theta_data, iteration, loglik, last_change, train_location, options, work)) {
      outcome.status = FeatureStatus::kAtBound;
      return outcome;
    }
    if (iteration >= options.max_iterations) {
      outcome.status = FeatureStatus::kMaxIterations;
      return outcome;
    }
    double current = loglik;
    double change = 0.0;
    // The scale is held while it is beyond its bounds heading out (see
    // ScaleHeadingOut); only the location is trained then.
    const bool hold_scale = train_location && ScaleHeadingOut(problem, theta_data, options, *work);
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
    if (hold_scale) {
      last_change = change;
      continue;
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
