// Inference (docs/model.md §5): Benjamini–Hochberg against R's p.adjust, Wald
// tests of coefficients and contrasts against their definitions on fitted
// data, likelihood-ratio tests against 2Δℓ and χ² tail formulas, and null
// calibration of the LRT (plain, constrained, and for the scale model).
#include "nbglm/inference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <random>
#include <xtensor/xview.hpp>

#include "nbglm/constraints.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/model.h"
#include "nbglm/simulator.h"
#include "notebook_designs.h"

namespace nbglm {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void ExpectSameValues(const std::vector<double>& actual, const std::vector<double>& expected, double tolerance) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE(i);
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << actual[i];
    } else {
      EXPECT_NEAR(actual[i], expected[i], tolerance * std::abs(expected[i]));
    }
  }
}

// ---------------------------------------------------------------------------
// Benjamini–Hochberg. Expected values from R 4.x, printed with
// options(digits = 17); print(p.adjust(p, "BH")) for each p below.

TEST(BenjaminiHochbergTest, MatchesRWithTies) {
  // p.adjust(c(0.01, 0.04, 0.03, 0.04, 0.2, 0.5, 0.001, 0.9), "BH")
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.04, 0.2, 0.5, 0.001, 0.9};
  const std::vector<double> r = {0.04, 0.064, 0.064, 0.064, 0.26666666666666666, 0.5714285714285714, 0.008, 0.9};
  ExpectSameValues(BenjaminiHochberg(p), r, 1e-15);
  // p.adjust(c(0.002, 0.002, 0.002, 0.9, 0.04), "BH"): three tied smallest values.
  ExpectSameValues(BenjaminiHochberg({0.002, 0.002, 0.002, 0.9, 0.04}),
                   {0.0033333333333333335, 0.0033333333333333335, 0.0033333333333333335, 0.9, 0.05}, 1e-15);
}

TEST(BenjaminiHochbergTest, IgnoresNaNLikeRIgnoresNA) {
  // p.adjust(c(0.01, NA, 0.04, NaN, 0.03, 0.5), "BH"): m = 4 non-missing values.
  ExpectSameValues(BenjaminiHochberg({0.01, kNaN, 0.04, kNaN, 0.03, 0.5}),
                   {0.04, kNaN, 0.05333333333333333, kNaN, 0.05333333333333333, 0.5}, 1e-15);
  EXPECT_TRUE(BenjaminiHochberg({}).empty());
  const std::vector<double> none = BenjaminiHochberg({kNaN, kNaN});
  EXPECT_TRUE(std::isnan(none[0]) && std::isnan(none[1]));
}

TEST(BenjaminiHochbergTest, CapsAtOneAndIsMonotone) {
  // p.adjust(c(1, 0.5, 1, 0.02), "BH") = 1, 1, 1, 0.08 (0.5 · 4/2 = 1 exactly).
  ExpectSameValues(BenjaminiHochberg({1.0, 0.5, 1.0, 0.02}), {1.0, 1.0, 1.0, 0.08}, 1e-15);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> p(500);
  for (double& value : p) value = uniform(rng) < 0.2 ? 1e-4 * uniform(rng) : uniform(rng);
  p[17] = p[42];  // a tie
  const std::vector<double> adjusted = BenjaminiHochberg(p);
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_GE(adjusted[i], p[i]);
    EXPECT_LE(adjusted[i], 1.0);
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (p[i] <= p[j]) {
        ASSERT_LE(adjusted[i], adjusted[j]) << i << " " << j;
      }
    }
  }
  EXPECT_EQ(adjusted[17], adjusted[42]);
}

// ---------------------------------------------------------------------------
// Fitted examples.

// n observations, the second half in group B: columns (Intercept), groupB.
Design TwoGroupDesign(std::size_t n) {
  Matrix x = xt::zeros<double>({n, std::size_t{2}});
  for (std::size_t i = 0; i < n; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = i >= n / 2 ? 1.0 : 0.0;
  }
  return MakeDesign(std::move(x), {"(Intercept)", "groupB"});
}

NbGlmModel UnconstrainedModel(const Design& location, const Design& scale) {
  return MakeModel(MakeLinearPredictor(location, ConstraintBasis::Identity(location.parameter_names), "location"),
                   MakeLinearPredictor(scale, ConstraintBasis::Identity(scale.parameter_names), "scale"));
}

