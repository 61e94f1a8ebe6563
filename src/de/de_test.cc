// The DE pipeline end to end on data with known truth, and its refusals.
#include "nbglm/de.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "nbglm/error.h"
#include "nbglm/fit.h"

namespace nbglm {
namespace {

// Group design: intercept + group B (n/2 each), names as model.matrix's.
NbGlmModel TwoGroupModel(Index n) {
  Matrix x = Matrix::from_shape({static_cast<std::size_t>(n), 2});
  for (Index i = 0; i < n; ++i) {
    x(static_cast<std::size_t>(i), 0) = 1.0;
    x(static_cast<std::size_t>(i), 1) = i < n / 2 ? 0.0 : 1.0;
  }
  const Design design = MakeDesign(x, {"(Intercept)", "groupB"});
  Matrix ones = Matrix::from_shape({static_cast<std::size_t>(n), 1});
  ones.fill(1.0);
  return MakeModel(MakeLinearPredictor(design, ConstraintBasis::Identity(design.parameter_names), "location"),
                   MakeLinearPredictor(MakeDesign(ones, {"(Intercept)"}, design.observation_names),
                                       ConstraintBasis::Identity({"(Intercept)"}), "scale"));
}

struct Simulated {
  CountMatrix counts;
  Vector size_factors;
  std::vector<bool> de;
};

// Gamma–Poisson counts: means log-uniform over [2, 2000], dispersion on a
// trend 0.05 + 1/mean with log-normal scatter (sd 0.5), size factors in
// [0.6, 1.6]; a fraction `de_fraction` of features get |log2 FC| = 1.5.
Simulated Simulate(Index features, Index n, double de_fraction, unsigned seed, bool poisson = false) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 0.5);
  Simulated sim;
  sim.size_factors = Vector::from_shape({static_cast<std::size_t>(n)});
  for (Index i = 0; i < n; ++i) sim.size_factors(static_cast<std::size_t>(i)) = 0.6 + unit(rng);
  Matrix y = Matrix::from_shape({static_cast<std::size_t>(features), static_cast<std::size_t>(n)});
  for (Index f = 0; f < features; ++f) {
    const double mean = 2.0 * std::pow(1000.0, unit(rng));
    const double phi = (0.05 + 1.0 / mean) * std::exp(normal(rng));
    const bool de = unit(rng) < de_fraction;
    sim.de.push_back(de);
    const double fold = de ? std::pow(2.0, unit(rng) < 0.5 ? 1.5 : -1.5) : 1.0;
    for (Index i = 0; i < n; ++i) {
      const double mu = mean * sim.size_factors(static_cast<std::size_t>(i)) * (i < n / 2 ? 1.0 : fold);
      double rate = mu;
      if (!poisson) rate = std::gamma_distribution<double>(1.0 / phi, mu * phi)(rng);
      y(static_cast<std::size_t>(f), static_cast<std::size_t>(i)) = std::poisson_distribution<long>(rate)(rng);
    }
  }
  sim.counts = CountMatrix::FromDense(y);
  return sim;
}

TEST(DifferentialExpressionTest, NullPValuesAreCalibratedWithThreeReplicates) {
  const NbGlmModel model = TwoGroupModel(6);
  double below_05 = 0.0, below_01 = 0.0, tested = 0.0;
  for (unsigned seed : {1u, 2u, 3u}) {
    const Simulated sim = Simulate(3000, 6, 0.0, seed);
    const DeResult result = DifferentialExpression(sim.counts, model, sim.size_factors,
                                                   DeHypothesis::Coefficient(model, "groupB"));
    for (double p : result.pvalue) {
      if (std::isnan(p)) continue;
      tested += 1;
      below_05 += p < 0.05 ? 1 : 0;
      below_01 += p < 0.01 ? 1 : 0;
    }
    EXPECT_GT(result.prior_df, 1.0);
  }
  ASSERT_GT(tested, 6000);
  // Binomial sd at 0.05 over ~8,000 tests: 0.0024.
  EXPECT_LT(below_05 / tested, 0.06);
  EXPECT_GT(below_05 / tested, 0.035);
  EXPECT_LT(below_01 / tested, 0.014);
}

TEST(DifferentialExpressionTest, FalseDiscoveryRateIsControlledWithPower) {
  const NbGlmModel model = TwoGroupModel(6);
  const Simulated sim = Simulate(4000, 6, 0.1, 7);
  const DeResult result =
      DifferentialExpression(sim.counts, model, sim.size_factors, DeHypothesis::Coefficient(model, "groupB"));
  double calls = 0, false_calls = 0, true_de = 0, found = 0;
  for (std::size_t f = 0; f < sim.de.size(); ++f) {
    true_de += sim.de[f] ? 1 : 0;
    if (result.padj[f] < 0.1) {
      ++calls;
      false_calls += sim.de[f] ? 0 : 1;
      found += sim.de[f] ? 1 : 0;
    }
  }
  EXPECT_LT(false_calls / calls, 0.15);
  EXPECT_GT(found / true_de, 0.5);
  // Strong calls of true DE genes have fold changes of the simulated size.
  for (std::size_t f = 0; f < sim.de.size(); ++f) {
    if (sim.de[f] && result.padj[f] < 0.01) {
      EXPECT_GT(std::abs(result.log2_fold_change[f]), 0.5) << f;
    }
  }
}

