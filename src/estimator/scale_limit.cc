#include "estimator/scale_limit.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nbglm {
namespace {

constexpr int kMaxStepShrinks = 60;
// A weight at most this fraction of the largest in its row is a zero that
// rounding left (e.g. a column of Z̃_G⁻¹ computed by an LU factorization).
constexpr double kLoadingTolerance = 1e-9;


// The stopping rules of HasConverged along the free directions (the last
// step's |Δℓ| is asked only when `last_change` is given: while the marked
// groups still move, ℓ changes by their tail).
bool FreeDirectionsConverged(double loglik, const double* last_change, const FitOptions& options,
                             EstimatorWorkspace* work) {
  const Index k = work->free_directions;
  if (k == 0) return true;
  if (!work->free_cholesky.Compute(work->free_information.topLeftCorner(k, k))) return false;
  const auto g = work->free_gradient.head(k);
  work->free_cholesky.Solve(g.data(), work->free_step.data());
  const double decrement = g.dot(work->free_step.head(k));
  if (!(decrement >= 0.0) || !std::isfinite(decrement)) return false;
  double change = 0.5 * decrement;
  if (last_change != nullptr) change = std::max(change, std::abs(*last_change));
  if (change > options.function_tolerance * (1.0 + std::abs(loglik))) return false;
  work->free_cholesky.InverseDiagonal(work->diagonal.data());
  for (Index j = 0; j < k; ++j) {
    if (std::abs(g(j)) * std::sqrt(std::max(work->diagonal(j), 0.0)) > options.gradient_tolerance) return false;
  }
  return true;
}

}  // namespace

void ProjectOnFreeDirections(EstimatorWorkspace* work) {
  const Index k = work->free_directions;
  const auto basis = work->free_basis.leftCols(k);
  work->free_gradient.head(k).noalias() = basis.transpose() * work->gradient;
  work->free_information.topLeftCorner(k, k).noalias() = -(basis.transpose() * work->hessian * basis);
  // Exactly symmetric, as the estimators' matrices are.
  for (Index i = 0; i < k; ++i) {
    for (Index j = 0; j < i; ++j) work->free_information(j, i) = work->free_information(i, j);
  }
}

Index MarkGroupsHeadingToLimit(FeatureObjective& problem, const double* theta, const FitOptions& options,
                               EstimatorWorkspace* work) {
  std::fill(work->group_at_limit.begin(), work->group_at_limit.end(), 0);
  work->groups_at_limit = 0;
  const Eigen::MatrixXd& inverse = problem.layout().scale_group_inverse();
  if (work->q_s == 0 || inverse.size() == 0) return 0;
  const double log_max = std::log(options.max_size);
  if (!(problem.Extremes(theta).max_zeta > log_max)) return 0;
  const double flat = FlatScaleGradient(problem.ScaleGroupGradient(theta, work->group_gradient.data()));
  const RowMajorMatrixXd& z = problem.layout().scale_rows();
  const Index q = work->q;
  for (Index h = 0; h < z.rows(); ++h) {
    double beta = 0.0;
    for (Index j = 0; j < work->q_s; ++j) beta += z(h, j) * theta[q + j];
    if (beta > log_max && work->group_gradient(h) > -flat) {
      work->group_at_limit[static_cast<std::size_t>(h)] = 1;
      ++work->groups_at_limit;
    }
  }
  return work->groups_at_limit;
}

Index BuildFreeDirections(const FeatureObjective& problem, bool train_location, EstimatorWorkspace* work) {
  const Eigen::MatrixXd& inverse = problem.layout().scale_group_inverse();
  const Index q = work->q;
  Index k = 0;
  work->free_basis.setZero();
  if (train_location) {
    for (Index j = 0; j < q; ++j) work->free_basis(j, k++) = 1.0;
  }
  for (Index h = 0; h < inverse.cols(); ++h) {
    if (work->group_at_limit[static_cast<std::size_t>(h)]) continue;
    work->free_basis.block(q, k++, work->q_s, 1) = inverse.col(h);
  }
  work->free_directions = k;
  return k;
}

bool SomeScaleGroupsAtLimit(FeatureObjective& problem, const double* theta, double loglik, bool train_location,
                            const FitOptions& options, EstimatorWorkspace* work) {
  if (problem.layout().num_scale_groups() < 2) return false;  // no group can head out alone
  const Index marked = MarkGroupsHeadingToLimit(problem, theta, options, work);
  if (marked == 0 || marked == problem.layout().num_scale_groups()) return false;
  BuildFreeDirections(problem, train_location, work);
  ProjectOnFreeDirections(work);
  return FreeDirectionsConverged(loglik, nullptr, options, work);
}

bool OtherScaleGroupsConverged(FeatureObjective& problem, const double* theta, double loglik, const FitOptions& options,
                               EstimatorWorkspace* work) {
  if (problem.layout().num_scale_groups() < 2) return false;
  const Index marked = MarkGroupsHeadingToLimit(problem, theta, options, work);
  if (marked == 0 || marked == problem.layout().num_scale_groups()) return false;
  BuildFreeDirections(problem, /*train_location=*/false, work);
  ProjectOnFreeDirections(work);
  return FreeDirectionsConverged(loglik, nullptr, options, work);
}