// Counts simulated with the given coefficients, rows taken from the
// simulator's default draws and then edited by `edit` (e.g. to make H0 true).
template <typename Edit>
CountMatrix SimulateCounts(Index features, const Design& location, const Design& scale, std::uint64_t seed, Edit edit) {
  SimulatorOptions options;
  options.seed = seed;
  Simulator simulator(features, location, scale, Vector(), options);
  simulator.GenerateParams();
  Matrix a = simulator.location_coefficients();
  Matrix b = simulator.scale_coefficients();
  edit(&a, &b);
  simulator.SetParams(std::move(a), std::move(b));
  return simulator.GenerateData();
}

void NoEdit(Matrix*, Matrix*) {}

// The same counts with an all-zero feature appended.
CountMatrix WithAllZeroFeature(const CountMatrix& counts) {
  const Matrix dense = counts.ToDense().dense_counts();
  Matrix extended = xt::zeros<double>({dense.shape(0) + 1, dense.shape(1)});
  xt::view(extended, xt::range(0, dense.shape(0)), xt::all()) = dense;
  std::vector<std::string> names = counts.feature_names();
  names.push_back("zeros");
  return CountMatrix::FromDense(std::move(extended), names, counts.observation_names());
}

double TwoSidedNormalP(double z) { return std::erfc(std::abs(z) / std::sqrt(2.0)); }

TEST(WaldTest, CoefficientIsEstimateOverStandardError) {
  const Design design = TwoGroupDesign(60);
  const NbGlmModel model = UnconstrainedModel(design, InterceptDesign(design.observation_names));
  const CountMatrix counts = WithAllZeroFeature(SimulateCounts(40, design, model.scale.design, 11, NoEdit));
  const FitResult fit = Fit(counts, model, Vector(), FitOptions());
  const TestResult test = WaldTestCoefficient(fit, model, "groupB");
  ASSERT_EQ(test.feature_names, fit.feature_names);
  std::vector<double> expected_p;
  for (std::size_t f = 0; f < 40; ++f) {
    SCOPED_TRACE(fit.feature_names[f]);
    ASSERT_EQ(fit.status[f], FeatureStatus::kConverged);
    EXPECT_EQ(test.status[f], "converged");
    EXPECT_EQ(test.estimate[f], fit.location_coef(f, 1));
    EXPECT_NEAR(test.se[f], fit.location_se(f, 1), 1e-12 * fit.location_se(f, 1));
    EXPECT_DOUBLE_EQ(test.statistic[f], test.estimate[f] / test.se[f]);
    EXPECT_NEAR(test.pvalue[f], TwoSidedNormalP(test.statistic[f]), 1e-12 * test.pvalue[f] + 1e-300);
    expected_p.push_back(test.pvalue[f]);
  }
  // The all-zero feature: not estimable, reported as NaN with its status.
  EXPECT_TRUE(std::isnan(test.estimate[40]) && std::isnan(test.se[40]) && std::isnan(test.statistic[40]) &&
              std::isnan(test.pvalue[40]) && std::isnan(test.padj[40]));
  EXPECT_EQ(test.status[40], "all_zero");
  expected_p.push_back(kNaN);
  ExpectSameValues(test.padj, BenjaminiHochberg(expected_p), 1e-15);
  // A scale coefficient is found by name too.
  const TestResult scale = WaldTestCoefficient(fit, model, "(Intercept)");
  EXPECT_EQ(scale.estimate[0], fit.location_coef(0, 0));  // the location wins a shared name
  // ... and "scale:" reaches the scale's (Intercept) all the same.
  const TestResult scale_intercept = WaldTestCoefficient(fit, model, "scale:(Intercept)");
  EXPECT_EQ(scale_intercept.estimate[0], fit.scale_coef(0, 0));
  EXPECT_NEAR(scale_intercept.se[0], fit.scale_se(0, 0), 1e-12 * fit.scale_se(0, 0));
  EXPECT_EQ(WaldTestCoefficient(fit, model, "loc:groupB").estimate[0], fit.location_coef(0, 1));
  EXPECT_THROW(WaldTestCoefficient(fit, model, "scale:groupB"), InputError);
}

