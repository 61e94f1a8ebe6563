// Cholesky factorization of the small per-feature matrices of the estimators
// (the observed information J of m = q + q_s ≲ 20 parameters, damped or not).
//
// Why not Eigen::LLT: on a dynamic 6 × 6 matrix it spends ~1,600 instructions
// per factorization (block expressions and size dispatch around ~100 flops),
// and the estimators factorize 1–3 times per iteration; on bulk data (8
// observations, ~3 µs per iteration) that was a fifth of the fit
// (docs/performance.md). Plain loops over a row-major lower triangle do the
// same arithmetic; small_cholesky_test.cc checks them against Eigen::LLT.
#ifndef NBGLM_SRC_ESTIMATOR_SMALL_CHOLESKY_H_
#define NBGLM_SRC_ESTIMATOR_SMALL_CHOLESKY_H_

#include <vector>

#include <Eigen/Dense>

#include "nbglm/types.h"

namespace nbglm {

class SmallCholesky {
 public:
  // Room for matrices up to capacity × capacity: Compute never allocates.
  explicit SmallCholesky(Index capacity);

  // A = L·Lᵀ from the lower triangle of `a` (its upper triangle is not read,
  // as with Eigen::LLT<…, Lower>). Returns false — and ok() is false — when a
  // pivot is not > 0: A is not (numerically) positive definite, or has a NaN.
  bool Compute(const Eigen::Ref<const Eigen::MatrixXd>& a);
  bool ok() const { return ok_; }
  Index size() const { return n_; }

  // x = A⁻¹·b for the last successful Compute; x may alias b.
  void Solve(const double* b, double* x) const;
  // (A⁻¹)_jj = ‖L⁻¹e_j‖², j < size(): the variances of J⁻¹ without forming it.
  void InverseDiagonal(double* out) const;
  // log det A = 2·Σ log L_jj for the last successful Compute.
  double LogDeterminant() const;
  // A⁻¹ into the top-left size() × size() block of `out` (symmetric).
  void Inverse(Eigen::Ref<Eigen::MatrixXd> out) const;

 private:
  double& l(Index i, Index j) { return factor_[static_cast<std::size_t>(i * capacity_ + j)]; }
  double l(Index i, Index j) const { return factor_[static_cast<std::size_t>(i * capacity_ + j)]; }

  Index capacity_;
  Index n_ = 0;
  bool ok_ = false;
  std::vector<double> factor_;             // L, row-major capacity × capacity, lower triangle
  std::vector<double> inverse_diagonal_;   // 1 / L_ii
  mutable std::vector<double> scratch_;    // one column of L⁻¹
};

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_SMALL_CHOLESKY_H_
