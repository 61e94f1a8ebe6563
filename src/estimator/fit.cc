// The parallel per-feature loop (docs/model.md §4, §7): counts + model →
// initialisation → estimator → results. A feature's result is a pure function
// of its counts, the model and the options: threads only decide who computes
// which row, so results are bit-identical for any thread count.
#include "nbglm/fit.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include <xtensor/xview.hpp>

#include "eigen_view.h"
#include "estimator/estimators.h"
#include "estimator/feature_problem.h"
#include "estimator/fit_setup.h"
#include "estimator/poisson_feature_problem.h"
#include "estimator/scale_limit.h"
#include "init/initializer.h"
#include "nbglm/error.h"
#include "model/observation_layout.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// At a location bound: an eigenvalue of J at most this fraction of the
// largest is a diverging direction (the information of a group at the
// min_mean bound, ~n_g·1e-10, against that of the groups with counts), and a
// loading above kNullLoading (relative) puts a coefficient on it.
constexpr double kNullEigenvalue = 1e-8;
constexpr double kNullLoading = 1e-6;

// Per thread: the noise model's objective over the fitted layout (sizes are
// the fitted parameters': the Poisson fits no scale parameter) and scratch.
struct ThreadState {
  ThreadState(const NbGlmModel& model, const ObservationLayout& layout, const Initializer& initializer, Noise noise)
      : nb(noise == Noise::kNegativeBinomial ? std::make_unique<FeatureProblem>(layout) : nullptr),
        poisson(noise == Noise::kPoisson ? std::make_unique<PoissonFeatureProblem>(layout) : nullptr),
        problem(nb ? static_cast<FeatureObjective&>(*nb) : *poisson),
        init(initializer.MakeWorkspace()),
        work(layout.num_location(), layout.num_scale()),
        y(static_cast<std::size_t>(model.num_observations())),
        theta(static_cast<std::size_t>(work.m)),
        restart(theta.size()),
        covariance(work.m, work.m),
        eigen(work.m),
        null_vectors(work.m, work.m),
        mapped(work.m, work.m),
        basis_row(work.q_s),
        scale_theta(static_cast<std::size_t>(model.scale.num_reduced())) {}
  std::unique_ptr<FeatureProblem> nb;  // the NB's objective (its Poisson-limit bound, fit.cc)
  std::unique_ptr<PoissonFeatureProblem> poisson;
  FeatureObjective& problem;
  InitWorkspace init;
  EstimatorWorkspace work;
  std::vector<double> y;
  std::vector<double> theta;
  std::vector<double> restart;
  Eigen::MatrixXd covariance;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen;
  Eigen::MatrixXd null_vectors;  // the first null_directions columns
  Index null_directions = 0;
  // Scale groups at their own limit (scale_limit.h): N·(NᵀJN)⁻¹ before Nᵀ,
  // and a row of the scale's constraint basis.
  Eigen::MatrixXd mapped;
  Eigen::RowVectorXd basis_row;
  // θ_scale = Z̃_G⁻¹β of a scale fitted in its groups' log sizes.
  std::vector<double> scale_theta;
};