// The notebook's example 1: replicates nested in conditions, constrained;
// the same design for location and scale, as in the notebook.
NbGlmModel NotebookModel(const notebook::Example& example, bool scale_like_location) {
  ConstraintSet set(example.design.parameter_names);
  set.AddSumToZeroRows(example.constraints, "notebook");
  const ConstraintBasis basis = set.Build();
  if (!scale_like_location) {
    const Design scale = InterceptDesign(example.design.observation_names);
    return MakeModel(MakeLinearPredictor(example.design, basis, "location"),
                     MakeLinearPredictor(scale, ConstraintBasis::Identity(scale.parameter_names), "scale"));
  }
  return MakeModel(MakeLinearPredictor(example.design, basis, "location"),
                   MakeLinearPredictor(example.design, basis, "scale"));
}

// cᵀa and cᵀ B Cov(θ_block) Bᵀ c, written out with loops from the fit.
void ExpectContrastMatchesDefinition(const FitResult& fit, const NbGlmModel& model, const std::vector<double>& c,
                                     Predictor predictor) {
  const TestResult test = WaldTest(fit, model, c, predictor);
  const bool location = predictor == Predictor::kLocation;
  const LinearPredictor& lp = location ? model.location : model.scale;
  const Matrix& coef = location ? fit.location_coef : fit.scale_coef;
  const Matrix& b = lp.constraints.basis();
  const std::size_t offset = location ? 0 : static_cast<std::size_t>(model.location.num_reduced());
  for (std::size_t f = 0; f < fit.feature_names.size(); ++f) {
    SCOPED_TRACE(fit.feature_names[f]);
    double estimate = 0.0, variance = 0.0;
    for (std::size_t j = 0; j < c.size(); ++j) estimate += c[j] * coef(f, j);
    for (std::size_t j = 0; j < c.size(); ++j) {
      for (std::size_t l = 0; l < c.size(); ++l) {
        double cov_jl = 0.0;  // Cov(a)_jl = Σ_kk' B_jk Cov(θ)_kk' B_lk'
        for (std::size_t k = 0; k < b.shape(1); ++k) {
          for (std::size_t kk = 0; kk < b.shape(1); ++kk) {
            cov_jl += b(j, k) * fit.reduced_covariance(f, offset + k, offset + kk) * b(l, kk);
          }
        }
        variance += c[j] * cov_jl * c[l];
      }
    }
    EXPECT_NEAR(test.estimate[f], estimate, 1e-12 * (1.0 + std::abs(estimate)));
    EXPECT_NEAR(test.se[f], std::sqrt(variance), 1e-10 * std::sqrt(variance));
    EXPECT_NEAR(test.statistic[f], estimate / std::sqrt(variance), 1e-9 * (1.0 + std::abs(test.statistic[f])));
    EXPECT_NEAR(test.pvalue[f], TwoSidedNormalP(test.statistic[f]), 1e-12);
  }
}

TEST(WaldTest, ContrastIsCTransposeAWithBasisCovariance) {
  const auto example = notebook::MakeExample(1, 400);
  const NbGlmModel model = NotebookModel(example, /*scale_like_location=*/true);
  const CountMatrix counts = SimulateCounts(20, example.design, example.design, 5, NoEdit);
  const FitResult fit = Fit(counts, model, Vector(), FitOptions());
  ASSERT_EQ(fit.StatusCounts()[0], 20) << fit.BriefReport();
  // (Intercept), bio_rep1..4, condition: a mix touching constrained parameters.
  ExpectContrastMatchesDefinition(fit, model, {0.0, 0.5, -1.0, 0.25, 0.0, 1.0}, Predictor::kLocation);
  ExpectContrastMatchesDefinition(fit, model, {0.0, 0.0, 0.0, 0.0, 0.0, 1.0}, Predictor::kLocation);
  ExpectContrastMatchesDefinition(fit, model, {1.0, 0.0, 0.3, 0.0, -0.7, 1.0}, Predictor::kScale);
  // The contrast e_condition equals the coefficient test.
  const TestResult by_name = WaldTestCoefficient(fit, model, "condition");
  const TestResult by_contrast = WaldTest(fit, model, {0, 0, 0, 0, 0, 1}, Predictor::kLocation);
  EXPECT_EQ(by_name.statistic, by_contrast.statistic);
  // bio_rep3 + bio_rep4 is fixed at 0 by the constraints: no test, not a fake z.
  const TestResult fixed = WaldTest(fit, model, {0, 0, 0, 1, 1, 0}, Predictor::kLocation);
  for (std::size_t f = 0; f < 20; ++f) {
    EXPECT_NEAR(fixed.estimate[f], 0.0, 1e-10);
    EXPECT_TRUE(std::isnan(fixed.pvalue[f]));
  }
}

