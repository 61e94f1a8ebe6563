// The ceres estimator (RunCeres, docs/model.md §4): Ceres' BFGS then
// Levenberg–Marquardt on the score reach the same maxima as newton and irls
// and as independent computations (group means with a 1-D profile in log r
// by bisection, MASS::glm.nb), under the same stopping test; its statuses.
#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "estimator/estimators.h"
#include "estimator_test_problems.h"

namespace nbglm {
namespace {

using testing::CovariateWithSizeFactors;
using testing::InterceptOnly;
using testing::MassReference;
using testing::Mean;
using testing::NbLogLikelihood;
using testing::OneFeature;
using testing::ProfileLogSize;
using testing::TwoGroups;

// |θ_j − θ*_j| ≤ m·gradient_tolerance·SE_j for a θ that passes the
// scaled-gradient rule (see estimators_test.cc); 1e-12 for the reference.
void ExpectNearMaximum(OneFeature& f, const std::vector<double>& theta, const std::vector<double>& expected,
                       const FitOptions& options) {
  const std::vector<double> se = f.StandardErrors(theta);
  const double m = static_cast<double>(theta.size());
  for (std::size_t j = 0; j < theta.size(); ++j) {
    EXPECT_NEAR(theta[j], expected[j], m * options.gradient_tolerance * se[j] + 1e-12) << "θ_" << j;
  }
}

const std::vector<double> kGroupA = {2, 9, 0, 5, 14, 3};
const std::vector<double> kGroupB = {20, 7, 41, 15, 3, 28};

TEST(CeresEstimatorTest, GroupDesignReachesTheGroupMeansAndTheProfileMaximum) {
  const double s_a = 1.0, s_b = 1.5;
  const double alpha_a = std::log(Mean(kGroupA) / s_a);
  const double alpha_b = std::log(Mean(kGroupB) / s_b);
  const double log_size = ProfileLogSize({kGroupA, kGroupB});
  ASSERT_TRUE(std::isfinite(log_size));
  const double maximum = NbLogLikelihood(kGroupA, Mean(kGroupA), std::exp(log_size)) +
                         NbLogLikelihood(kGroupB, Mean(kGroupB), std::exp(log_size));
  const FitOptions options;
  // From starts where J is not positive definite (the diagonal
  // preconditioner) and where it is (its Cholesky factor).
  std::vector<bool> concave_start;
  for (const std::vector<double>& start :
       {std::vector<double>{0.0, 0.0, 0.0}, std::vector<double>{alpha_a + 1.0, -1.0, 3.0},
        std::vector<double>{alpha_a, alpha_b - alpha_a, -4.0}}) {
    OneFeature f = TwoGroups(kGroupA, kGroupB, s_a, s_b);
    Eigen::MatrixXd hessian(3, 3);
    f.problem.Evaluate(start.data(), nullptr, hessian.data());
    concave_start.push_back(Eigen::LLT<Eigen::MatrixXd>(-hessian).info() == Eigen::Success);
    std::vector<double> theta = start;
    const EstimatorOutcome outcome = RunCeres(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kConverged) << start[2];
    ExpectNearMaximum(f, theta, {alpha_a, alpha_b - alpha_a, log_size}, options);
    EXPECT_NEAR(outcome.loglik, maximum, options.function_tolerance * (1.0 + std::abs(maximum)));
    EXPECT_EQ(outcome.loglik, f.problem.LogLikelihood(theta.data()));
    EXPECT_GT(outcome.iterations, 0);
  }
  EXPECT_EQ(concave_start, (std::vector<bool>{false, false, true}));
}

TEST(CeresEstimatorTest, ScaleOnlyKeepsTheExactLocation) {
  const double alpha_a = std::log(Mean(kGroupA));
  const double alpha_b = std::log(Mean(kGroupB));
  const double log_size = ProfileLogSize({kGroupA, kGroupB});
  const FitOptions options;
  OneFeature f = TwoGroups(kGroupA, kGroupB, 1.0, 1.0);
  std::vector<double> theta = {alpha_a, alpha_b - alpha_a, 2.0};
  const std::vector<double> location = {theta[0], theta[1]};
  EXPECT_EQ(RunCeres(f.problem, theta.data(), false, options, &f.work).status, FeatureStatus::kConverged);
  EXPECT_EQ(theta[0], location[0]);
  EXPECT_EQ(theta[1], location[1]);
  EXPECT_NEAR(theta[2], log_size, options.gradient_tolerance * f.StandardErrors(theta)[2] + 1e-12);
}

// The covariate problem of tests/estimator_test_problems.h: glm.nb(y ~ x +
// offset(log(s))) polished to scores below 1e-14 (MASS 7.3-58.2).
TEST(CeresEstimatorTest, AgreesWithNewtonIrlsAndMassGlmNb) {
  const MassReference reference = CovariateWithSizeFactors();
  const std::vector<double>& y = reference.y;
  const std::vector<double>& expected = reference.expected;
  const double maximum = reference.maximum;
  const FitOptions options;
  std::vector<std::vector<double>> estimates;
  for (int estimator = 0; estimator < 3; ++estimator) {
    OneFeature f = reference.Feature();
    std::vector<double> theta = {std::log(Mean(y)), 0.0, 0.0};
    const EstimatorOutcome outcome =
        estimator == 0 ? RunCeres(f.problem, theta.data(), true, options, &f.work)
        : estimator == 1 ? RunNewton(f.problem, theta.data(), true, options, &f.work)
                         : RunIrls(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kConverged) << estimator;
    ExpectNearMaximum(f, theta, expected, options);
    EXPECT_NEAR(outcome.loglik, maximum, options.function_tolerance * (1.0 + std::abs(maximum)));
    estimates.push_back(theta);
  }
  // Each within m·tol·SE of the maximum, so within twice that of each other.
  OneFeature f = reference.Feature();
  const std::vector<double> se = f.StandardErrors(expected);
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(estimates[0][j], estimates[1][j], 2.0 * 3.0 * options.gradient_tolerance * se[j]);
    EXPECT_NEAR(estimates[0][j], estimates[2][j], 2.0 * 3.0 * options.gradient_tolerance * se[j]);
  }
}

TEST(CeresEstimatorTest, FewIterationsGiveMaxIterations) {
  // max_iterations = 1: at most 5 BFGS steps from far away, no
  // Levenberg–Marquardt phase; θ and ℓ are where BFGS stopped, uphill.
  FitOptions options;
  options.max_iterations = 1;
  OneFeature f = TwoGroups(kGroupA, kGroupB, 1.0, 1.5);
  std::vector<double> theta = {3.0, -2.0, 4.0};
  const double start = f.problem.LogLikelihood(theta.data());
  const EstimatorOutcome outcome = RunCeres(f.problem, theta.data(), true, options, &f.work);
  EXPECT_EQ(outcome.status, FeatureStatus::kMaxIterations);
  EXPECT_LE(outcome.iterations, 6);  // Ceres counts iteration 0
  EXPECT_GT(outcome.loglik, start);
  EXPECT_EQ(outcome.loglik, f.problem.LogLikelihood(theta.data()));
}

TEST(CeresEstimatorTest, GroupOfZerosEndsAtTheLocationBound) {
  // As for newton and irls (estimators_test.cc): μ_B → 0 while group A keeps
  // μ̂_A = ȳ_A and r̂ is group A's own profile maximum.
  const std::vector<double> zeros(6, 0.0);
  const double log_size = ProfileLogSize({kGroupA});
  ASSERT_TRUE(std::isfinite(log_size));
  const double supremum = NbLogLikelihood(kGroupA, Mean(kGroupA), std::exp(log_size));
  const FitOptions options;
  OneFeature f = TwoGroups(kGroupA, zeros, 1.0, 1.0);
  std::vector<double> theta = {std::log(Mean(kGroupA)), std::log(0.1 / 6.0) - std::log(Mean(kGroupA)), 1.0};
  const EstimatorOutcome outcome = RunCeres(f.problem, theta.data(), true, options, &f.work);
  EXPECT_EQ(outcome.status, FeatureStatus::kAtBound);
  EXPECT_LT(theta[0] + theta[1], std::log(options.min_mean));
  OneFeature a = InterceptOnly(kGroupA, 1.0);
  const std::vector<double> se = a.StandardErrors({theta[0], theta[2]});
  EXPECT_NEAR(theta[0], std::log(Mean(kGroupA)), 2.0 * options.gradient_tolerance * se[0] + 1e-12);
  EXPECT_NEAR(theta[2], log_size, 2.0 * options.gradient_tolerance * se[1] + 1e-12);
  EXPECT_LE(outcome.loglik, supremum + 1e-12 * std::abs(supremum));
  EXPECT_GE(outcome.loglik, supremum - 6.0 * options.min_mean - 1e-12 * std::abs(supremum));
}

TEST(CeresEstimatorTest, UnderdispersedCountsEndBeyondMaxSize) {
  // The supremum is the Poisson limit r → ∞ (see estimators_test.cc); ceres
  // has no hold on the scale and reports at_bound once r is past max_size.
  const std::vector<double> y = {5, 6, 4, 5, 5, 6, 4, 5, 6, 5};
  const FitOptions options;
  OneFeature f = InterceptOnly(y, 1.0);
  std::vector<double> theta = {std::log(Mean(y)) + 0.2, 2.0};
  const EstimatorOutcome outcome = RunCeres(f.problem, theta.data(), true, options, &f.work);
  EXPECT_EQ(outcome.status, FeatureStatus::kAtBound);
  EXPECT_GT(theta[1], std::log(options.max_size));
  EXPECT_TRUE(std::isfinite(outcome.loglik));
}

TEST(CeresEstimatorTest, NonFiniteStartIsANumericalFailure) {
  const FitOptions options;
  OneFeature f = InterceptOnly(kGroupA, 1.0);
  std::vector<double> theta = {std::numeric_limits<double>::quiet_NaN(), 0.0};
  EXPECT_EQ(RunCeres(f.problem, theta.data(), true, options, &f.work).status, FeatureStatus::kNumericalFailure);
}

}  // namespace
}  // namespace nbglm
