// The ceres estimator: Ceres Solver's BFGS line search on −ℓ with the
// analytic gradient (docs/model.md §4) — the independent check of irls/newton,
// sharing only the objective and the stopping rules.
#include <cmath>
#include <limits>
#include <vector>

#include <ceres/ceres.h>

#include "estimator/estimators.h"

namespace nbglm {
namespace {

// −ℓ over the trained block of θ (all of it, or the scale block only), in
// preconditioned coordinates u: θ = θ₀ + L⁻ᵀu with J₀ = L Lᵀ the observed
// information at the start. Then ∇_u = L⁻¹∇_θ, so the Hessian in u is ≈ I,
// BFGS needs few iterations, and |∇_u|² ≈ gᵀJ⁻¹g — Ceres' gradient test in u
// is our scaled-gradient rule.
class PreconditionedNegativeLogLikelihood final : public ceres::FirstOrderFunction {
 public:
  PreconditionedNegativeLogLikelihood(FeatureObjective* problem, const double* theta, Index offset, Index size,
                                      const Eigen::MatrixXd& lower, EstimatorWorkspace* work)
      : problem_(problem), theta0_(Eigen::Map<const Eigen::VectorXd>(theta, work->m)), offset_(offset), size_(size),
        lower_(lower), work_(work) {}

  void ToTheta(const double* u, double* theta) const {
    Eigen::Map<Eigen::VectorXd> out(theta, work_->m);
    out = theta0_;
    out.segment(offset_, size_) +=
        lower_.transpose().triangularView<Eigen::Upper>().solve(Eigen::Map<const Eigen::VectorXd>(u, size_));
  }

  bool Evaluate(const double* u, double* cost, double* gradient) const override {
    ToTheta(u, work_->trial.data());
    double loglik;
    if (gradient == nullptr) {
      loglik = problem_->LogLikelihood(work_->trial.data());
    } else {
      loglik = problem_->Evaluate(work_->trial.data(), work_->step.data(), nullptr);
      Eigen::Map<Eigen::VectorXd> g(gradient, size_);
      g = -lower_.triangularView<Eigen::Lower>().solve(work_->step.segment(offset_, size_));
    }
    *cost = -loglik;
    return std::isfinite(loglik);
  }
  int NumParameters() const override { return static_cast<int>(size_); }

 private:
  FeatureObjective* problem_;
  Eigen::VectorXd theta0_;
  Index offset_, size_;
  const Eigen::MatrixXd& lower_;
  EstimatorWorkspace* work_;
};

// The score equations L⁻¹∇ℓ(θ) = 0 as Ceres residuals (Jacobian L⁻¹H). A
// line search on ℓ cannot confirm gains below the rounding of ℓ itself
// (≈ 1e-15·|ℓ|), which caps the reachable scaled gradient near 1e-7; the
// score is computed to full precision, so Ceres' Levenberg–Marquardt on it
// finishes the job from the BFGS solution (a stationary point; HasConverged
// then checks it is a maximum).
class PreconditionedScore final : public ceres::CostFunction {
 public:
  PreconditionedScore(FeatureObjective* problem, const double* theta, Index offset, Index size,
                      const Eigen::MatrixXd& lower, EstimatorWorkspace* work)
      : problem_(problem), theta_(Eigen::Map<const Eigen::VectorXd>(theta, work->m)), offset_(offset), size_(size),
        lower_(lower), work_(work) {
    set_num_residuals(static_cast<int>(size));
    mutable_parameter_block_sizes()->push_back(static_cast<int>(size));
  }

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    work_->trial = theta_;
    work_->trial.segment(offset_, size_) = Eigen::Map<const Eigen::VectorXd>(parameters[0], size_);
    const double loglik = problem_->Evaluate(work_->trial.data(), work_->step.data(), work_->hessian.data());
    if (!std::isfinite(loglik)) return false;
    Eigen::Map<Eigen::VectorXd>(residuals, size_) =
        lower_.triangularView<Eigen::Lower>().solve(work_->step.segment(offset_, size_));
    if (jacobians != nullptr && jacobians[0] != nullptr) {
      Eigen::Map<RowMajor>(jacobians[0], size_, size_) =
          lower_.triangularView<Eigen::Lower>().solve(work_->hessian.block(offset_, offset_, size_, size_));
    }
    return Eigen::Map<const Eigen::VectorXd>(residuals, size_).allFinite();
  }