TEST(WaldTest, RejectsWrongLengthAndUnknownNames) {
  const Design design = TwoGroupDesign(20);
  const NbGlmModel model = UnconstrainedModel(design, InterceptDesign(design.observation_names));
  const FitResult fit = Fit(SimulateCounts(2, design, model.scale.design, 1, NoEdit), model, Vector(), FitOptions());
  EXPECT_THROW(WaldTest(fit, model, {1.0}, Predictor::kLocation), InputError);
  EXPECT_THROW(WaldTest(fit, model, {1.0, 0.0}, Predictor::kScale), InputError);
  try {
    WaldTestCoefficient(fit, model, "treatment");
    FAIL() << "no exception";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("treatment"), std::string::npos) << message;
    EXPECT_NE(message.find("(Intercept), groupB"), std::string::npos) << message;
  }
}

// ---------------------------------------------------------------------------
// Likelihood-ratio tests.

TEST(LikelihoodRatioTest, StatisticIsTwiceTheLogLikelihoodGainWithChiSquaredTail) {
  const std::size_t n = 80;
  const Design design = TwoGroupDesign(n);
  const Design intercept = InterceptDesign(design.observation_names);
  const NbGlmModel full = UnconstrainedModel(design, design);
  const NbGlmModel no_location_effect = UnconstrainedModel(intercept, design);
  const NbGlmModel no_effects = UnconstrainedModel(intercept, intercept);
  const CountMatrix counts = WithAllZeroFeature(SimulateCounts(30, design, design, 21, NoEdit));
  const FitResult full_fit = Fit(counts, full, Vector(), FitOptions());
  const FitResult reduced_fit = Fit(counts, no_location_effect, Vector(), FitOptions());
  const FitResult null_fit = Fit(counts, no_effects, Vector(), FitOptions());

  const TestResult one = LikelihoodRatioTest(full_fit, full, reduced_fit, no_location_effect);
  const TestResult two = LikelihoodRatioTest(full_fit, full, null_fit, no_effects);
  EXPECT_EQ(one.df, 1.0);
  EXPECT_EQ(two.df, 2.0);
  for (std::size_t f = 0; f < 30; ++f) {
    SCOPED_TRACE(full_fit.feature_names[f]);
    const double gain = full_fit.loglik[f] - reduced_fit.loglik[f];
    EXPECT_EQ(one.estimate[f], gain);
    EXPECT_EQ(one.statistic[f], 2.0 * gain);
    EXPECT_TRUE(std::isnan(one.se[f]));
    // χ²₁ tail: P(Z² > s) = erfc(√(s/2)); χ²₂ tail: exp(−s/2).
    EXPECT_NEAR(one.pvalue[f], std::erfc(std::sqrt(one.statistic[f] / 2.0)), 1e-12 + 1e-10 * one.pvalue[f]);
    const double s2 = 2.0 * (full_fit.loglik[f] - null_fit.loglik[f]);
    EXPECT_NEAR(two.statistic[f], s2, 1e-12 * (1.0 + s2));
    EXPECT_NEAR(two.pvalue[f], std::exp(-s2 / 2.0), 1e-12 + 1e-10 * two.pvalue[f]);
  }
  EXPECT_TRUE(std::isnan(one.pvalue[30]));
  EXPECT_EQ(one.status[30], "all_zero");
  // A "reduced" model with as many parameters is refused, and so are fits of other features.
  EXPECT_THROW(LikelihoodRatioTest(full_fit, full, full_fit, full), InputError);
  FitOptions range;
  range.feature_end = 5;
  EXPECT_THROW(
      LikelihoodRatioTest(full_fit, full, Fit(counts, no_location_effect, Vector(), range), no_location_effect),
      InputError);
}

