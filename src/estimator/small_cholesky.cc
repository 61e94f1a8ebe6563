#include "estimator/small_cholesky.h"

#include <cmath>

namespace nbglm {

SmallCholesky::SmallCholesky(Index capacity)
    : capacity_(capacity),
      factor_(static_cast<std::size_t>(capacity * capacity), 0.0),
      inverse_diagonal_(static_cast<std::size_t>(capacity), 0.0),
      scratch_(static_cast<std::size_t>(capacity), 0.0) {}

bool SmallCholesky::Compute(const Eigen::Ref<const Eigen::MatrixXd>& a) {
  n_ = a.rows();
  ok_ = false;
  if (a.cols() != n_ || n_ > capacity_) return false;
  // Row by row (Cholesky–Banachiewicz): L_ij = (a_ij − Σ_{k<j} L_ik L_jk) / L_jj,
  // L_ii = √(a_ii − Σ_{k<i} L_ik²).
  for (Index i = 0; i < n_; ++i) {
    for (Index j = 0; j < i; ++j) {
      double sum = a(i, j);
      for (Index k = 0; k < j; ++k) sum -= l(i, k) * l(j, k);
      l(i, j) = sum * inverse_diagonal_[static_cast<std::size_t>(j)];
    }
    double pivot = a(i, i);
    for (Index k = 0; k < i; ++k) pivot -= l(i, k) * l(i, k);
    if (!(pivot > 0.0)) return false;
    const double root = std::sqrt(pivot);
    l(i, i) = root;
    inverse_diagonal_[static_cast<std::size_t>(i)] = 1.0 / root;
  }
  ok_ = true;
  return true;
}

void SmallCholesky::Solve(const double* b, double* x) const {
  // L·y = b, then Lᵀ·x = y (y kept in x).
  for (Index i = 0; i < n_; ++i) {
    double sum = b[i];
    for (Index k = 0; k < i; ++k) sum -= l(i, k) * x[k];
    x[i] = sum * inverse_diagonal_[static_cast<std::size_t>(i)];
  }
  for (Index i = n_ - 1; i >= 0; --i) {
    double sum = x[i];
    for (Index k = i + 1; k < n_; ++k) sum -= l(k, i) * x[k];
    x[i] = sum * inverse_diagonal_[static_cast<std::size_t>(i)];
  }
}

void SmallCholesky::InverseDiagonal(double* out) const {
  // A⁻¹ = L⁻ᵀL⁻¹, so (A⁻¹)_jj = ‖v‖² with L·v = e_j (v_i = 0 for i < j).
  double* v = scratch_.data();
  for (Index j = 0; j < n_; ++j) {
    double norm = 0.0;
    for (Index i = j; i < n_; ++i) {
      double sum = i == j ? 1.0 : 0.0;
      for (Index k = j; k < i; ++k) sum -= l(i, k) * v[k];
      v[i] = sum * inverse_diagonal_[static_cast<std::size_t>(i)];
      norm += v[i] * v[i];
    }
    out[j] = norm;
  }
}

double SmallCholesky::LogDeterminant() const {
  double sum = 0.0;
  for (Index j = 0; j < n_; ++j) sum -= std::log(inverse_diagonal_[static_cast<std::size_t>(j)]);
  return 2.0 * sum;
}

void SmallCholesky::Inverse(Eigen::Ref<Eigen::MatrixXd> out) const {
  for (Index j = 0; j < n_; ++j) {
    for (Index i = 0; i < n_; ++i) out(i, j) = i == j ? 1.0 : 0.0;
    Solve(&out(0, j), &out(0, j));
  }
  // Exactly symmetric: the mean of the two rounded halves.
  for (Index j = 0; j < n_; ++j) {
    for (Index i = j + 1; i < n_; ++i) {
      const double mean = 0.5 * (out(i, j) + out(j, i));
      out(i, j) = mean;
      out(j, i) = mean;
    }
  }
}

}  // namespace nbglm