// scale_from_groups: Z̃_G⁻¹ when the scale is fitted in its groups' log
// sizes β (Fit), else null.
void FitOneFeature(const CountMatrix& counts, Index feature, Index row, const NbGlmModel& model,
                   const Initializer& initializer, const Eigen::MatrixXd* scale_from_groups,
                   const FitOptions& options, ThreadState* state, FitResult* result) {
  const std::size_t r = static_cast<std::size_t>(row);
  const Index q = model.location.num_reduced();
  const Index q_s = state->problem.num_scale();  // fitted: 0 for the Poisson
  const Index m = q + q_s;
  const bool poisson = options.noise == Noise::kPoisson;
  counts.CopyFeature(feature, state->y.data());
  auto fill_nan = [&]() {
    xt::view(result->location_coef, r, xt::all()) = kNaN;
    xt::view(result->scale_coef, r, xt::all()) = kNaN;
    xt::view(result->location_se, r, xt::all()) = kNaN;
    xt::view(result->scale_se, r, xt::all()) = kNaN;
    xt::view(result->reduced_covariance, r, xt::all(), xt::all()) = kNaN;
  };
  if (counts.FeatureIsAllZero(feature)) {
    fill_nan();
    result->status[r] = FeatureStatus::kAllZero;
    result->loglik[r] = kNaN;
    result->iterations[r] = 0;
    return;
  }
  double* theta = state->theta.data();
  const bool location_exact = initializer.Initialize(state->y.data(), theta, theta + q, &state->init);
  state->problem.SetFeature(state->y.data());
  const bool train_location = !location_exact;
  const auto run = [&](double* start) {
    switch (options.algorithm) {
      case Algorithm::kIrls: return RunIrls(state->problem, start, train_location, options, &state->work);
      case Algorithm::kNewton: return RunNewton(state->problem, start, train_location, options, &state->work);
      case Algorithm::kCeres: return RunCeres(state->problem, start, train_location, options, &state->work);
    }
    return EstimatorOutcome();
  };
  EstimatorOutcome outcome = run(theta);
  // The profile likelihood in r can have two maxima, one inside and the
  // supremum as r → ∞ (the Poisson limit), with a minimum between them (seen
  // on real bulk data with few samples); a fit ends at whichever its start
  // leads to, and a scale held beyond max_size is not yet at the limit. So
  // both candidates are looked at and the higher maximum is kept
  // (docs/model.md "Two maxima"):
  //  1. the Poisson limit: the location maximised with every scale group at
  //     r = e^500 (kPoissonLimitLogSize); a candidate only if the scale
  //     gradient there points outward (a maximum), and skipped when ℓ already
  //     exceeds a bound of every Poisson log-likelihood (by duality, from the
  //     fit's means: PoissonLogLikelihoodBound);
  //  2. when the fit is then at the scale bound: a restart from the method
  //     of moments at its fitted means, if those show overdispersion.
  if (q_s > 0 && std::isfinite(outcome.loglik)) {
    double* other = state->restart.data();
    // The Poisson limit was taken as a boundary maximum (its scale gradient
    // points outward there).
    bool limit_is_maximum = false;
    const double log_max = std::log(options.max_size);
    const bool scale_at_bound = state->problem.Extremes(theta).min_zeta > log_max;
    if (scale_at_bound || outcome.loglik < state->nb->PoissonLogLikelihoodBound(theta)) {
      std::copy(theta, theta + m, other);
      initializer.ScaleAtLogSize(kPoissonLimitLogSize, other + q);
      const EstimatorOutcome limit =
          RunNewton(state->problem, other, /*train_location=*/true, options, &state->work, /*scale_held=*/true);
      outcome.iterations += limit.iterations;
      // A fit that already ends with its scale held beyond max_size (heading
      // out) moves to the limit whenever ℓ does not drop there: a maximum
      // further out, if the profile has one, differs from the limit by less
      // than the function tolerance allows to see.
      if ((limit.status == FeatureStatus::kAtBound || scale_at_bound) && std::isfinite(limit.loglik) &&
          limit.loglik >= outcome.loglik - options.function_tolerance * (1.0 + std::abs(outcome.loglik))) {
        std::copy(other, other + m, theta);
        outcome.status = FeatureStatus::kAtBound;
        outcome.loglik = limit.loglik;
        outcome.solver_termination = limit.solver_termination;
        limit_is_maximum = limit.status == FeatureStatus::kAtBound;
      }
    }
    if (state->problem.Extremes(theta).min_zeta > log_max) {
      std::copy(theta, theta + m, other);
      if (initializer.ScaleFromMoments(state->y.data(), other, other + q, &state->init)) {
        // The restart is of use only if it ends inside the bounds. Once its
        // scale is beyond them heading out, the location converges to the
        // Poisson fit's, where the scale gradient points outward (the limit
        // is a maximum): it would end at the limit again, so a newton
        // restart is abandoned there.
        const EstimatorOutcome inside =
            options.algorithm == Algorithm::kNewton && limit_is_maximum
                ? RunNewton(state->problem, other, train_location, options, &state->work, /*scale_held=*/false,
                            /*abandon_heading_out=*/true)
                : run(other);
        outcome.iterations += inside.iterations;
        if (std::isfinite(inside.loglik) && inside.loglik > outcome.loglik &&
            state->problem.Extremes(other).min_zeta <= log_max) {
          std::copy(other, other + m, theta);
          outcome.status = inside.status;
          outcome.loglik = inside.loglik;
          outcome.solver_termination = inside.solver_termination;
        }
      }
    }
  }
  // Some scale groups heading to their own Poisson limit while the others
  // stay finite (a factor scale model; docs/model.md "Scale, group by
  // group"): those groups are moved to the limit and the rest maximised with
  // them there; kept unless ℓ drops (it moves by their remaining tail only).
  bool groups_at_limit = false;
  if (q_s > 0 && std::isfinite(outcome.loglik)) {
    const Index marked = MarkGroupsHeadingToLimit(state->problem, theta, options, &state->work);
    if (scale_from_groups != nullptr && marked > 0 && marked < state->problem.layout().num_scale_groups()) {
      double* other = state->restart.data();
      std::copy(theta, theta + m, other);
      const EstimatorOutcome limit =
          MaximizeWithGroupsAtLimit(state->problem, other, train_location, options, &state->work);
      outcome.iterations += limit.iterations;
      if (limit.status == FeatureStatus::kAtBound && std::isfinite(limit.loglik) &&
          limit.loglik >= outcome.loglik - options.function_tolerance * (1.0 + std::abs(outcome.loglik))) {
        std::copy(other, other + m, theta);
        outcome.status = FeatureStatus::kAtBound;
        outcome.loglik = limit.loglik;
        groups_at_limit = true;
      }
    }
  }
  // A fit that stopped inside the bounds but converged beyond them is at_bound.
  const BoundCheck bounds = CheckBounds(state->problem, theta, options, 1.0, &state->work);
  if (outcome.status == FeatureStatus::kConverged && bounds.any()) outcome.status = FeatureStatus::kAtBound;
  const bool poisson_limit = q_s > 0 && state->problem.Extremes(theta).min_zeta > std::log(options.max_size);

  result->status[r] = outcome.status;
  result->solver_termination[r] = outcome.solver_termination;
  result->iterations[r] = outcome.iterations;
  result->loglik[r] = outcome.loglik;
  result->location_trained[r] = train_location ? 1 : 0;
  result->scale_trained[r] = poisson ? 0 : 1;
  model.location.constraints.Expand(theta, &result->location_coef(r, 0));

  // Standard errors: inverse observed information J = −H of θ at the estimate
  // (eq. 5–8 through the chain rule), mapped through the bases. A J that is
  // not positive definite gives NaN, never a floor value. At a bound
  // (docs/model.md "Bounds"):
  //  - the scale at the Poisson limit (every r → ∞) is a boundary value, not
  //    an estimate: the location's covariance is the inverse of its own block
  //    (the Poisson GLM's; the cross-information vanishes there) and the
  //    scale's is NaN;
  //  - a location group heading to μ → 0 makes J singular along the
  //    diverging combinations of θ_loc: the near-null eigenvectors of J
  //    (eigenvalue ≤ kNullEigenvalue·largest). A coefficient orthogonal to all
  //    of them is estimable, with its variance from the pseudo-inverse of J
  //    on the rest; any other is reported as NaN, estimate and standard error.
  //  - some scale groups at their own limit: the covariance of the free
  //    directions N (the location and the other groups' log sizes) is the
  //    inverse of NᵀJN, mapped back to θ as N·(NᵀJN)⁻¹·Nᵀ.
  state->problem.Evaluate(theta, state->work.gradient.data(), state->work.hessian.data());
  // The part of θ (or the directions N, the location's among them even when
  // it was not trained) with a covariance.
  if (groups_at_limit) BuildFreeDirections(state->problem, /*train_location=*/true, &state->work);
  Index block = groups_at_limit ? state->work.free_directions : poisson_limit ? q : m;
  state->covariance.setConstant(kNaN);
  auto information = state->work.information.topLeftCorner(block, block);
  const auto free_basis = state->work.free_basis.leftCols(block);
  if (groups_at_limit) {
    ProjectOnFreeDirections(&state->work);
    information = state->work.free_information.topLeftCorner(block, block);
  } else {
    information = -state->work.hessian.topLeftCorner(block, block);
  }
  auto covariance = state->covariance.topLeftCorner(block, block);
  bool invertible = information.allFinite();
  state->null_directions = 0;
  if (invertible && bounds.location && block > 0) {
    state->eigen.compute(information);
    invertible = state->eigen.info() == Eigen::Success;
    const auto& values = state->eigen.eigenvalues();  // ascending
    const auto& vectors = state->eigen.eigenvectors();
    if (invertible) {
      const double largest = values(block - 1);
      covariance.setZero();
      for (Index k = 0; k < block; ++k) {
        if (!(largest > 0.0) || values(k) <= kNullEigenvalue * largest) {
          state->null_vectors.col(state->null_directions++) = vectors.col(k);
        } else {
          covariance.noalias() += vectors.col(k) * vectors.col(k).transpose() / values(k);
        }
      }
    }
  } else if (invertible && block > 0) {
    invertible = state->work.cholesky.Compute(information);
    if (invertible) state->work.cholesky.Inverse(covariance);
  }
  if (!invertible || !covariance.allFinite()) {
    state->covariance.setConstant(kNaN);
    state->null_directions = 0;
    if (outcome.status == FeatureStatus::kConverged) result->status[r] = FeatureStatus::kNumericalFailure;
  } else if (groups_at_limit) {
    state->mapped.leftCols(block).noalias() = free_basis * covariance;
    state->covariance.noalias() = state->mapped.leftCols(block) * free_basis.transpose();
    for (Index k = 0; k < state->null_directions; ++k) {
      state->mapped.col(0).noalias() = free_basis * state->null_vectors.col(k).head(block);
      state->null_vectors.col(k) = state->mapped.col(0);
    }
    block = m;
  }
  // Reduced parameters on which a diverging direction loads have no finite
  // covariance (a contrast touching them is not tested).
  for (Index k = 0; k < state->null_directions; ++k) {
    for (Index j = 0; j < block; ++j) {
      if (std::abs(state->null_vectors(j, k)) > kNullLoading) {
        state->covariance.row(j).setConstant(kNaN);
        state->covariance.col(j).setConstant(kNaN);
      }
    }
  }
  // A scale fitted in its groups' log sizes β: θ_scale = Z̃_G⁻¹β, and the
  // covariance through T = diag(I, Z̃_G⁻¹): T·C·Tᵀ.
  const double* scale_theta = theta + q;
  if (poisson) {
    // The Poisson is the NB's limit r → ∞ (an intercept-only scale model,
    // Fit): reported there, as a fit at the Poisson limit is.
    std::fill(state->scale_theta.begin(), state->scale_theta.end(), kPoissonLimitLogSize);
    scale_theta = state->scale_theta.data();
  } else if (scale_from_groups != nullptr) {
    Eigen::Map<Eigen::VectorXd> mapped_scale(state->scale_theta.data(), q_s);
    mapped_scale.noalias() = *scale_from_groups * Eigen::Map<const Eigen::VectorXd>(theta + q, q_s);
    scale_theta = state->scale_theta.data();
    state->mapped = state->covariance;
    state->mapped.rightCols(q_s).noalias() = state->covariance.rightCols(q_s) * scale_from_groups->transpose();
    state->covariance = state->mapped;
    state->covariance.bottomRows(q_s).noalias() = *scale_from_groups * state->mapped.bottomRows(q_s);
  }
  model.scale.constraints.Expand(scale_theta, &result->scale_coef(r, 0));
  // Coefficients a_j = b_jᵀθ along a diverging direction have no finite value.
  const Matrix& location_basis = model.location.constraints.basis();
  for (std::size_t j = 0; j < location_basis.shape(0); ++j) {
    double norm = 0.0;
    for (Index l = 0; l < q; ++l) norm += location_basis(j, static_cast<std::size_t>(l)) * location_basis(j, static_cast<std::size_t>(l));
    for (Index k = 0; k < state->null_directions; ++k) {
      double loading = 0.0;
      for (Index l = 0; l < q; ++l) loading += location_basis(j, static_cast<std::size_t>(l)) * state->null_vectors(l, k);
      if (std::abs(loading) > kNullLoading * std::sqrt(norm)) result->location_coef(r, j) = kNaN;
    }
  }
  // The scale at the Poisson limit: log r = +∞ for a coefficient that carries
  // it (e.g. the intercept), the others (differences of infinities) NaN.
  if (poisson_limit || poisson) {
    for (std::size_t j = 0; j < result->scale_coef.shape(1); ++j) {
      double& value = result->scale_coef(r, j);
      value = value >= kPoissonLimitLogSize - 1.0 ? std::numeric_limits<double>::infinity() : kNaN;
    }
  }
  if (poisson) xt::view(result->reduced_covariance, r, xt::all(), xt::all()) = kNaN;  // the scale's rows
  for (Index j = 0; j < m; ++j) {
    for (Index k = 0; k < m; ++k) result->reduced_covariance(r, static_cast<std::size_t>(j), static_cast<std::size_t>(k)) = state->covariance(j, k);
  }
  // Scale groups at their own limit: a coefficient that carries one is ±Inf
  // or NaN, the others the finite rest; reduced scale parameters loading on
  // one have no finite covariance.
  if (groups_at_limit) {
    const Matrix& scale_basis = model.scale.constraints.basis();
    for (std::size_t j = 0; j < scale_basis.shape(0); ++j) {
      for (Index l = 0; l < q_s; ++l) state->basis_row(l) = scale_basis(j, static_cast<std::size_t>(l));
      result->scale_coef(r, j) = ScaleCoefficientWithGroupsAtLimit(state->basis_row, *scale_from_groups, theta + q,
                                                                   state->work.group_at_limit);
    }
    for (Index j = 0; j < q_s; ++j) {
      if (!ReducedScaleParameterAtLimit(j, *scale_from_groups, state->work.group_at_limit)) continue;
      for (Index k = 0; k < m; ++k) {
        result->reduced_covariance(r, static_cast<std::size_t>(q + j), static_cast<std::size_t>(k)) = kNaN;
        result->reduced_covariance(r, static_cast<std::size_t>(k), static_cast<std::size_t>(q + j)) = kNaN;
      }
    }
  }
  auto standard_errors = [&](const LinearPredictor& predictor, Index block_offset, Index block_size, Matrix* se) {
    const Matrix& b = predictor.constraints.basis();
    for (std::size_t j = 0; j < b.shape(0); ++j) {
      double variance = 0.0;
      for (Index k = 0; k < block_size; ++k) {
        for (Index l = 0; l < block_size; ++l) {
          const double weight = b(j, static_cast<std::size_t>(k)) * b(j, static_cast<std::size_t>(l));
          if (weight != 0.0) variance += weight * state->covariance(block_offset + k, block_offset + l);
        }
      }
      (*se)(r, j) = variance >= 0.0 ? std::sqrt(variance) : kNaN;
    }
  };
  standard_errors(model.location, 0, q, &result->location_se);
  standard_errors(model.scale, q, q_s, &result->scale_se);
  if (poisson) xt::view(result->scale_se, r, xt::all()) = kNaN;
  if (groups_at_limit) {
    for (std::size_t j = 0; j < result->scale_coef.shape(1); ++j) {
      if (!std::isfinite(result->scale_coef(r, j))) result->scale_se(r, j) = kNaN;
    }
  }
}

}  // namespace