EstimatorOutcome MaximizeWithGroupsAtLimit(FeatureObjective& problem, double* theta_data, bool train_location,
                                           const FitOptions& options, EstimatorWorkspace* work) {
  const Index q_s = work->q_s;
  const Index m = work->m;
  const Eigen::MatrixXd& inverse = problem.layout().scale_group_inverse();
  const RowMajorMatrixXd& z = problem.layout().scale_rows();
  Eigen::Map<Eigen::VectorXd> theta(theta_data, m);
  // β = Z̃_G θ_scale, the marked groups moved to the limit, θ_scale = Z̃_G⁻¹β.
  auto beta = work->block_step.head(q_s);
  beta.noalias() = z * theta.tail(q_s);
  for (Index h = 0; h < q_s; ++h) {
    if (work->group_at_limit[static_cast<std::size_t>(h)]) beta(h) = kPoissonLimitLogSize;
  }
  theta.tail(q_s).noalias() = inverse * beta;
  const Index k = BuildFreeDirections(problem, train_location, work);
  const auto basis = work->free_basis.leftCols(k);

  EstimatorOutcome outcome;
  double loglik = problem.Evaluate(theta_data, work->gradient.data(), work->hessian.data());
  double last_change = 0.0;
  double lambda = 0.0;
  for (int iteration = 0;; ++iteration) {
    outcome.iterations = iteration;
    outcome.loglik = loglik;
    if (!std::isfinite(loglik) || !work->gradient.allFinite() || !work->hessian.allFinite()) {
      outcome.status = FeatureStatus::kNumericalFailure;
      return outcome;
    }
    ProjectOnFreeDirections(work);
    const double tolerance = options.function_tolerance * (1.0 + std::abs(loglik));
    if (FreeDirectionsConverged(loglik, iteration > 0 ? &last_change : nullptr, options, work) ||
        (iteration > 0 && std::abs(last_change) <= tolerance &&
         CheckBounds(problem, theta_data, options, 1.0, work).location)) {
      outcome.status = FeatureStatus::kAtBound;
      return outcome;
    }
    if (iteration >= options.max_iterations) {
      outcome.status = FeatureStatus::kMaxIterations;
      return outcome;
    }
    // Damped Newton step along N: (NᵀJN + λ·D) u = Nᵀg, δ = N·u.
    const auto g = work->free_gradient.head(k);
    bool accepted = false;
    for (int attempt = 0; attempt < kMaxStepShrinks; ++attempt) {
      work->damped.topLeftCorner(k, k) = work->free_information.topLeftCorner(k, k);
      if (lambda > 0.0) {
        for (Index j = 0; j < k; ++j) work->damped(j, j) += lambda * std::max(std::abs(work->damped(j, j)), 1e-8);
      }
      if (!work->free_cholesky.Compute(work->damped.topLeftCorner(k, k))) {
        lambda = std::max(lambda * 10.0, 1e-6);
        continue;
      }
      work->free_cholesky.Solve(g.data(), work->free_step.data());
      work->step.noalias() = basis * work->free_step.head(k);
      LimitPredictorStep(problem, 0, m, work->step);
      work->trial = theta + work->step;
      const double trial_loglik = problem.LogLikelihood(work->trial.data());
      const double slack = QuadraticRegimeSlack(work->gradient.dot(work->step), loglik, options);
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
      outcome.status = CheckBounds(problem, theta_data, options, 1.0, work).location ? FeatureStatus::kAtBound
                                                                                      : FeatureStatus::kNumericalFailure;
      return outcome;
    }
    loglik = problem.Evaluate(theta_data, work->gradient.data(), work->hessian.data());
  }
}

double ScaleCoefficientWithGroupsAtLimit(const Eigen::Ref<const Eigen::RowVectorXd>& basis_row,
                                         const Eigen::MatrixXd& group_inverse, const double* beta,
                                         const std::vector<char>& group_at_limit) {
  bool plus = false;
  bool minus = false;
  double largest = 0.0;
  for (Index h = 0; h < group_inverse.cols(); ++h) largest = std::max(largest, std::abs(basis_row.dot(group_inverse.col(h))));
  double value = 0.0;
  for (Index h = 0; h < group_inverse.cols(); ++h) {
    const double weight = basis_row.dot(group_inverse.col(h));
    if (group_at_limit[static_cast<std::size_t>(h)]) {
      if (std::abs(weight) > kLoadingTolerance * largest) (weight > 0.0 ? plus : minus) = true;
    } else {
      value += weight * beta[h];
    }
  }
  if (plus && minus) return std::numeric_limits<double>::quiet_NaN();
  if (plus) return std::numeric_limits<double>::infinity();
  if (minus) return -std::numeric_limits<double>::infinity();
  return value;
}

bool ReducedScaleParameterAtLimit(Index j, const Eigen::MatrixXd& group_inverse,
                                  const std::vector<char>& group_at_limit) {
  const double largest = group_inverse.row(j).cwiseAbs().maxCoeff();
  for (Index h = 0; h < group_inverse.cols(); ++h) {
    if (group_at_limit[static_cast<std::size_t>(h)] && std::abs(group_inverse(j, h)) > kLoadingTolerance * largest) {
      return true;
    }
  }
  return false;
}

}  // namespace nbglm