 private:
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  FeatureObjective* problem_;
  Eigen::VectorXd theta_;
  Index offset_, size_;
  const Eigen::MatrixXd& lower_;
  EstimatorWorkspace* work_;
};

// Ends the BFGS search once the fit is settled at a bound by the rule newton
// and irls stop on (SettledAtBound): along a mean heading to 0 or a size to
// the Poisson limit ℓ keeps creeping up like e^{−t}, and BFGS would follow
// that tail for hundreds of iterations. Looked at only while some predictor
// is beyond its bounds (one extra evaluation then).
class StopWhenSettledAtBound final : public ceres::IterationCallback {
 public:
  StopWhenSettledAtBound(FeatureObjective* problem, const PreconditionedNegativeLogLikelihood* function, const double* u,
                         bool train_location, const FitOptions& options, EstimatorWorkspace* work)
      : problem_(problem), function_(function), u_(u), train_location_(train_location), options_(options),
        work_(work), theta_(static_cast<std::size_t>(work->m)) {}

  ceres::CallbackReturnType operator()(const ceres::IterationSummary& summary) override {
    if (summary.iteration == 0) return ceres::SOLVER_CONTINUE;
    function_->ToTheta(u_, theta_.data());
    if (!CheckBounds(*problem_, theta_.data(), options_, 1.0, work_).any()) return ceres::SOLVER_CONTINUE;
    const double loglik = problem_->Evaluate(theta_.data(), work_->gradient.data(), work_->hessian.data());
    if (!std::isfinite(loglik) || !work_->gradient.allFinite() || !work_->hessian.allFinite()) {
      return ceres::SOLVER_CONTINUE;
    }
    // cost = −ℓ, and cost_change is the decrease of the cost: the gain in ℓ.
    if (SettledAtBound(*problem_, theta_.data(), summary.iteration, loglik, summary.cost_change, train_location_,
                       options_, work_)) {
      settled_ = true;
      return ceres::SOLVER_TERMINATE_SUCCESSFULLY;
    }
    return ceres::SOLVER_CONTINUE;
  }

  bool settled() const { return settled_; }

 private:
  FeatureObjective* problem_;
  const PreconditionedNegativeLogLikelihood* function_;
  const double* u_;
  bool train_location_;
  const FitOptions& options_;
  EstimatorWorkspace* work_;
  std::vector<double> theta_;
  bool settled_ = false;
};

}  // namespace

