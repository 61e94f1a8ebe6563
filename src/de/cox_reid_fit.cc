// FitCoxReid (nbglm/fit.h): the location at fixed dispersion and the Cox–Reid
// dispersion alternated per feature, reported as a FitResult.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>

#include <xtensor/xview.hpp>

#include "de/cox_reid.h"
#include "de/fixed_dispersion_glm.h"
#include "de/parallel_for.h"
#include "estimator/estimators.h"
#include "estimator/fit_setup.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/negative_binomial.h"

namespace nbglm {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// One thread's workspace.
struct CoxReidState {
  explicit CoxReidState(const de::GlmDesign& design)
      : glm(design),
        cox_reid(design),
        y(static_cast<std::size_t>(design.n())),
        eta(static_cast<std::size_t>(design.n())),
        theta(static_cast<std::size_t>(design.q())),
        covariance(design.q(), design.q()) {}
  de::FixedDispersionGlm glm;
  de::CoxReidDispersion cox_reid;
  std::vector<double> y, eta, theta;
  Eigen::MatrixXd covariance;
};

// Row `row` (feature begin + row) of `result`.
void FitCoxReidFeature(const CountMatrix& counts, const NbGlmModel& model, const std::vector<double>& offset,
                       const FitOptions& options, const de::CoxReidOptions& cr_options, Index begin, Index row,
                       CoxReidState* state, FitResult* out) {
  FitResult& result = *out;
  de::FixedDispersionGlm* glm = &state->glm;
  de::CoxReidDispersion* cox_reid = &state->cox_reid;
  std::vector<double>& y = state->y;
  std::vector<double>& eta = state->eta;
  std::vector<double>& theta = state->theta;
  Eigen::MatrixXd& covariance = state->covariance;
  const Index n = model.num_observations();
  const Index q = model.location.num_reduced();
  const Matrix& basis = model.location.constraints.basis();  // p × q
  const std::size_t p = basis.shape(0);
  const std::size_t r = static_cast<std::size_t>(row);
  const Index feature = begin + row;
  auto fill_nan = [&]() {
    xt::view(result.location_coef, r, xt::all()) = kNaN;
    xt::view(result.location_se, r, xt::all()) = kNaN;
    result.scale_coef(r, 0) = kNaN;
    result.scale_se(r, 0) = kNaN;
    xt::view(result.reduced_covariance, r, xt::all(), xt::all()) = kNaN;
  };
  fill_nan();
  counts.CopyFeature(feature, y.data());
  if (counts.FeatureIsAllZero(feature)) {
    result.status[r] = FeatureStatus::kAllZero;
    return;
  }
  // Alternate to the fixed point, from the moments estimate of y/s.
  double mean = 0.0, second = 0.0, inverse = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double s = std::exp(offset[static_cast<std::size_t>(i)]);
    mean += y[static_cast<std::size_t>(i)] / s;
    second += (y[static_cast<std::size_t>(i)] / s) * (y[static_cast<std::size_t>(i)] / s);
    inverse += 1.0 / s;
  }
  mean /= static_cast<double>(n);
  inverse /= static_cast<double>(n);
  const double variance = n > 1 ? (second - static_cast<double>(n) * mean * mean) / static_cast<double>(n - 1) : 0.0;
  double phi = std::max((variance - mean * inverse) / (mean * mean), 1e-3);
  de::FixedDispersionOutcome fit;
  de::CoxReidOutcome cr;
  bool converged = false, warm = false;
  int rounds = 0;
  double previous_apl = std::numeric_limits<double>::quiet_NaN();
  // Stopping rule: log r changes by at most 1e-8, or the adjusted likelihood
  // at the round's (μ, r) by at most function_tolerance·(1 + |APL|) — the
  // latter ends features whose fixed point lies at a bound (a single
  // non-zero count: μ and r drift together without changing the fit).
  while (rounds < options.max_iterations) {
    ++rounds;
    fit = glm->Fit(y.data(), offset.data(), phi, theta.data(), warm);
    warm = true;
    if (fit.failed) break;
    for (Index i = 0; i < n; ++i) eta[static_cast<std::size_t>(i)] = std::log(glm->mu()(i));
    cr = cox_reid->Maximize(y.data(), eta.data(), phi > 0.0 ? phi : 1e-3, cr_options);
    if (!cr.converged) break;
    const double next = cr.overdispersion;
    const double apl = cox_reid->AdjustedLogLikelihood(y.data(), eta.data(),
                                                       next > 0.0 ? -std::log(next) : kPoissonLimitLogSize, nullptr,
                                                       nullptr);
    const bool same = next == phi || (next > 0.0 && phi > 0.0 && std::abs(std::log(next / phi)) <= 1e-8) ||
                      std::abs(apl - previous_apl) <= options.function_tolerance * (1.0 + std::abs(apl));
    phi = next;
    previous_apl = apl;
    if (same) {
      converged = true;
      break;
    }
  }
  result.iterations[r] = rounds;
  if (fit.failed || !cr.converged) return;
  // The location at the final φ (the last Maximize may have moved it).
  fit = glm->Fit(y.data(), offset.data(), phi, theta.data(), true);
  if (fit.failed) return;
  const double zeta = phi > 0.0 ? -std::log(phi) : kPoissonLimitLogSize;
  double loglik = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double e = std::log(glm->mu()(i));
    eta[static_cast<std::size_t>(i)] = e;
    loglik += NbLogLikelihood(y[static_cast<std::size_t>(i)], e, zeta);
  }
  double d1 = 0.0, d2 = 0.0;
  cox_reid->AdjustedLogLikelihood(y.data(), eta.data(), zeta, &d1, &d2);
  result.loglik[r] = loglik;
  const bool poisson = phi == 0.0 || cr.poisson_limit;
  const bool bound = poisson || cr.at_lower_bound || fit.at_bound;
  result.status[r] = !converged || !fit.converged ? FeatureStatus::kMaxIterations
                     : bound                     ? FeatureStatus::kAtBound
                                                 : FeatureStatus::kConverged;
  // Location: a = Bθ; Cov(θ) = I⁻¹ at the estimated φ; coefficients on a
  // diverging direction (a group of zeros) have no value.
  Eigen::LDLT<Eigen::MatrixXd> info(glm->information());
  covariance = info.solve(Eigen::MatrixXd::Identity(q, q));
  model.location.constraints.Expand(theta.data(), &result.location_coef(r, 0));
  for (std::size_t j = 0; j < p; ++j) {
    Eigen::VectorXd b(q);
    for (Index l = 0; l < q; ++l) b(l) = basis(j, static_cast<std::size_t>(l));
    if (!glm->Estimable(b)) {
      result.location_coef(r, j) = kNaN;
      continue;
    }
    const double v = b.dot(covariance * b);
    result.location_se(r, j) = v >= 0.0 ? std::sqrt(v) : kNaN;
  }
  for (Index j = 0; j < q; ++j) {
    Eigen::VectorXd e = Eigen::VectorXd::Unit(q, j);
    const bool estimable = glm->Estimable(e);
    for (Index l = 0; l < q; ++l) {
      const bool both = estimable && glm->Estimable(Eigen::VectorXd::Unit(q, l));
      result.reduced_covariance(r, static_cast<std::size_t>(j), static_cast<std::size_t>(l)) = both ? covariance(j, l) : kNaN;
    }
    result.reduced_covariance(r, static_cast<std::size_t>(j), static_cast<std::size_t>(q)) = kNaN;
    result.reduced_covariance(r, static_cast<std::size_t>(q), static_cast<std::size_t>(j)) = kNaN;
  }
  if (poisson) {
    result.scale_coef(r, 0) = kInf;  // log r = +∞: the Poisson limit
  } else {
    result.scale_coef(r, 0) = zeta;
    // The location and scale are orthogonal in expected information
    // (E[∂²ℓ/∂η∂ζ] = 0): block-diagonal covariance, the scale's from the
    // adjusted likelihood's curvature.
    if (d2 < 0.0) {
      result.scale_se(r, 0) = std::sqrt(-1.0 / d2);
      result.reduced_covariance(r, static_cast<std::size_t>(q), static_cast<std::size_t>(q)) = -1.0 / d2;
      for (Index j = 0; j < q; ++j) {
        if (!std::isnan(result.reduced_covariance(r, static_cast<std::size_t>(j), static_cast<std::size_t>(j)))) {
          result.reduced_covariance(r, static_cast<std::size_t>(j), static_cast<std::size_t>(q)) = 0.0;
          result.reduced_covariance(r, static_cast<std::size_t>(q), static_cast<std::size_t>(j)) = 0.0;
        }
      }
    }
  }
}

}  // namespace