void CheckPoissonScaleModel(const NbGlmModel& model) {
  const LinearPredictor& scale = model.scale;
  bool intercept_only = scale.num_parameters() == 1 && scale.num_reduced() == 1;
  for (std::size_t i = 0; intercept_only && i < scale.design.values.shape(0); ++i) {
    intercept_only = scale.design.values(i, 0) == 1.0;
  }
  if (!intercept_only) {
    throw InputError("noise", "poisson",
                     "has no overdispersion to model: the scale model must be intercept-only (~ 1), not " +
                         std::to_string(scale.num_parameters()) + " parameter(s)" +
                         (scale.num_parameters() == 1 ? " other than a column of ones" : ""));
  }
}

void CheckCountsMatchModel(Index num_observations, const NbGlmModel& model, const Vector& size_factors) {
  const Index n = model.num_observations();
  if (num_observations != n) {
    throw InputError("counts", std::to_string(num_observations) + " observations",
                     "expected " + std::to_string(n) + " (the design's rows)");
  }
  if (size_factors.size() > 0) {
    ValidateSizeFactors(size_factors, n, "size factors", model.location.design.observation_names);
  }
}

std::vector<double> CheckFitInputs(Index num_observations, const NbGlmModel& model, const Vector& size_factors,
                                   const FitOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  CheckCountsMatchModel(num_observations, model, size_factors);
  std::vector<double> offset(static_cast<std::size_t>(num_observations), 0.0);
  for (Index i = 0; i < static_cast<Index>(size_factors.size()); ++i) {
    offset[static_cast<std::size_t>(i)] = std::log(size_factors(i));
  }
  return offset;
}