EstimatorOutcome RunCeres(FeatureObjective& problem, double* theta, bool train_location, const FitOptions& options,
                          EstimatorWorkspace* work) {
  const Index offset = train_location ? 0 : work->q;
  const Index size = train_location ? work->m : work->q_s;
  EstimatorOutcome outcome;
  // Preconditioner from the information at the start; a start that is not
  // in a concave region falls back to diag(|J|) (floored).
  problem.Evaluate(theta, work->gradient.data(), work->hessian.data());
  if (!work->hessian.allFinite()) {
    outcome.status = FeatureStatus::kNumericalFailure;
    return outcome;
  }
  Eigen::MatrixXd information = -work->hessian.block(offset, offset, size, size);
  Eigen::LLT<Eigen::MatrixXd> cholesky(information);
  Eigen::MatrixXd lower;
  if (cholesky.info() == Eigen::Success) {
    lower = cholesky.matrixL();
  } else {
    lower = information.diagonal().cwiseAbs().cwiseMax(1e-8).cwiseSqrt().asDiagonal();
  }
  auto* function = new PreconditionedNegativeLogLikelihood(&problem, theta, offset, size, lower, work);
  ceres::GradientProblem gradient_problem(function);  // takes ownership
  ceres::GradientProblemSolver::Options solver_options;
  solver_options.line_search_direction_type = ceres::BFGS;
  solver_options.max_num_iterations = options.max_iterations * 5;
  // Ceres' relative cost test would fire on the rounding noise of ℓ; rely on
  // its gradient test in u (≈ our scaled gradient) and our rules afterwards.
  solver_options.function_tolerance = 0.0;
  solver_options.gradient_tolerance = 0.1 * options.gradient_tolerance;
  solver_options.parameter_tolerance = 0.0;
  solver_options.logging_type = ceres::SILENT;
  ceres::GradientProblemSolver::Summary summary;
  Eigen::VectorXd u = Eigen::VectorXd::Zero(size);
  StopWhenSettledAtBound stop(&problem, function, u.data(), train_location, options, work);
  solver_options.callbacks.push_back(&stop);
  solver_options.update_state_every_iteration = true;  // u is current in the callback
  ceres::Solve(solver_options, gradient_problem, u.data(), &summary);
  function->ToTheta(u.data(), work->trial.data());
  for (Index j = 0; j < work->m; ++j) theta[j] = work->trial(j);
  outcome.iterations = static_cast<int>(summary.iterations.size());
  outcome.solver_termination = ceres::TerminationTypeToString(summary.termination_type);
  if (stop.settled()) {
    // At a bound: no interior maximum for the score equations to refine.
    outcome.loglik = problem.Evaluate(theta, work->gradient.data(), work->hessian.data());
    outcome.status = std::isfinite(outcome.loglik) ? FeatureStatus::kAtBound : FeatureStatus::kNumericalFailure;
    return outcome;
  }

  // Phase 2 (see PreconditionedScore): Levenberg–Marquardt on the score,
  // only from a point BFGS brought near a maximum (concave there).
  problem.Evaluate(theta, work->gradient.data(), work->hessian.data());
  Eigen::LLT<Eigen::MatrixXd> at_solution(-work->hessian.block(offset, offset, size, size));
  if (summary.termination_type != ceres::NO_CONVERGENCE && at_solution.info() == Eigen::Success) {
    Eigen::VectorXd block = Eigen::Map<Eigen::VectorXd>(theta + offset, size);
    ceres::Problem score_problem;
    score_problem.AddResidualBlock(new PreconditionedScore(&problem, theta, offset, size, lower, work), nullptr,
                                   block.data());
    ceres::Solver::Options score_options;
    score_options.linear_solver_type = ceres::DENSE_QR;
    score_options.max_num_iterations = options.max_iterations;
    score_options.function_tolerance = 1e-30;
    score_options.gradient_tolerance = 1e-30;
    score_options.parameter_tolerance = 1e-16;
    score_options.logging_type = ceres::SILENT;
    score_options.num_threads = 1;
    ceres::Solver::Summary score_summary;
    ceres::Solve(score_options, &score_problem, &score_summary);
    if (score_summary.IsSolutionUsable()) {
      for (Index j = 0; j < size; ++j) theta[offset + j] = block(j);
    }
    outcome.iterations += static_cast<int>(score_summary.iterations.size());
  }

  outcome.loglik = problem.Evaluate(theta, work->gradient.data(), work->hessian.data());
  if (!std::isfinite(outcome.loglik) || !work->gradient.allFinite() || !work->hessian.allFinite()) {
    outcome.status = FeatureStatus::kNumericalFailure;
  } else if (HasConverged(outcome.loglik, 0.0, train_location, options, work)) {
    outcome.status = FeatureStatus::kConverged;
  } else if (CheckBounds(problem, theta, options, 1.0, work).any()) {
    outcome.status = FeatureStatus::kAtBound;
  } else if (summary.termination_type == ceres::NO_CONVERGENCE) {
    outcome.status = FeatureStatus::kMaxIterations;
  } else {
    outcome.status = FeatureStatus::kNumericalFailure;
  }
  return outcome;
}

}  // namespace nbglm
