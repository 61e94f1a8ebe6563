#include "estimator/small_cholesky.h"

#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace nbglm {
namespace {

// A random symmetric positive definite n × n matrix with condition number
// about `condition` (eigenvalues spread log-uniformly over [1, condition]).
Eigen::MatrixXd RandomSpd(Index n, double condition, std::mt19937_64* rng) {
  Eigen::MatrixXd gaussian(n, n);
  std::normal_distribution<double> normal;
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < n; ++j) gaussian(i, j) = normal(*rng);
  }
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(gaussian);
  const Eigen::MatrixXd q = qr.householderQ();
  Eigen::VectorXd values(n);
  for (Index i = 0; i < n; ++i) values(i) = n == 1 ? 1.0 : std::pow(condition, static_cast<double>(i) / (n - 1));
  Eigen::MatrixXd a = q * values.asDiagonal() * q.transpose();
  return 0.5 * (a + a.transpose());
}

TEST(SmallCholeskyTest, LogDeterminantAgreesWithEigen) {
  std::mt19937_64 rng(3);
  for (Index n : {1, 3, 7}) {
    const Eigen::MatrixXd a = RandomSpd(n, 1e6, &rng);
    SmallCholesky cholesky(8);
    ASSERT_TRUE(cholesky.Compute(a));
    EXPECT_NEAR(cholesky.LogDeterminant(), std::log(a.determinant()), 1e-9 * (1.0 + std::abs(std::log(a.determinant()))));
  }
}

TEST(SmallCholeskyTest, AgreesWithEigenLltOnSolvesInversesAndVariances) {
  std::mt19937_64 rng(7);
  SmallCholesky cholesky(12);
  for (Index n = 1; n <= 12; ++n) {
    for (double condition : {1.0, 1e3, 1e8}) {
      SCOPED_TRACE("n " + std::to_string(n) + ", condition " + std::to_string(condition));
      const Eigen::MatrixXd a = RandomSpd(n, condition, &rng);
      Eigen::VectorXd b(n);
      for (Index i = 0; i < n; ++i) b(i) = std::normal_distribution<double>()(rng);
      const Eigen::LLT<Eigen::MatrixXd> reference(a);
      ASSERT_EQ(reference.info(), Eigen::Success);
      ASSERT_TRUE(cholesky.Compute(a));
      EXPECT_TRUE(cholesky.ok());
      EXPECT_EQ(cholesky.size(), n);
      // Backward-stable solves agree to ~ε·condition relative to the solution.
      const Eigen::VectorXd expected = reference.solve(b);
      Eigen::VectorXd x(n);
      cholesky.Solve(b.data(), x.data());
      EXPECT_LE((x - expected).norm(), 1e-13 * condition * expected.norm());
      // In place (x aliases b).
      Eigen::VectorXd in_place = b;
      cholesky.Solve(in_place.data(), in_place.data());
      EXPECT_EQ(in_place, x);
      // The residual of the solve is at rounding level.
      EXPECT_LE((a * x - b).norm(), 1e-13 * a.norm() * x.norm());
      const Eigen::MatrixXd inverse = reference.solve(Eigen::MatrixXd::Identity(n, n));
      Eigen::MatrixXd ours = Eigen::MatrixXd::Constant(12, 12, 99.0);
      cholesky.Inverse(ours);
      EXPECT_LE((ours.topLeftCorner(n, n) - inverse).norm(), 1e-13 * condition * inverse.norm());
      EXPECT_EQ(ours.topLeftCorner(n, n), ours.topLeftCorner(n, n).transpose());
      EXPECT_EQ(ours(11, 11), n == 12 ? ours(11, 11) : 99.0);  // outside the block: untouched
      std::vector<double> variances(static_cast<std::size_t>(n));
      cholesky.InverseDiagonal(variances.data());
      for (Index j = 0; j < n; ++j) {
        EXPECT_NEAR(variances[static_cast<std::size_t>(j)], inverse(j, j), 1e-13 * condition * inverse(j, j));
      }
    }
  }
}

TEST(SmallCholeskyTest, ReadsOnlyTheLowerTriangleOfABlock) {
  std::mt19937_64 rng(11);
  const Eigen::MatrixXd a = RandomSpd(5, 10.0, &rng);
  Eigen::MatrixXd big = Eigen::MatrixXd::Constant(8, 8, std::numeric_limits<double>::quiet_NaN());
  big.topLeftCorner(5, 5) = a;
  for (Index i = 0; i < 5; ++i) {
    for (Index j = i + 1; j < 5; ++j) big(i, j) = 1e300;  // upper triangle: garbage
  }
  SmallCholesky cholesky(8);
  ASSERT_TRUE(cholesky.Compute(big.topLeftCorner(5, 5)));
  const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(5, 1.0, 5.0);
  Eigen::VectorXd x(5);
  cholesky.Solve(b.data(), x.data());
  EXPECT_LE((a * x - b).norm(), 1e-13 * a.norm() * x.norm());
}

TEST(SmallCholeskyTest, RefusesMatricesThatAreNotPositiveDefinite) {
  SmallCholesky cholesky(4);
  Eigen::MatrixXd indefinite(2, 2);
  indefinite << 1.0, 2.0, 2.0, 1.0;  // eigenvalues 3 and −1
  EXPECT_FALSE(cholesky.Compute(indefinite));
  EXPECT_FALSE(cholesky.ok());
  Eigen::MatrixXd singular(3, 3);
  singular << 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 2.0;  // rank 2: pivot exactly 0
  EXPECT_FALSE(cholesky.Compute(singular));
  Eigen::MatrixXd negative = -Eigen::MatrixXd::Identity(3, 3);
  EXPECT_FALSE(cholesky.Compute(negative));
  Eigen::MatrixXd with_nan = Eigen::MatrixXd::Identity(3, 3);
  with_nan(2, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(cholesky.Compute(with_nan));  // Eigen::LLT would report success here
  EXPECT_FALSE(cholesky.Compute(Eigen::MatrixXd::Identity(5, 5)));  // beyond the capacity
  EXPECT_TRUE(cholesky.Compute(Eigen::MatrixXd::Identity(4, 4)));
  EXPECT_TRUE(cholesky.Compute(Eigen::MatrixXd(0, 0)));  // nothing to factorize
  EXPECT_EQ(cholesky.size(), 0);
}

}  // namespace
}  // namespace nbglm
