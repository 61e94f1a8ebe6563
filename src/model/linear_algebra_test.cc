// Dense helpers of the rank check and constraints (docs/model.md §2): the
// numerical rank's tolerance max(rows, cols)·ε·σ_max, distinct rows, reduced
// row echelon form and both null-space bases, against hand-computed results.
#include "model/linear_algebra.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace nbglm {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

Eigen::MatrixXd Diagonal(const std::vector<double>& d, Eigen::Index rows) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(rows, static_cast<Eigen::Index>(d.size()));
  for (std::size_t i = 0; i < d.size(); ++i) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i)) = d[i];
  return m;
}

TEST(LinearAlgebraTest, NumericalRankOfSimpleMatrices) {
  EXPECT_EQ(NumericalRank(Eigen::MatrixXd(0, 0)), 0);
  EXPECT_EQ(NumericalRank(Eigen::MatrixXd(0, 3)), 0);
  EXPECT_EQ(NumericalRank(Eigen::MatrixXd::Zero(3, 2)), 0);
  EXPECT_EQ(NumericalRank(Eigen::MatrixXd::Identity(4, 4)), 4);
  Eigen::MatrixXd outer(3, 3);
  outer << 1, 2, 3, 2, 4, 6, -1, -2, -3;
  EXPECT_EQ(NumericalRank(outer), 1);
  // Intercept plus two indicators that sum to it: rank 2 of 3.
  Eigen::MatrixXd groups(4, 3);
  groups << 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1;
  EXPECT_EQ(NumericalRank(groups), 2);
}

TEST(LinearAlgebraTest, NumericalRankToleranceIsMaxDimTimesEpsTimesSigmaMax) {
  // 2 × 2: singular values above 2·ε·σ_max count.
  EXPECT_EQ(NumericalRank(Diagonal({1.0, 3 * kEps}, 2)), 2);
  EXPECT_EQ(NumericalRank(Diagonal({1.0, kEps}, 2)), 1);
  // The tolerance scales with σ_max: 2·ε·1e10 ≈ 4.4e-6.
  EXPECT_EQ(NumericalRank(Diagonal({1e10, 1e-5}, 2)), 2);
  EXPECT_EQ(NumericalRank(Diagonal({1e10, 1e-6}, 2)), 1);
  // …and with the larger dimension: 5 rows give 5·ε·σ_max.
  EXPECT_EQ(NumericalRank(Diagonal({1.0, 4 * kEps}, 5)), 1);
  EXPECT_EQ(NumericalRank(Diagonal({1.0, 6 * kEps}, 5)), 2);
  EXPECT_EQ(NumericalRank(Diagonal({1.0, 4 * kEps}, 5).transpose()), 1);
}

TEST(LinearAlgebraTest, DistinctRowsKeepFirstAppearanceOrderAndCompareExactly) {
  Eigen::MatrixXd m(6, 2);
  m << 1, 0, 0, 1, 1, 0, 1 + kEps, 0, 0, 1, 0.5, 0.5;
  Eigen::MatrixXd expected(4, 2);
  expected << 1, 0, 0, 1, 1 + kEps, 0, 0.5, 0.5;
  EXPECT_EQ(DistinctRows(m), expected);
  // One row; no rows.
  Eigen::MatrixXd one(1, 3);
  one << 1, 2, 3;
  EXPECT_EQ(DistinctRows(one), one);
  EXPECT_EQ(DistinctRows(Eigen::MatrixXd(0, 3)).rows(), 0);
  EXPECT_EQ(DistinctRows(Eigen::MatrixXd(0, 3)).cols(), 3);
  // A design of many repeated rows has the rank of its distinct rows.
  Eigen::MatrixXd repeated(100, 2);
  for (Eigen::Index i = 0; i < 100; ++i) repeated.row(i) << 1.0, static_cast<double>(i % 3);
  const Eigen::MatrixXd distinct = DistinctRows(repeated);
  ASSERT_EQ(distinct.rows(), 3);
  EXPECT_EQ(distinct(2, 1), 2.0);
  EXPECT_EQ(NumericalRank(distinct), NumericalRank(repeated));
}

TEST(LinearAlgebraTest, ReducedRowEchelonByHand) {
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 2, 4, 7;
  std::vector<Index> pivots = {99};  // cleared
  const Eigen::MatrixXd rref = ReducedRowEchelon(m, &pivots);
  // Pivot on 2 (partial pivoting): [1 2 3.5; 0 0 −0.5] → [1 2 0; 0 0 1].
  Eigen::MatrixXd expected(2, 3);
  expected << 1, 2, 0, 0, 0, 1;
  EXPECT_EQ(rref, expected);
  EXPECT_EQ(pivots, (std::vector<Index>{0, 2}));

  // Dependent rows are dropped: the result has rank-many rows.
  Eigen::MatrixXd dependent(3, 2);
  dependent << 1, 1, 2, 2, -3, -3;
  EXPECT_EQ(ReducedRowEchelon(dependent, &pivots), (Eigen::MatrixXd(1, 2) << 1, 1).finished());
  EXPECT_EQ(pivots, (std::vector<Index>{0}));

  // Zero and empty matrices have no pivots and no rows.
  EXPECT_EQ(ReducedRowEchelon(Eigen::MatrixXd::Zero(2, 3), &pivots).rows(), 0);
  EXPECT_TRUE(pivots.empty());
  EXPECT_EQ(ReducedRowEchelon(Eigen::MatrixXd(0, 3), &pivots).cols(), 3);
  EXPECT_TRUE(pivots.empty());
}