// Fraction of non-NaN p-values below 0.05; at least 98% must be testable.
double RejectionRate(const TestResult& test) {
  std::size_t tested = 0, rejected = 0;
  for (double p : test.pvalue) {
    if (std::isnan(p)) continue;
    ++tested;
    if (p < 0.05) ++rejected;
  }
  EXPECT_GE(tested, test.pvalue.size() * 98 / 100);
  return static_cast<double>(rejected) / static_cast<double>(tested);
}

constexpr Index kNullFeatures = 1000;

TEST(LikelihoodRatioTest, CalibratedOnNullDataForALocationEffect) {
  const Design design = TwoGroupDesign(100);
  const Design intercept = InterceptDesign(design.observation_names);
  const NbGlmModel full = UnconstrainedModel(design, intercept);
  const NbGlmModel reduced = UnconstrainedModel(intercept, intercept);
  const CountMatrix counts = SimulateCounts(kNullFeatures, design, intercept, 1001, [](Matrix* a, Matrix*) {
    xt::view(*a, xt::all(), 1) = 0.0;  // H0: no group effect
  });
  const TestResult test = LikelihoodRatioTest(Fit(counts, full, Vector(), FitOptions()), full,
                                              Fit(counts, reduced, Vector(), FitOptions()), reduced);
  const double rate = RejectionRate(test);
  EXPECT_GE(rate, 0.035);
  EXPECT_LE(rate, 0.065);
}

TEST(LikelihoodRatioTest, CalibratedOnNullDataForTheConditionOfAConstrainedModel) {
  // Notebook example 1: the reduced model is the design without `condition`
  // under the same sum-to-zero constraints on the replicates.
  const auto example = notebook::MakeExample(1, 200);
  const NbGlmModel full = NotebookModel(example, /*scale_like_location=*/false);
  std::vector<std::size_t> kept = {0, 1, 2, 3, 4};  // drop `condition` (column 5)
  Design without_condition = example.design;
  without_condition.parameter_names.pop_back();
  without_condition.values = xt::view(example.design.values, xt::all(), xt::keep(kept));
  Matrix constraints = xt::view(example.constraints, xt::all(), xt::keep(kept));
  ConstraintSet set(without_condition.parameter_names);
  set.AddSumToZeroRows(constraints, "notebook without condition");
  const NbGlmModel reduced =
      MakeModel(MakeLinearPredictor(without_condition, set.Build(), "reduced location"), full.scale);
  // H0 inside the constrained parametrisation: replicate effects that meet the
  // constraints (rep1 = −rep2, rep3 = −rep4), no condition effect.
  const CountMatrix counts =
      SimulateCounts(kNullFeatures, example.design, full.scale.design, 1002, [](Matrix* a, Matrix*) {
        for (std::size_t f = 0; f < a->shape(0); ++f) {
          (*a)(f, 1) = -(*a)(f, 2);
          (*a)(f, 3) = -(*a)(f, 4);
          (*a)(f, 5) = 0.0;
        }
      });
  const FitResult full_fit = Fit(counts, full, Vector(), FitOptions());
  const FitResult reduced_fit = Fit(counts, reduced, Vector(), FitOptions());
  const TestResult test = LikelihoodRatioTest(full_fit, full, reduced_fit, reduced);
  EXPECT_EQ(test.df, 1.0);
  const double rate = RejectionRate(test);
  EXPECT_GE(rate, 0.035);
  EXPECT_LE(rate, 0.065);
}

TEST(LikelihoodRatioTest, CalibratedOnNullDataForAScaleEffect) {
  const Design design = TwoGroupDesign(100);
  const Design intercept = InterceptDesign(design.observation_names);
  const NbGlmModel full = UnconstrainedModel(design, design);
  const NbGlmModel reduced = UnconstrainedModel(design, intercept);
  const CountMatrix counts = SimulateCounts(kNullFeatures, design, design, 1003, [](Matrix*, Matrix* b) {
    xt::view(*b, xt::all(), 1) = 0.0;  // H0: the same dispersion in both groups
  });
  const TestResult test = LikelihoodRatioTest(Fit(counts, full, Vector(), FitOptions()), full,
                                              Fit(counts, reduced, Vector(), FitOptions()), reduced);
  const double rate = RejectionRate(test);
  EXPECT_GE(rate, 0.035);
  EXPECT_LE(rate, 0.065);
}

