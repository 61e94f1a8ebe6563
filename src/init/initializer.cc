#include "init/initializer.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "eigen_view.h"

namespace nbglm {
namespace {

// The map from per-group values to θ: exact inverse when square, else
// weighted least squares (weights = group sizes). The reduced design has full
// column rank (checked by the model layer), so both are well defined.
Eigen::MatrixXd GroupSolver(const Eigen::MatrixXd& distinct, const Eigen::VectorXd& sizes) {
  if (distinct.rows() == distinct.cols()) return distinct.fullPivLu().inverse();
  const Eigen::MatrixXd weighted = sizes.asDiagonal() * distinct;
  return (distinct.transpose() * weighted).ldlt().solve(weighted.transpose());
}

}  // namespace

Initializer::Initializer(const ObservationLayout& layout, double underdispersed_size)
    : layout_(layout), n_(layout.num_observations()), underdispersed_size_(underdispersed_size) {
  const Eigen::MatrixXd location_rows = layout.location_rows();
  const Eigen::MatrixXd scale_rows = layout.scale_rows();
  location_solver_ = GroupSolver(location_rows, layout.location_group_sizes());
  location_rows_ = location_rows;
  scale_solver_ = GroupSolver(scale_rows, layout.scale_group_sizes());
  offset_.resize(static_cast<std::size_t>(n_));
  const std::vector<Index>& location_group = layout.location_group_of();
  const std::vector<Index>& scale_group = layout.scale_group_of();
  for (Index i = 0; i < n_; ++i) {
    const auto is = static_cast<std::size_t>(i);
    offset_[is] = layout.offset_at()[static_cast<std::size_t>(layout.position_of()[is])];
  }

  // Exact only if saturated and, within each location group, one size factor
  // and one scale row (then the group score has the root μ = ȳ/s).
  location_can_be_exact_ = location_rows.rows() == location_rows.cols();
  std::vector<Index> first(static_cast<std::size_t>(location_rows.rows()), -1);
  for (Index i = 0; i < n_ && location_can_be_exact_; ++i) {
    Index& f = first[static_cast<std::size_t>(location_group[static_cast<std::size_t>(i)])];
    if (f < 0) {
      f = i;
    } else if (offset_[static_cast<std::size_t>(i)] != offset_[static_cast<std::size_t>(f)] ||
               scale_group[static_cast<std::size_t>(i)] != scale_group[static_cast<std::size_t>(f)]) {
      location_can_be_exact_ = false;
    }
  }
}

InitWorkspace Initializer::MakeWorkspace() const {
  InitWorkspace work;
  work.location_sum_y.resize(location_solver_.cols());
  work.location_log_mean.resize(location_solver_.cols());
  work.location_fitted.resize(location_solver_.cols());
  work.scale_numerator.resize(scale_solver_.cols());
  work.scale_denominator.resize(scale_solver_.cols());
  work.scale_log_size.resize(scale_solver_.cols());
  return work;
}

bool Initializer::Initialize(const double* y, double* theta_location, double* theta_scale, InitWorkspace* work) const {
  // Location: group means of the normalised counts.
  work->location_sum_y.setZero();
  for (Index i = 0; i < n_; ++i) work->location_sum_y(layout_.location_group_of()[static_cast<std::size_t>(i)]) += y[i];
  bool any_zero_group = false;
  for (Eigen::Index g = 0; g < work->location_sum_y.size(); ++g) {
    double sum_y = work->location_sum_y(g);
    if (sum_y == 0.0) {
      any_zero_group = true;
      sum_y = 0.1;
    }
    work->location_log_mean(g) = std::log(sum_y / layout_.location_group_size_factor_sums()[static_cast<std::size_t>(g)]);
  }
  Eigen::Map<Eigen::VectorXd> loc(theta_location, location_solver_.rows());
  loc.noalias() = location_solver_ * work->location_log_mean;

  // Scale from the fitted means: the group log means themselves when
  // saturated, the weighted least-squares fit otherwise.
  ScaleFromMoments(y, theta_location, theta_scale, work);
  return location_can_be_exact_ && !any_zero_group;
}

bool Initializer::ScaleFromMoments(const double* y, const double* theta_location, double* theta_scale,
                                   InitWorkspace* work) const {
  // Fitted means μ_i = s_i·e^{(M θ_loc)_g}.
  const Eigen::Map<const Eigen::VectorXd> loc(theta_location, location_solver_.rows());
  work->location_fitted.noalias() = location_rows_ * loc;
  for (Eigen::Index g = 0; g < work->location_fitted.size(); ++g) {
    work->location_fitted(g) = std::exp(work->location_fitted(g));
  }
  // Method of moments per scale group, r = Σμ² / Σ(c·(y − μ)² − μ)
  // (Var = μ + μ²/r), with c = n/(n − q) for the q fitted location
  // parameters (residuals underestimate the variance by (n − q)/n: with 5
  // parameters and 8 samples, uncorrected moments often show no
  // overdispersion where the MLE is finite), clipped to [kMinInitialSize,
  // kMaxInitialSize]; a group that shows no overdispersion (denominator ≤ 0)
  // gets underdispersed_size_.
  const Index q = location_solver_.rows();
  const double correction = n_ > q ? static_cast<double>(n_) / static_cast<double>(n_ - q) : 1.0;
  work->scale_numerator.setZero();
  work->scale_denominator.setZero();
  bool overdispersed = false;
  // Cell by cell in position order (contiguous size factors, one group
  // lookup per cell).
  const std::vector<Index>& observation_at = layout_.observation_at();
  const std::vector<double>& size_factor_at = layout_.size_factor_at();
  for (const ObservationLayout::Cell& cell : layout_.cells()) {
    const double group_mean = work->location_fitted(cell.location_group);
    double numerator = 0.0, denominator = 0.0;
    for (Index pos = cell.begin; pos < cell.end; ++pos) {
      const auto ps = static_cast<std::size_t>(pos);
      const double mu = size_factor_at[ps] * group_mean;
      const double residual = y[observation_at[ps]] - mu;
      numerator += mu * mu;
      denominator += correction * residual * residual - mu;
    }
    work->scale_numerator(cell.scale_group) += numerator;
    work->scale_denominator(cell.scale_group) += denominator;
  }
  for (Eigen::Index h = 0; h < work->scale_log_size.size(); ++h) {
    const double numerator = work->scale_numerator(h);
    const double denominator = work->scale_denominator(h);
    double size = underdispersed_size_;
    if (denominator > 0.0) {
      overdispersed = true;
      size = numerator / denominator;
      if (!std::isfinite(size)) size = kMaxInitialSize;
      size = std::clamp(size, kMinInitialSize, kMaxInitialSize);
    }
    work->scale_log_size(h) = std::log(size);
  }
  Eigen::Map<Eigen::VectorXd> scale(theta_scale, scale_solver_.rows());
  scale.noalias() = scale_solver_ * work->scale_log_size;
  return overdispersed;
}

void Initializer::ScaleAtLogSize(double log_size, double* theta_scale) const {
  Eigen::Map<Eigen::VectorXd> scale(theta_scale, scale_solver_.rows());
  scale.noalias() = scale_solver_ * Eigen::VectorXd::Constant(scale_solver_.cols(), log_size);
}

}  // namespace nbglm