void FeatureRange(Index num_features, const FitOptions& options, Index* begin, Index* end) {
  *begin = std::min(options.feature_begin, num_features);
  *end = options.feature_end < 0 ? num_features : std::min(options.feature_end, num_features);
  *end = std::max(*end, *begin);
}

int FitThreads(const FitOptions& options, Index count) {
  const int threads =
      options.num_threads > 0 ? options.num_threads : static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, std::min<int>(threads, static_cast<int>(std::max<Index>(count, 1))));
}

FitResult ShapeFitResult(std::vector<std::string> feature_names, const NbGlmModel& model, const FitOptions& options,
                         Index begin) {
  const std::size_t features = feature_names.size();
  const std::size_t p = static_cast<std::size_t>(model.location.num_parameters());
  const std::size_t p_s = static_cast<std::size_t>(model.scale.num_parameters());
  const std::size_t m = static_cast<std::size_t>(model.location.num_reduced() + model.scale.num_reduced());
  FitResult result;
  result.feature_names = std::move(feature_names);
  result.location_names = model.location.design.parameter_names;
  result.scale_names = model.scale.design.parameter_names;
  result.location_coef = Matrix::from_shape({features, p});
  result.scale_coef = Matrix::from_shape({features, p_s});
  result.location_se = Matrix::from_shape({features, p});
  result.scale_se = Matrix::from_shape({features, p_s});
  result.reduced_covariance = xt::xtensor<double, 3>::from_shape({features, m, m});
  result.loglik.assign(features, kNaN);
  result.status.assign(features, FeatureStatus::kNumericalFailure);
  result.solver_termination.assign(features, std::string());
  result.iterations.assign(features, 0);
  result.location_trained.assign(features, 0);
  result.scale_trained.assign(features, 0);
  result.algorithm = options.algorithm;
  result.feature_begin = begin;
  result.num_threads = FitThreads(options, static_cast<Index>(features));
  return result;
}