TEST(DifferentialExpressionTest, BitIdenticalForAnyThreadCount) {
  const NbGlmModel model = TwoGroupModel(8);
  const Simulated sim = Simulate(500, 8, 0.1, 4);
  for (DeMethod method : {DeMethod::kQuasiLikelihood, DeMethod::kWald, DeMethod::kLikelihoodRatio}) {
    DeOptions one, two;
    one.method = two.method = method;
    one.num_threads = 1;
    two.num_threads = 2;
    const DeHypothesis h = DeHypothesis::Coefficient(model, "groupB");
    EXPECT_EQ(DifferentialExpression(sim.counts, model, sim.size_factors, h, one).ToTsv(),
              DifferentialExpression(sim.counts, model, sim.size_factors, h, two).ToTsv());
  }
}

// A cancel hook that says stop ends the run with FitCancelled, whatever the
// method; one that never does changes nothing.
TEST(DifferentialExpressionTest, CancellationStopsTheRun) {
  const Simulated sim = Simulate(300, 6, 0.1, 5);
  const NbGlmModel model = TwoGroupModel(6);
  const DeHypothesis h = DeHypothesis::Coefficient(model, "groupB");
  std::atomic<int> polls{0};
  DeOptions options;
  options.num_threads = 2;
  options.cancel = [&polls] { return ++polls > 3; };
  EXPECT_THROW(DifferentialExpression(sim.counts, model, sim.size_factors, h, options), FitCancelled);
  options.method = DeMethod::kWald;
  options.dispersion = DispersionMethod::kMle;
  polls = 0;
  EXPECT_THROW(DifferentialExpression(sim.counts, model, sim.size_factors, h, options), FitCancelled);
  DeOptions never;
  never.num_threads = 2;
  never.cancel = [] { return false; };
  DeOptions plain;
  plain.num_threads = 2;
  EXPECT_EQ(DifferentialExpression(sim.counts, model, sim.size_factors, h, never).ToTsv(),
            DifferentialExpression(sim.counts, model, sim.size_factors, h, plain).ToTsv());
}

TEST(DifferentialExpressionTest, CoefficientEqualsTheReducedModelWithoutIt) {
  const NbGlmModel model = TwoGroupModel(6);
  const Simulated sim = Simulate(400, 6, 0.2, 9);
  const DeResult by_coef =
      DifferentialExpression(sim.counts, model, sim.size_factors, DeHypothesis::Coefficient(model, "groupB"));
  Matrix ones = Matrix::from_shape({6, 1});
  ones.fill(1.0);
  const LinearPredictor null_location = MakeLinearPredictor(
      MakeDesign(ones, {"(Intercept)"}, model.location.design.observation_names),
      ConstraintBasis::Identity({"(Intercept)"}), "reduced");
  const DeResult by_model =
      DifferentialExpression(sim.counts, model, sim.size_factors, DeHypothesis::Reduced(null_location, "~ 1"));
  for (std::size_t f = 0; f < by_coef.pvalue.size(); ++f) {
    if (std::isnan(by_coef.pvalue[f])) {
      EXPECT_TRUE(std::isnan(by_model.pvalue[f]));
      continue;
    }
    EXPECT_NEAR(by_coef.pvalue[f], by_model.pvalue[f], 1e-8 * (1 + by_coef.pvalue[f])) << f;
    EXPECT_TRUE(std::isnan(by_model.estimate[f]));
  }
}

TEST(DifferentialExpressionTest, AllZeroAndZeroGroupFeatures) {
  const NbGlmModel model = TwoGroupModel(6);
  Simulated sim = Simulate(300, 6, 0.0, 12);
  Matrix y = Matrix::from_shape({300, 6});
  for (Index f = 0; f < 300; ++f) {
    std::vector<double> row(6);
    sim.counts.CopyFeature(f, row.data());
    for (std::size_t i = 0; i < 6; ++i) y(static_cast<std::size_t>(f), i) = row[i];
  }
  for (std::size_t i = 0; i < 6; ++i) y(0, i) = 0.0;                 // all zero
  for (std::size_t i = 0; i < 6; ++i) y(1, i) = i < 3 ? 0.0 : 500.0;  // on in group B only
  const CountMatrix counts = CountMatrix::FromDense(y);
  DeOptions options;
  options.filter = false;
  const DeResult result =
      DifferentialExpression(counts, model, sim.size_factors, DeHypothesis::Coefficient(model, "groupB"), options);
  EXPECT_EQ(result.status[0], "all_zero");
  EXPECT_TRUE(std::isnan(result.pvalue[0]));
  EXPECT_EQ(result.status[1], "at_bound");
  EXPECT_TRUE(std::isnan(result.estimate[1]));  // the fold change runs to +∞: not an estimate
  EXPECT_LT(result.pvalue[1], 1e-6);            // the deviance has a finite limit: a valid test
}