FitResult FitCoxReid(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors,
                     const FitOptions& options) {
  const std::vector<double> offset = CheckFitInputs(counts.num_observations(), model, size_factors, options);
  if (options.noise != Noise::kNegativeBinomial) {
    throw InputError("cox-reid", "noise " + std::string(ToString(options.noise)),
                     "the Cox-Reid estimate is of the NB's size; a Poisson fit has none to estimate");
  }
  if (!de::IsInterceptOnly(model.scale)) {
    throw InputError("cox-reid", "a scale model with " + std::to_string(model.scale.num_parameters()) + " parameters",
                     "the Cox-Reid estimate is of one size per feature: needs an intercept-only scale model");
  }
  const auto start = std::chrono::steady_clock::now();
  Index begin = 0, end = 0;
  FeatureRange(counts.num_features(), options, &begin, &end);
  const Index count = end - begin;
  FitResult result = ShapeFitResult(
      {counts.feature_names().begin() + begin, counts.feature_names().begin() + end}, model, options, begin);
  std::fill(result.location_trained.begin(), result.location_trained.end(), 1);
  std::fill(result.scale_trained.begin(), result.scale_trained.end(), 1);
  const int threads = result.num_threads;

  const de::GlmDesign design(de::ToRowMatrix(model.location.reduced_design));
  de::CoxReidOptions cr_options;
  cr_options.min_size = options.min_size;
  cr_options.max_size = options.max_size;

  std::atomic<Index> done{0};
  de::ParallelFor(count, threads, [&]() {
    return [&, state = std::make_shared<CoxReidState>(design)](Index row) {
      // Cancellation as in Fit: the exception stops every thread (ParallelFor).
      if (options.cancel && options.cancel()) throw FitCancelled();
      FitCoxReidFeature(counts, model, offset, options, cr_options, begin, row, state.get(), &result);
      // An exception from the callback reaches the caller (ParallelFor).
      const Index finished = done.fetch_add(1) + 1;
      if (options.progress) options.progress(finished, count);
    };
  });
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace nbglm
