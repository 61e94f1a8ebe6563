// Eigen views over xtensor memory (no copies). Internal header.
#ifndef NBGLM_SRC_EIGEN_VIEW_H_
#define NBGLM_SRC_EIGEN_VIEW_H_

#include <Eigen/Dense>

#include "nbglm/types.h"

namespace nbglm {

using RowMajorMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const RowMajorMatrixXd>;
using MatrixMap = Eigen::Map<RowMajorMatrixXd>;

inline ConstMatrixMap AsEigen(const Matrix& m) {
  return ConstMatrixMap(m.data(), static_cast<Eigen::Index>(m.shape(0)),
                        static_cast<Eigen::Index>(m.shape(1)));
}
inline MatrixMap AsEigen(Matrix& m) {
  return MatrixMap(m.data(), static_cast<Eigen::Index>(m.shape(0)),
                   static_cast<Eigen::Index>(m.shape(1)));
}
inline Eigen::Map<const Eigen::VectorXd> AsEigen(const Vector& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}
inline Eigen::Map<Eigen::VectorXd> AsEigen(Vector& v) {
  return Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}
// Copy an Eigen matrix into a new xtensor matrix.
inline Matrix ToMatrix(const Eigen::Ref<const Eigen::MatrixXd>& m) {
  Matrix out = Matrix::from_shape({static_cast<std::size_t>(m.rows()),
                                   static_cast<std::size_t>(m.cols())});
  AsEigen(out) = m;
  return out;
}

}  // namespace nbglm

#endif  // NBGLM_SRC_EIGEN_VIEW_H_