TEST(LinearAlgebraTest, ReducedRowEchelonToleranceIsRelativeToTheLargestEntry) {
  Eigen::MatrixXd m(2, 2);
  m << 1, 0, 0, 1e-12;
  std::vector<Index> pivots;
  EXPECT_EQ(ReducedRowEchelon(m, &pivots).rows(), 1);  // 1e-12 ≤ 1e-10 · 1
  EXPECT_EQ(pivots, (std::vector<Index>{0}));
  EXPECT_EQ(ReducedRowEchelon(m, &pivots, 1e-13).rows(), 2);
  EXPECT_EQ(pivots, (std::vector<Index>{0, 1}));
  // Scaled up, the same matrix keeps its verdict (relative, not absolute).
  EXPECT_EQ(ReducedRowEchelon(1e6 * m, &pivots).rows(), 1);
  // Below 1 the threshold stays absolute (max(scale, 1)): 1e-11 counts as 0.
  Eigen::MatrixXd small(1, 2);
  small << 1e-11, 0.5e-11;
  EXPECT_EQ(ReducedRowEchelon(small, &pivots).rows(), 0);
  // Residues below the threshold are cleaned to exact zeros.
  Eigen::MatrixXd residue(2, 3);
  residue << 1, 0, 1e-12, 0, 1, 1;
  const Eigen::MatrixXd rref = ReducedRowEchelon(residue, &pivots);
  EXPECT_EQ(rref(0, 2), 0.0);
  EXPECT_EQ(rref(1, 2), 1.0);
}

TEST(LinearAlgebraTest, EchelonNullSpaceOneColumnPerFreeParameter) {
  // a0 + a1 + a2 = 0: a0 is the pivot, a1 and a2 are free.
  Eigen::MatrixXd sum(1, 3);
  sum << 1, 1, 1;
  Eigen::MatrixXd expected(3, 2);
  expected << -1, -1, 1, 0, 0, 1;
  EXPECT_EQ(EchelonNullSpace(sum), expected);
  // a1 = a2 (row 0 1 −1) leaves a0 free.
  Eigen::MatrixXd equal(1, 3);
  equal << 0, 1, -1;
  Eigen::MatrixXd expected_equal(3, 2);
  expected_equal << 1, 0, 0, 1, 0, 1;
  EXPECT_EQ(EchelonNullSpace(equal), expected_equal);
  // No constraint rows: the identity; full rank: no columns.
  EXPECT_EQ(EchelonNullSpace(Eigen::MatrixXd(0, 2)), Eigen::MatrixXd::Identity(2, 2));
  EXPECT_EQ(EchelonNullSpace(Eigen::MatrixXd::Identity(3, 3)).cols(), 0);
  EXPECT_EQ(EchelonNullSpace(Eigen::MatrixXd::Identity(3, 3)).rows(), 3);
}

TEST(LinearAlgebraTest, NumericalNullSpaceIsOrthonormalAndAnnihilates) {
  Eigen::MatrixXd m(3, 2);
  m << 1, 2, 2, 4, 3, 6;
  const Eigen::MatrixXd n = NumericalNullSpace(m);
  ASSERT_EQ(n.rows(), 2);
  ASSERT_EQ(n.cols(), 1);
  // ±(2, −1)/√5.
  const double sign = n(0, 0) > 0 ? 1.0 : -1.0;
  EXPECT_NEAR(sign * n(0, 0), 2.0 / std::sqrt(5.0), 1e-15);
  EXPECT_NEAR(sign * n(1, 0), -1.0 / std::sqrt(5.0), 1e-15);

  // Wide matrix: one row over three columns leaves a 2-D null space.
  Eigen::MatrixXd row(1, 3);
  row << 1, 1, 1;
  const Eigen::MatrixXd wide = NumericalNullSpace(row);
  ASSERT_EQ(wide.cols(), 2);
  EXPECT_LT((row * wide).cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_LT((wide.transpose() * wide - Eigen::MatrixXd::Identity(2, 2)).cwiseAbs().maxCoeff(), 1e-15);

  // Full rank: nothing; zero or no rows: everything.
  EXPECT_EQ(NumericalNullSpace(Eigen::MatrixXd::Identity(3, 3)).cols(), 0);
  const Eigen::MatrixXd all = NumericalNullSpace(Eigen::MatrixXd::Zero(2, 3));
  ASSERT_EQ(all.cols(), 3);
  EXPECT_LT((all.transpose() * all - Eigen::MatrixXd::Identity(3, 3)).cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_EQ(NumericalNullSpace(Eigen::MatrixXd(0, 2)), Eigen::MatrixXd::Identity(2, 2));

  // The same rank rule as NumericalRank: ε·σ_max on a 2 × 2 is null.
  const Eigen::MatrixXd tiny = NumericalNullSpace(Diagonal({1.0, kEps}, 2));
  ASSERT_EQ(tiny.cols(), 1);
  EXPECT_EQ(std::abs(tiny(1, 0)), 1.0);
  EXPECT_EQ(tiny(0, 0), 0.0);
  EXPECT_EQ(NumericalNullSpace(Diagonal({1.0, 3 * kEps}, 2)).cols(), 0);
}

}  // namespace
}  // namespace nbglm
