#include "estimator/poisson_feature_problem.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nbglm/error.h"

namespace nbglm {
namespace {

// e^d − 1 − d without cancellation: the series for small |d| (terms to d^10,
// relative error below 1e-17 for |d| < 0.1), expm1 otherwise.
double ExpM1MinusX(double d) {
  if (std::abs(d) < 0.1) {
    double term = d * d / 2.0;
    double sum = term;
    for (int k = 3; k <= 10; ++k) {
      term *= d / k;
      sum += term;
    }
    return sum;
  }
  return std::expm1(d) - d;
}

}  // namespace

PoissonFeatureProblem::PoissonFeatureProblem(const ObservationLayout& layout)
    : layout_(layout),
      group_y_(static_cast<std::size_t>(layout.num_location_groups()), 0.0),
      group_log_mean_(static_cast<std::size_t>(layout.num_location_groups()), 0.0),
      group_mean_(static_cast<std::size_t>(layout.num_location_groups()), 0.0),
      group_residual_(static_cast<std::size_t>(layout.num_location_groups()), 0.0) {
  if (layout.num_scale() > 0) {
    throw InputError("scale model", std::to_string(layout.num_scale()) + " parameters",
                     "the Poisson model has none (its variance is its mean)");
  }
}

void PoissonFeatureProblem::SetFeature(const double* y) {
  if (y == nullptr && layout_.num_observations() > 0) throw InputError("counts", "null", "need one per observation");
  std::fill(group_y_.begin(), group_y_.end(), 0.0);
  // Position order (fixed by the layout): the same sums whatever the thread.
  const std::vector<Index>& observation_at = layout_.observation_at();
  const std::vector<Index>& group_of = layout_.location_group_of();
  const std::vector<double>& offset_at = layout_.offset_at();
  long double constant = 0.0L;
  for (std::size_t pos = 0; pos < observation_at.size(); ++pos) {
    const std::size_t i = static_cast<std::size_t>(observation_at[pos]);
    const double count = y[i];
    if (count == 0.0) continue;
    group_y_[static_cast<std::size_t>(group_of[i])] += count;
    constant += static_cast<long double>(count) * offset_at[pos] - std::lgamma(count + 1.0);
  }
  // Each group's term about its own maximum α̂_g = log(Y_g/S_g):
  //   Y_g·α_g − S_g·e^{α_g} = (Y_g·α̂_g − Y_g) − Y_g·(e^δ − 1 − δ),  δ = α_g − α̂_g,
  // so the large, fixed part goes into the constant and an evaluation adds
  // only small terms: differences of ℓ between iterates keep their digits
  // (with counts ~1e4 the plain form loses them to rounding of ~1e6-sized
  // terms, below which the stopping rule cannot see).
  const std::vector<double>& size_factor_sums = layout_.location_group_size_factor_sums();
  for (std::size_t g = 0; g < group_y_.size(); ++g) {
    if (group_y_[g] == 0.0) {
      group_log_mean_[g] = -std::numeric_limits<double>::infinity();
      continue;
    }
    group_log_mean_[g] = std::log(group_y_[g] / size_factor_sums[g]);
    constant += static_cast<long double>(group_y_[g]) * group_log_mean_[g] - group_y_[g];
  }
  constant_ = static_cast<double>(constant);
}

double PoissonFeatureProblem::Means(const double* theta) {
  const RowMajorMatrixXd& x = layout_.location_rows();
  const std::vector<double>& size_factor_sums = layout_.location_group_size_factor_sums();
  const Index q = layout_.num_location();
  double loglik = constant_;
  for (Index g = 0; g < x.rows(); ++g) {
    double alpha = 0.0;
    for (Index j = 0; j < q; ++j) alpha += x(g, j) * theta[j];
    const std::size_t k = static_cast<std::size_t>(g);
    if (group_y_[k] == 0.0) {
      group_mean_[k] = size_factor_sums[k] * std::exp(alpha);
      group_residual_[k] = -group_mean_[k];
      loglik -= group_mean_[k];
      continue;
    }
    const double delta = alpha - group_log_mean_[k];
    group_mean_[k] = group_y_[k] * std::exp(delta);
    group_residual_[k] = -group_y_[k] * std::expm1(delta);  // Y_g − m_g, to full precision
    loglik -= group_y_[k] * ExpM1MinusX(delta);
  }
  return loglik;
}

double PoissonFeatureProblem::LogLikelihood(const double* theta) { return Means(theta); }

double PoissonFeatureProblem::Evaluate(const double* theta, double* gradient, double* hessian) {
  const double loglik = Means(theta);
  const RowMajorMatrixXd& x = layout_.location_rows();
  const Index q = layout_.num_location();
  if (gradient != nullptr) std::fill(gradient, gradient + q, 0.0);
  if (hessian != nullptr) std::fill(hessian, hessian + q * q, 0.0);
  for (Index g = 0; g < x.rows(); ++g) {
    const std::size_t k = static_cast<std::size_t>(g);
    const double residual = group_residual_[k];  // ∂ℓ/∂α_g
    for (Index j = 0; j < q; ++j) {
      if (gradient != nullptr) gradient[j] += x(g, j) * residual;
      if (hessian != nullptr) {
        for (Index l = 0; l <= j; ++l) hessian[j * q + l] -= x(g, j) * x(g, l) * group_mean_[k];
      }
    }
  }
  if (hessian != nullptr) {
    for (Index j = 0; j < q; ++j) {
      for (Index l = 0; l < j; ++l) hessian[l * q + j] = hessian[j * q + l];
    }
  }
  return loglik;
}

double PoissonFeatureProblem::EvaluateLocationFisher(const double* theta, double* score, double* information) {
  const Index q = layout_.num_location();
  const double loglik = Evaluate(theta, score, information);
  if (information != nullptr) {
    for (Index j = 0; j < q * q; ++j) information[j] = -information[j];
  }
  return loglik;
}

double PoissonFeatureProblem::EvaluateScale(const double* theta, double* /*gradient*/, double* /*hessian*/) {
  return Means(theta);
}

double PoissonFeatureProblem::ScaleGroupGradient(const double* theta, double* group_gradient) {
  std::fill(group_gradient, group_gradient + layout_.num_scale_groups(), 0.0);
  return Means(theta);
}

PredictorExtremes PoissonFeatureProblem::Extremes(const double* theta) const {
  const RowMajorMatrixXd& x = layout_.location_rows();
  const std::vector<double>& min_offset = layout_.min_offset();
  const Index q = layout_.num_location();
  PredictorExtremes extremes;
  extremes.min_eta = std::numeric_limits<double>::infinity();
  for (Index g = 0; g < x.rows(); ++g) {
    double alpha = 0.0;
    for (Index j = 0; j < q; ++j) alpha += x(g, j) * theta[j];
    extremes.min_eta = std::min(extremes.min_eta, alpha + min_offset[static_cast<std::size_t>(g)]);
  }
  extremes.min_zeta = std::numeric_limits<double>::infinity();
  extremes.max_zeta = -std::numeric_limits<double>::infinity();
  return extremes;
}

}  // namespace nbglm