TEST(DifferentialExpressionTest, PoissonDataShrinkToThePoissonTrend) {
  const NbGlmModel model = TwoGroupModel(6);
  const Simulated sim = Simulate(1000, 6, 0.0, 21, /*poisson=*/true);
  const DeResult result =
      DifferentialExpression(sim.counts, model, sim.size_factors, DeHypothesis::Coefficient(model, "groupB"));
  double tested = 0, below = 0, zero_dispersion = 0;
  for (std::size_t f = 0; f < result.pvalue.size(); ++f) {
    if (std::isnan(result.pvalue[f])) continue;
    ++tested;
    below += result.pvalue[f] < 0.05 ? 1 : 0;
    zero_dispersion += result.dispersion[f] < 1e-6 ? 1 : 0;
  }
  EXPECT_LT(below / tested, 0.07);
  EXPECT_GT(zero_dispersion / tested, 0.9);  // the trend sits at the Poisson limit
}

TEST(DifferentialExpressionTest, ShrunkWaldAndLrtAndMleRun) {
  const NbGlmModel model = TwoGroupModel(8);
  const Simulated sim = Simulate(600, 8, 0.1, 5);
  const DeHypothesis h = DeHypothesis::Coefficient(model, "groupB");
  for (DispersionMethod dispersion : {DispersionMethod::kShrunk, DispersionMethod::kMle}) {
    for (DeMethod method : {DeMethod::kWald, DeMethod::kLikelihoodRatio}) {
      DeOptions options;
      options.method = method;
      options.dispersion = dispersion;
      const DeResult result = DifferentialExpression(sim.counts, model, sim.size_factors, h, options);
      Index tested = 0, found = 0;
      for (std::size_t f = 0; f < result.pvalue.size(); ++f) {
        if (std::isnan(result.pvalue[f])) continue;
        ++tested;
        EXPECT_GE(result.pvalue[f], 0.0);
        EXPECT_LE(result.pvalue[f], 1.0);
        found += sim.de[f] && result.padj[f] < 0.1 ? 1 : 0;
      }
      EXPECT_GT(tested, 400) << ToString(method) << " " << ToString(dispersion);
      EXPECT_GT(found, 20) << ToString(method) << " " << ToString(dispersion);
    }
  }
}

TEST(DifferentialExpressionTest, RefusesWhatItCannotHonour) {
  const NbGlmModel model = TwoGroupModel(6);
  const Simulated sim = Simulate(50, 6, 0.0, 3);
  const DeHypothesis h = DeHypothesis::Coefficient(model, "groupB");
  EXPECT_THROW(DeHypothesis::Coefficient(model, "groupC"), InputError);
  // One feature: no prior to estimate.
  const CountMatrix one = CountMatrix::FromDense(Matrix({{3, 5, 4, 9, 8, 12}}));
  EXPECT_THROW(DifferentialExpression(one, model, Vector(), h), InputError);
  DeOptions ql_mle;
  ql_mle.dispersion = DispersionMethod::kMle;
  EXPECT_THROW(DifferentialExpression(sim.counts, model, sim.size_factors, h, ql_mle), InputError);
  EXPECT_THROW(DifferentialExpression(sim.counts, model, sim.size_factors, DeHypothesis::Contrast({1.0}, "short")),
               InputError);
  EXPECT_THROW(DifferentialExpression(sim.counts, model, sim.size_factors, DeHypothesis::Contrast({0.0, 0.0}, "zero")),
               InputError);
  // A scale model with a covariate cannot be shrunk.
  const NbGlmModel scale_model = MakeModel(model.location, model.location);
  EXPECT_THROW(DifferentialExpression(sim.counts, scale_model, sim.size_factors, h), InputError);
  // Not nested: a reduced model with a column the full one cannot make.
  Matrix other = Matrix::from_shape({6, 1});
  for (std::size_t i = 0; i < 6; ++i) other(i, 0) = static_cast<double>(i * i);
  const LinearPredictor not_nested = MakeLinearPredictor(
      MakeDesign(other, {"x2"}, model.location.design.observation_names), ConstraintBasis::Identity({"x2"}), "r");
  EXPECT_THROW(DifferentialExpression(sim.counts, model, sim.size_factors, DeHypothesis::Reduced(not_nested, "x2")),
               InputError);
  DeOptions wald;
  wald.method = DeMethod::kWald;
  Matrix ones = Matrix::from_shape({6, 1});
  ones.fill(1.0);
  const LinearPredictor intercept = MakeLinearPredictor(
      MakeDesign(ones, {"(Intercept)"}, model.location.design.observation_names),
      ConstraintBasis::Identity({"(Intercept)"}), "r");
  EXPECT_THROW(
      DifferentialExpression(sim.counts, model, sim.size_factors, DeHypothesis::Reduced(intercept, "~ 1"), wald),
      InputError);
}

}  // namespace
}  // namespace nbglm
