#include "de/variance_prior.h"

#include <cmath>
#include <random>

#include <boost/math/distributions/fisher_f.hpp>
#include <gtest/gtest.h>

#include "nbglm/error.h"

namespace nbglm::de {
namespace {

TEST(VariancePriorTest, LogFDensityMatchesBoost) {
  for (double d1 : {1.0, 4.0, 20.0}) {
    for (double d2 : {0.5, 3.0, 50.0, 1e6}) {
      for (double x : {0.01, 0.7, 3.0, 40.0}) {
        const double expected = std::log(boost::math::pdf(boost::math::fisher_f(d1, d2), x));
        EXPECT_NEAR(LogFDensity(x, d1, d2), expected, 1e-9 * (1.0 + std::abs(expected))) << d1 << " " << d2 << " " << x;
      }
    }
  }
}

// s²_g = s0²·χ²_d/d / (χ²_d0/d0): the model of the prior, with known (s0², d0).
std::vector<double> SimulateQl(std::size_t count, double d, double d0, const std::vector<double>& s0, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::chi_squared_distribution<double> within(d), prior(d0);
  std::vector<double> s2(count);
  for (std::size_t g = 0; g < count; ++g) s2[g] = s0[g] * (within(rng) / d) / (prior(rng) / d0);
  return s2;
}

TEST(VariancePriorTest, RecoversKnownPriorDfAndScale) {
  const std::size_t count = 20000;
  const double d = 4.0;
  for (double d0 : {3.0, 10.0}) {
    const std::vector<double> s2 = SimulateQl(count, d, d0, std::vector<double>(count, 1.3), 11);
    const VariancePrior prior = FitVariancePrior(s2, d, {}, false);
    EXPECT_TRUE(prior.converged);
    EXPECT_NEAR(prior.prior_df, d0, 0.12 * d0);
    EXPECT_NEAR(prior.prior_variance[0], 1.3, 0.03);
    // Posterior between the estimate and the prior, with the stated weights.
    const double expected = (prior.prior_df * prior.prior_variance[5] + d * s2[5]) / (prior.prior_df + d);
    EXPECT_DOUBLE_EQ(prior.posterior_variance[5], expected);
  }
}

TEST(VariancePriorTest, RecoversATrendInTheCovariate) {
  const std::size_t count = 20000;
  std::vector<double> mean(count), s0(count);
  for (std::size_t g = 0; g < count; ++g) {
    mean[g] = std::exp(-2.0 + 10.0 * static_cast<double>(g) / count);
    s0[g] = 0.5 + 1.5 / (1.0 + mean[g]);  // smooth in log mean
  }
  const std::vector<double> s2 = SimulateQl(count, 5.0, 8.0, s0, 5);
  const VariancePrior prior = FitVariancePrior(s2, 5.0, mean, true);
  EXPECT_TRUE(prior.trended);
  EXPECT_NEAR(prior.prior_df, 8.0, 1.0);
  for (std::size_t g : {1000u, 8000u, 15000u, 19000u}) EXPECT_NEAR(prior.prior_variance[g], s0[g], 0.08 * s0[g]) << g;
}

TEST(VariancePriorTest, EdgeCases) {
  // Every feature at the trend (e.g. all Poisson): no spread, nothing to shrink.
  const VariancePrior flat = FitVariancePrior({1.0, 1.0, std::nan(""), 1.0}, 3.0, {}, false);
  EXPECT_TRUE(std::isinf(flat.prior_df));
  EXPECT_EQ(flat.posterior_variance[0], 1.0);
  EXPECT_TRUE(std::isnan(flat.posterior_variance[2]));
  // Identical estimates all different from 1: an exact prior (df0 = ∞).
  const VariancePrior same = FitVariancePrior(std::vector<double>(50, 0.8), 3.0, {}, false);
  EXPECT_TRUE(std::isinf(same.prior_df));
  EXPECT_NEAR(same.posterior_variance[0], 0.8, 1e-6);
  EXPECT_THROW(FitVariancePrior({0.5}, 3.0, {}, false), InputError);
  EXPECT_THROW(FitVariancePrior({0.5, 0.0, 1.0}, 3.0, {}, false), InputError);
  EXPECT_THROW(FitVariancePrior({0.5, 2.0}, 0.0, {}, false), InputError);
}

}  // namespace
}  // namespace nbglm::de