// ---------------------------------------------------------------------------
// Overdispersion: NB against Poisson, the boundary-corrected mixture.

FitResult TwoFeatureFit(std::vector<double> loglik, std::vector<FeatureStatus> status) {
  FitResult fit;
  fit.feature_names = {"a", "b", "c", "d"};
  fit.loglik = std::move(loglik);
  fit.status = std::move(status);
  return fit;
}

TEST(OverdispersionTest, HalfTheChiSquaredTailAndOneAtTheBoundary) {
  const Design intercept = InterceptDesign({"o1", "o2", "o3"});
  const NbGlmModel model = UnconstrainedModel(intercept, intercept);
  const auto ok = FeatureStatus::kConverged;
  const FitResult nb = TwoFeatureFit({-10.0, -12.0, -12.5, -9.0}, {ok, FeatureStatus::kAtBound, ok, FeatureStatus::kMaxIterations});
  const FitResult poisson = TwoFeatureFit({-12.0, -12.0, -11.0, -9.5}, {ok, ok, ok, ok});
  const TestResult test = OverdispersionTest(nb, model, poisson);
  EXPECT_EQ(test.df, 1.0);
  // t = 4: ½·P(χ²₁ ≥ 4) = ½·erfc(√2) (R: 0.5 * pchisq(4, 1, lower.tail = FALSE)).
  EXPECT_NEAR(test.pvalue[0], 0.5 * std::erfc(std::sqrt(2.0)), 1e-15);
  EXPECT_EQ(test.estimate[0], 2.0);
  EXPECT_EQ(test.pvalue[1], 1.0);         // the NB at the Poisson limit
  EXPECT_TRUE(std::isnan(test.pvalue[2]));  // NB below the Poisson: not a maximum
  EXPECT_TRUE(std::isnan(test.pvalue[3]));  // max_iterations
  EXPECT_EQ(test.status[3], "max_iterations");
  const Design two = MakeDesign(Matrix({{1.0, 0.0}, {1.0, 1.0}, {1.0, 1.0}}), {"(Intercept)", "x"}, {"o1", "o2", "o3"});
  EXPECT_THROW(OverdispersionTest(nb, UnconstrainedModel(intercept, two), poisson), InputError);
}

// Poisson data (no overdispersion): p ≤ 0.05 in 5% of the features, about
// half of the NB fits at the limit (p = 1).
TEST(OverdispersionTest, CalibratedOnPoissonData) {
  constexpr std::size_t kFeatures = 2000, kObservations = 40;
  std::mt19937_64 rng(77);
  Matrix y = Matrix::from_shape({kFeatures, kObservations});
  for (std::size_t f = 0; f < kFeatures; ++f) {
    std::poisson_distribution<int> poisson(1.0 + static_cast<double>(f % 10));
    for (std::size_t i = 0; i < kObservations; ++i) y(f, i) = poisson(rng);
  }
  const CountMatrix counts = CountMatrix::FromDense(y);
  const Design intercept = InterceptDesign(counts.observation_names());
  const NbGlmModel model = UnconstrainedModel(intercept, intercept);
  FitOptions options;
  const FitResult nb = Fit(counts, model, Vector(), options);
  options.noise = Noise::kPoisson;
  const TestResult test = OverdispersionTest(nb, model, Fit(counts, model, Vector(), options));
  const double rate = RejectionRate(test);
  EXPECT_GE(rate, 0.035);
  EXPECT_LE(rate, 0.065);
  // The point mass: the NB at the limit (p = 1) or at a size so large that
  // its ℓ differs from the Poisson's by almost nothing (p just below ½).
  const auto at_limit =
      std::count_if(test.pvalue.begin(), test.pvalue.end(), [](double p) { return p > 0.45; });
  std::cout << "overdispersion test on Poisson data: p < 0.05 in " << rate << ", p > 0.45 in "
            << static_cast<double>(at_limit) / kFeatures << " of the features\n";
  EXPECT_GT(at_limit, 0.4 * kFeatures);
  EXPECT_LT(at_limit, 0.7 * kFeatures);
}

}  // namespace
}  // namespace nbglm