FitResult Fit(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors,
              const FitOptions& options) {
  const std::vector<double> offset = CheckFitInputs(counts.num_observations(), model, size_factors, options);
  Index begin = 0, end = 0;
  FeatureRange(counts.num_features(), options, &begin, &end);
  const Index count = end - begin;
  FitResult result = ShapeFitResult(
      {counts.feature_names().begin() + begin, counts.feature_names().begin() + end}, model, options, begin);
  const int threads = result.num_threads;

  const auto start = std::chrono::steady_clock::now();
  const bool poisson = options.noise == Noise::kPoisson;
  if (poisson) CheckPoissonScaleModel(model);
  const ObservationLayout model_layout(model, offset);
  // A factor scale model (as many scale groups as parameters, Z̃_G
  // invertible) is fitted in its groups' log sizes β: each group's size is
  // a coordinate of its own for the damping, the stopping rules and a group
  // heading to its own Poisson limit (docs/model.md "Scale, group by group";
  // θ_scale = Z̃_G⁻¹β for the report). Same model, same maximum.
  const bool group_coordinates =
      !poisson && model_layout.num_scale() > 1 && model_layout.scale_group_inverse().size() > 0;
  std::optional<ObservationLayout> fitted_layout;
  if (poisson) {
    fitted_layout.emplace(model_layout.WithoutScale());
  } else if (group_coordinates) {
    fitted_layout.emplace(model_layout.InScaleGroupCoordinates());
  }
  const ObservationLayout& layout = fitted_layout ? *fitted_layout : model_layout;
  const Eigen::MatrixXd* scale_from_groups = group_coordinates ? &model_layout.scale_group_inverse() : nullptr;
  // Not overdispersed at the start: r just beyond max_size (see Initializer).
  const Initializer initializer(layout, 2.0 * options.max_size);
  std::atomic<Index> next{0};
  std::atomic<Index> done{0};
  constexpr Index kChunk = 16;
  // The first exception of any thread (or the cancellation) stops the others
  // at their next chunk; it is rethrown on this thread after the joins.
  std::atomic<bool> stop{false};
  std::atomic<bool> cancelled{false};
  std::exception_ptr thread_error;
  std::mutex error_mutex;
  auto worker = [&]() {
    try {
      ThreadState state(model, layout, initializer, options.noise);
      for (;;) {
        if (stop.load()) return;
        if (options.cancel && options.cancel()) {
          cancelled.store(true);
          stop.store(true);
          return;
        }
        const Index first = next.fetch_add(kChunk);
        if (first >= count) break;
        const Index last = std::min(first + kChunk, count);
        for (Index row = first; row < last; ++row) {
          FitOneFeature(counts, begin + row, row, model, initializer, scale_from_groups, options, &state, &result);
        }
        const Index finished = done.fetch_add(last - first) + (last - first);
        if (options.progress) options.progress(finished, count);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!thread_error) thread_error = std::current_exception();
      stop.store(true);
    }
  };
  if (threads == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (std::thread& thread : pool) thread.join();
  }
  if (thread_error) std::rethrow_exception(thread_error);
  if (cancelled.load()) throw FitCancelled();
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace nbglm
