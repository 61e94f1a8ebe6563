#include "model/linear_algebra.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

namespace nbglm {
namespace {

double RankTolerance(const Eigen::Ref<const Eigen::MatrixXd>& m, double sigma_max) {
  return static_cast<double>(std::max(m.rows(), m.cols())) * std::numeric_limits<double>::epsilon() * sigma_max;
}

}  // namespace

Index NumericalRank(const Eigen::Ref<const Eigen::MatrixXd>& m) {
  if (m.size() == 0) return 0;
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(m);
  const Eigen::VectorXd& s = svd.singularValues();
  if (s.size() == 0 || s(0) == 0.0) return 0;
  const double tolerance = RankTolerance(m, s(0));
  Index rank = 0;
  for (Eigen::Index i = 0; i < s.size(); ++i) rank += s(i) > tolerance ? 1 : 0;
  return rank;
}

Eigen::MatrixXd DistinctRows(const Eigen::Ref<const Eigen::MatrixXd>& m) {
  std::map<std::vector<double>, Eigen::Index> seen;
  std::vector<Eigen::Index> keep;
  std::vector<double> key(static_cast<std::size_t>(m.cols()));
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) key[static_cast<std::size_t>(j)] = m(i, j);
    if (seen.emplace(key, i).second) keep.push_back(i);
  }
  Eigen::MatrixXd out(static_cast<Eigen::Index>(keep.size()), m.cols());
  for (std::size_t r = 0; r < keep.size(); ++r) out.row(static_cast<Eigen::Index>(r)) = m.row(keep[r]);
  return out;
}

Eigen::MatrixXd ReducedRowEchelon(const Eigen::Ref<const Eigen::MatrixXd>& m, std::vector<Index>* pivots,
                                  double tolerance) {
  Eigen::MatrixXd a = m;
  pivots->clear();
  const double scale = a.size() ? a.cwiseAbs().maxCoeff() : 0.0;
  const double zero = tolerance * std::max(scale, 1.0);
  Eigen::Index row = 0;
  for (Eigen::Index col = 0; col < a.cols() && row < a.rows(); ++col) {
    Eigen::Index best;
    const double largest = a.col(col).segment(row, a.rows() - row).cwiseAbs().maxCoeff(&best);
    if (largest <= zero) {
      a.col(col).segment(row, a.rows() - row).setZero();
      continue;
    }
    best += row;
    a.row(row).swap(a.row(best));
    a.row(row) /= a(row, col);
    for (Eigen::Index r = 0; r < a.rows(); ++r) {
      if (r != row && a(r, col) != 0.0) a.row(r) -= a(r, col) * a.row(row);
    }
    pivots->push_back(col);
    ++row;
  }
  a.conservativeResize(row, a.cols());
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    if (std::abs(a.data()[i]) <= zero) a.data()[i] = 0.0;
  }
  return a;
}

Eigen::MatrixXd EchelonNullSpace(const Eigen::Ref<const Eigen::MatrixXd>& m) {
  std::vector<Index> pivots;
  const Eigen::MatrixXd rref = ReducedRowEchelon(m, &pivots);
  std::vector<bool> is_pivot(static_cast<std::size_t>(m.cols()), false);
  for (Index c : pivots) is_pivot[static_cast<std::size_t>(c)] = true;
  std::vector<Eigen::Index> free;
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    if (!is_pivot[static_cast<std::size_t>(j)]) free.push_back(j);
  }
  Eigen::MatrixXd basis = Eigen::MatrixXd::Zero(m.cols(), static_cast<Eigen::Index>(free.size()));
  for (std::size_t k = 0; k < free.size(); ++k) {
    const Eigen::Index kk = static_cast<Eigen::Index>(k);
    basis(free[k], kk) = 1.0;
    for (std::size_t r = 0; r < pivots.size(); ++r) {
      basis(pivots[r], kk) = -rref(static_cast<Eigen::Index>(r), free[k]);
    }
  }
  return basis;
}

Eigen::MatrixXd NumericalNullSpace(const Eigen::Ref<const Eigen::MatrixXd>& m) {
  const Eigen::Index n = m.cols();
  if (m.rows() == 0) return Eigen::MatrixXd::Identity(n, n);
  // Full V is needed: pad to at least n rows so the SVD returns n right vectors.
  Eigen::MatrixXd padded = Eigen::MatrixXd::Zero(std::max(m.rows(), n), n);
  padded.topRows(m.rows()) = m;
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(padded, Eigen::ComputeFullV);
  const Eigen::VectorXd& s = svd.singularValues();
  const double tolerance = s.size() && s(0) > 0 ? RankTolerance(m, s(0)) : 0.0;
  Index rank = 0;
  for (Eigen::Index i = 0; i < s.size(); ++i) rank += (s(i) > tolerance && s(0) > 0) ? 1 : 0;
  return svd.matrixV().rightCols(n - rank);
}

}  // namespace nbglm
