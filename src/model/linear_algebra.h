// Small dense linear-algebra helpers for the model layer (rank, null spaces).
#ifndef NBGLM_SRC_MODEL_LINEAR_ALGEBRA_H_
#define NBGLM_SRC_MODEL_LINEAR_ALGEBRA_H_

#include <vector>

#include <Eigen/Dense>

#include "nbglm/types.h"

namespace nbglm {

// Numerical rank by SVD with numpy's / LAPACK's rule: singular values above
// max(rows, cols) · ε · σ_max count.
Index NumericalRank(const Eigen::Ref<const Eigen::MatrixXd>& m);

// The distinct rows of m (exact comparison), in first-appearance order. The
// rank of a design equals the rank of its distinct rows, which are few for
// factor designs.
Eigen::MatrixXd DistinctRows(const Eigen::Ref<const Eigen::MatrixXd>& m);

// Reduced row echelon form of m with partial pivoting; entries below
// `tolerance` (relative to the largest |entry|) count as zero. Returns the
// pivot column of each non-zero row in *pivots.
Eigen::MatrixXd ReducedRowEchelon(const Eigen::Ref<const Eigen::MatrixXd>& m, std::vector<Index>* pivots,
                                  double tolerance = 1e-10);

// A basis of {v : m v = 0} in echelon form: one column per free (non-pivot)
// column j of rref(m), with 1 at j, 0 at the other free columns, and the
// pivot entries solved. Columns with a single 1 keep their parameter's name.
Eigen::MatrixXd EchelonNullSpace(const Eigen::Ref<const Eigen::MatrixXd>& m);

// An orthonormal basis of the numerical null space of m (SVD, same rank rule).
Eigen::MatrixXd NumericalNullSpace(const Eigen::Ref<const Eigen::MatrixXd>& m);

}  // namespace nbglm

#endif  // NBGLM_SRC_MODEL_LINEAR_ALGEBRA_H_
