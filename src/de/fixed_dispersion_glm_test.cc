#include "de/fixed_dispersion_glm.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "nbglm/negative_binomial.h"

namespace nbglm::de {
namespace {

// Two groups of n/2 with an intercept + group column.
RowMatrix TwoGroupDesign(Index n) {
  RowMatrix x(n, 2);
  for (Index i = 0; i < n; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = i < n / 2 ? 0.0 : 1.0;
  }
  return x;
}

TEST(FixedDispersionGlmTest, UnitDevianceIsTwiceTheLogLikelihoodGapToTheSaturatedModel) {
  for (double phi : {1e-6, 0.05, 1.0, 30.0}) {
    for (double y : {0.0, 1.0, 7.0, 1234.0}) {
      for (double mu : {0.01, 3.0, 900.0}) {
        const double zeta = -std::log(phi);
        const double saturated = y > 0 ? NbLogLikelihood(y, std::log(y), zeta) : 0.0;
        const double expected = 2.0 * (saturated - NbLogLikelihood(y, std::log(mu), zeta));
        EXPECT_NEAR(UnitDeviance(y, mu, phi), expected, 1e-9 * (1.0 + std::abs(expected)))
            << "phi " << phi << " y " << y << " mu " << mu;
      }
    }
  }
}

TEST(FixedDispersionGlmTest, UnitDevianceTendsToPoissonAsDispersionVanishes) {
  for (double y : {0.0, 1.0, 50.0}) {
    for (double mu : {0.5, 40.0}) {
      EXPECT_NEAR(UnitDeviance(y, mu, 1e-13), UnitDeviance(y, mu, 0.0), 1e-9) << y << " " << mu;
    }
  }
}

TEST(FixedDispersionGlmTest, FitIsAStationaryPointWithTheSmallestDeviance) {
  std::mt19937_64 rng(3);
  const Index n = 8;
  const GlmDesign design(TwoGroupDesign(n));
  FixedDispersionGlm glm(design);
  std::vector<double> offset(n), y(n);
  for (Index i = 0; i < n; ++i) offset[i] = std::log(0.5 + 0.2 * i);
  for (int trial = 0; trial < 20; ++trial) {
    const double phi = trial % 2 == 0 ? 0.1 : 0.0;
    std::negative_binomial_distribution<int> low(10, 10.0 / 30.0), high(10, 10.0 / 90.0);
    for (Index i = 0; i < n; ++i) y[i] = i < n / 2 ? low(rng) : high(rng);
    double theta[2];
    const FixedDispersionOutcome outcome = glm.Fit(y.data(), offset.data(), phi, theta, false);
    ASSERT_TRUE(outcome.converged);
    EXPECT_FALSE(outcome.at_bound);
    // Score zero: Σ (y − μ)/(1 + φμ) per column, to a tiny fraction of a
    // standard error (the stopping rule bounds UᵀI⁻¹U by 1e-14·(D + n)).
    Eigen::Vector2d score(0.0, 0.0);
    for (Index i = 0; i < n; ++i) {
      const double r = (y[i] - glm.mu()(i)) / (1.0 + phi * glm.mu()(i));
      score(0) += r;
      score(1) += r * design.x(i, 1);
    }
    EXPECT_LE(score.dot(glm.information().ldlt().solve(score)), 1e-13 * (outcome.deviance + n));
    EXPECT_LT(std::abs(score(1)) / std::sqrt(glm.information()(1, 1)), 1e-5);
    // Any perturbation raises the deviance.
    for (double d0 : {-1e-4, 1e-4}) {
      for (double d1 : {-1e-4, 1e-4}) {
        double deviance = 0.0;
        for (Index i = 0; i < n; ++i) {
          deviance += UnitDeviance(y[i], std::exp(offset[i] + theta[0] + d0 + (theta[1] + d1) * design.x(i, 1)), phi);
        }
        EXPECT_GE(deviance, outcome.deviance);
      }
    }
  }
}

TEST(FixedDispersionGlmTest, GroupOfZerosIsAtBoundWithTheLimitDevianceAndAnEstimableIntercept) {
  // Group 0 all zero: its mean → 0. The deviance tends to that of group 1
  // alone (zeros at μ = 0 contribute nothing); the intercept (group 0's log
  // mean) and the group difference are not estimable, group 1's mean is.
  const Index n = 6;
  const GlmDesign design(TwoGroupDesign(n));
  FixedDispersionGlm glm(design);
  const std::vector<double> y = {0, 0, 0, 5, 9, 14};
  const std::vector<double> offset(n, 0.0);
  double theta[2];
  const double phi = 0.2;
  const FixedDispersionOutcome outcome = glm.Fit(y.data(), offset.data(), phi, theta, false);
  EXPECT_TRUE(outcome.converged);
  EXPECT_TRUE(outcome.at_bound);
  // Group 1 alone: μ = mean of its counts (intercept-only MLE).
  double expected = 0.0;
  for (Index i = 3; i < n; ++i) expected += UnitDeviance(y[i], 28.0 / 3.0, phi);
  EXPECT_NEAR(outcome.deviance, expected, 1e-8);
  EXPECT_FALSE(glm.Estimable(Eigen::Vector2d(1.0, 0.0)));
  EXPECT_FALSE(glm.Estimable(Eigen::Vector2d(0.0, 1.0)));
  EXPECT_TRUE(glm.Estimable(Eigen::Vector2d(1.0, 1.0)));
  EXPECT_NEAR(theta[0] + theta[1], std::log(28.0 / 3.0), 1e-8);
}

TEST(FixedDispersionGlmTest, WarmStartReachesTheSameFit) {
  const Index n = 6;
  const GlmDesign design(TwoGroupDesign(n));
  FixedDispersionGlm glm(design);
  const std::vector<double> y = {3, 8, 2, 40, 31, 77};
  const std::vector<double> offset = {0.1, -0.2, 0.0, 0.3, 0.05, -0.1};
  double cold[2], warm[2] = {5.0, -3.0};
  const double d1 = glm.Fit(y.data(), offset.data(), 0.3, cold, false).deviance;
  const double d2 = glm.Fit(y.data(), offset.data(), 0.3, warm, true).deviance;
  EXPECT_NEAR(d1, d2, 1e-9);
  EXPECT_NEAR(cold[0], warm[0], 1e-6);
  EXPECT_NEAR(cold[1], warm[1], 1e-6);
}

}  // namespace
}  // namespace nbglm::de
