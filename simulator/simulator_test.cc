#include "nbglm/simulator.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

namespace fs = std::filesystem;

#define EXPECT_INPUT_ERROR(statement, fragment)                                    \
  do {                                                                             \
    try {                                                                          \
      statement;                                                                   \
      ADD_FAILURE() << "no InputError from " #statement;                           \
    } catch (const InputError& thrown) {                                           \
      EXPECT_NE(std::string(thrown.what()).find(fragment), std::string::npos)      \
          << thrown.what();                                                        \
    }                                                                              \
  } while (0)

// The notebook's example 1: intercept, 4 replicates, condition; n observations.
Design ReplicateDesign(std::size_t n) {
  Matrix values = xt::zeros<double>({n, std::size_t{6}});
  for (std::size_t i = 0; i < n; ++i) {
    values(i, 0) = 1.0;
    values(i, 1 + 4 * i / n) = 1.0;
    values(i, 5) = i >= n / 2 ? 1.0 : 0.0;
  }
  return MakeDesign(std::move(values), {"(Intercept)", "rep1", "rep2", "rep3", "rep4", "condition"});
}

Design Intercept(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back("obs_" + std::to_string(i));
  return InterceptDesign(names);
}

Vector SizeFactors(std::size_t n) {
  Vector s = Vector::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) s(i) = 0.5 + 0.25 * static_cast<double>(i % 5);
  return s;
}

Simulator MakeSimulator(std::uint64_t seed, int num_threads, Index features = 50, std::size_t n = 40) {
  SimulatorOptions options;
  options.seed = seed;
  options.num_threads = num_threads;
  return Simulator(features, ReplicateDesign(n), ReplicateDesign(n), SizeFactors(n), options);
}

std::vector<double> AllCounts(const CountMatrix& counts) {
  std::vector<double> all(static_cast<std::size_t>(counts.num_features() * counts.num_observations()));
  for (Index f = 0; f < counts.num_features(); ++f) {
    counts.CopyFeature(f, all.data() + f * counts.num_observations());
  }
  return all;
}

class SimulatorFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("nbglm_simulator_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(SimulatorOptionsTest, DefaultsAreBatchglm04AndValid) {
  const SimulatorOptions options;
  EXPECT_EQ(options.seed, 0u);
  EXPECT_EQ(options.location_intercept_low, 1.0);
  EXPECT_EQ(options.location_intercept_high, 1e4);
  EXPECT_EQ(options.scale_intercept_low, 1.0);
  EXPECT_EQ(options.scale_intercept_high, 10.0);
  EXPECT_TRUE(options.round_scale_intercept);
  EXPECT_EQ(options.location_effect_low, 0.5);
  EXPECT_EQ(options.location_effect_high, 2.0);
  EXPECT_EQ(options.scale_effect_low, 0.5);
  EXPECT_EQ(options.scale_effect_high, 2.0);
  EXPECT_EQ(options.num_threads, 1);
  std::string error;
  EXPECT_TRUE(options.IsValid(&error)) << error;
}

TEST(SimulatorOptionsTest, IsValidRejectsBadOptions) {
  std::string error;
  SimulatorOptions options;
  options.location_effect_low = 0.0;
  EXPECT_FALSE(options.IsValid(&error));
  EXPECT_NE(error.find("location effect: [0, 2]: bounds must be finite with 0 < low <= high"), std::string::npos)
      << error;
  options = SimulatorOptions();
  options.location_intercept_high = 0.5;
  EXPECT_FALSE(options.IsValid(&error));
  options = SimulatorOptions();
  options.scale_intercept_low = 0.7;
  EXPECT_FALSE(options.IsValid(&error));
  options.round_scale_intercept = false;
  EXPECT_TRUE(options.IsValid(&error)) << error;
  options.num_threads = 0;
  EXPECT_FALSE(options.IsValid(&error));
  EXPECT_NE(error.find("num_threads: 0: must be a positive integer"), std::string::npos) << error;
  EXPECT_INPUT_ERROR(Simulator(3, Intercept(4), Intercept(4), Vector(), options), "num_threads");
}

TEST(SimulatorTest, SameSeedGivesSameParamsAndCounts) {
  Simulator first = MakeSimulator(42, 1);
  Simulator second = MakeSimulator(42, 1);
  first.GenerateParams();
  second.GenerateParams();
  EXPECT_EQ(first.location_coefficients(), second.location_coefficients());
  EXPECT_EQ(first.scale_coefficients(), second.scale_coefficients());
  EXPECT_EQ(AllCounts(first.GenerateData()), AllCounts(second.GenerateData()));

  Simulator other = MakeSimulator(43, 1);
  other.GenerateParams();
  EXPECT_NE(other.location_coefficients(), first.location_coefficients());
  EXPECT_NE(AllCounts(other.GenerateData()), AllCounts(first.counts()));
}

TEST(SimulatorTest, ThreadCountDoesNotChangeCounts) {
  Simulator reference = MakeSimulator(7, 1, 37);
  reference.GenerateParams();
  const std::vector<double> expected = AllCounts(reference.GenerateData());
  for (const int threads : {2, 3, 8, 64}) {
    Simulator simulator = MakeSimulator(7, threads, 37);
    simulator.GenerateParams();
    EXPECT_EQ(AllCounts(simulator.GenerateData()), expected) << threads << " threads";
  }
}

TEST(SimulatorTest, LocationDrawsDoNotDependOnScaleDesign) {
  SimulatorOptions options;
  options.seed = 5;
  Simulator full(20, ReplicateDesign(40), ReplicateDesign(40), Vector(), options);
  Simulator intercept_scale(20, ReplicateDesign(40), Intercept(40), Vector(), options);
  full.GenerateParams();
  intercept_scale.GenerateParams();
  EXPECT_EQ(full.location_coefficients(), intercept_scale.location_coefficients());
}

TEST(SimulatorTest, ParameterDrawsFallInDocumentedRanges) {
  Simulator simulator = MakeSimulator(3, 1, 2000);
  simulator.GenerateParams();
  const Matrix& a = simulator.location_coefficients();
  const Matrix& b = simulator.scale_coefficients();
  ASSERT_EQ(a.shape(0), 2000u);
  ASSERT_EQ(a.shape(1), 6u);
  ASSERT_EQ(b.shape(1), 6u);
  std::set<long> sizes;
  double intercept_mean_sum = 0.0;
  for (std::size_t f = 0; f < 2000; ++f) {
    const double mean = std::exp(a(f, 0));
    EXPECT_GE(mean, 1.0 - 1e-12);
    EXPECT_LE(mean, 1e4 * (1 + 1e-12));
    intercept_mean_sum += mean;
    const double size = std::exp(b(f, 0));
    const long rounded = std::lround(size);
    EXPECT_NEAR(size, static_cast<double>(rounded), 1e-9);  // logs of integers
    EXPECT_GE(rounded, 1);
    EXPECT_LE(rounded, 10);
    sizes.insert(rounded);
    for (std::size_t j = 1; j < 6; ++j) {
      EXPECT_GE(a(f, j), std::log(0.5) - 1e-12);
      EXPECT_LE(a(f, j), std::log(2.0) + 1e-12);
      EXPECT_GE(b(f, j), std::log(0.5) - 1e-12);
      EXPECT_LE(b(f, j), std::log(2.0) + 1e-12);
    }
  }
  EXPECT_EQ(sizes.size(), 10u);  // every integer 1..10 occurs
  // U(1, 1e4) has mean 5000.5 and sd 2887: the average of 2000 is within 5 se.
  EXPECT_NEAR(intercept_mean_sum / 2000.0, 5000.5, 5 * 2887.0 / std::sqrt(2000.0));
}

TEST(SimulatorTest, InterceptColumnRule) {
  Matrix values = {{0.0, 1.0}, {1.0, 1.0}, {0.0, 1.0}};
  const Design unnamed = MakeDesign(values, {"treated", "base"});
  const Design named = MakeDesign(values, {"treated", "Intercept"});
  const Design none = MakeDesign(Matrix{{0.0, 2.0}, {1.0, 1.0}, {0.0, 1.0}}, {"treated", "dose"});
  EXPECT_EQ(Simulator(2, unnamed, unnamed).location_intercept_column(), 1);
  EXPECT_EQ(Simulator(2, named, none).location_intercept_column(), 1);
  EXPECT_EQ(Simulator(2, named, none).scale_intercept_column(), -1);
  const Design labelled = MakeDesign(Matrix{{1.0, 1.0}, {1.0, 0.0}, {1.0, 1.0}}, {"ones", "(Intercept)"});
  EXPECT_EQ(Simulator(2, labelled, labelled).location_intercept_column(), 1);
  // Without an intercept every coefficient is an effect in [log 1/2, log 2].
  Simulator simulator(100, none, none);
  simulator.GenerateParams();
  EXPECT_LE(xt::amax(xt::abs(simulator.location_coefficients()))(), std::log(2.0) + 1e-12);
}

// For each (mean, size) feature and each size-factor group, the sample mean
// and variance of many draws match μ = s·m and μ + μ²/r within 5 standard
// errors (the variance's standard error estimated from the fourth moment).
TEST(SimulatorTest, MomentsMatchNegativeBinomial) {
  const std::vector<double> means = {0.3, 5.0, 100.0, 2000.0};
  const std::vector<double> sizes = {1.0, 2.0, 0.5, 10.0};
  const std::vector<double> group_factors = {1.0, 2.5};
  const std::size_t per_group = 20000;
  const std::size_t n = per_group * group_factors.size();
  Vector size_factors = Vector::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) size_factors(i) = group_factors[i % group_factors.size()];
  SimulatorOptions options;
  options.seed = 11;
  options.num_threads = 2;
  Simulator simulator(static_cast<Index>(means.size()), Intercept(n), Intercept(n), size_factors, options);
  Matrix a = Matrix::from_shape({means.size(), std::size_t{1}});
  Matrix b = Matrix::from_shape({means.size(), std::size_t{1}});
  for (std::size_t f = 0; f < means.size(); ++f) {
    a(f, 0) = std::log(means[f]);
    b(f, 0) = std::log(sizes[f]);
  }
  simulator.SetParams(a, b);
  const CountMatrix& counts = simulator.GenerateData();
  std::vector<double> y(n);
  for (std::size_t f = 0; f < means.size(); ++f) {
    counts.CopyFeature(static_cast<Index>(f), y.data());
    for (std::size_t g = 0; g < group_factors.size(); ++g) {
      const double mu = group_factors[g] * means[f];
      const double variance = mu + mu * mu / sizes[f];
      double sum = 0.0;
      for (std::size_t i = g; i < n; i += group_factors.size()) sum += y[i];
      const double sample_mean = sum / per_group;
      double m2 = 0.0;
      double m4 = 0.0;
      for (std::size_t i = g; i < n; i += group_factors.size()) {
        const double d = y[i] - sample_mean;
        m2 += d * d;
        m4 += d * d * d * d;
      }
      const double sample_variance = m2 / (per_group - 1);
      m4 /= per_group;
      const double variance_se = std::sqrt((m4 - sample_variance * sample_variance) / per_group);
      const std::string label = "mean " + std::to_string(mu) + ", size " + std::to_string(sizes[f]);
      EXPECT_LT(std::abs(sample_mean - mu), 5.0 * std::sqrt(variance / per_group)) << label;
      EXPECT_LT(std::abs(sample_variance - variance), 5.0 * variance_se) << label;
    }
  }
}

TEST(SimulatorTest, InputErrors) {
  EXPECT_INPUT_ERROR(Simulator(0, Intercept(3), Intercept(3)), "num_features: 0: must be a positive integer");
  EXPECT_INPUT_ERROR(Simulator(2, Intercept(3), Intercept(4)), "scale design: 4 observations: expected 3");
  const Design renamed = InterceptDesign({"a", "b", "c"});
  EXPECT_INPUT_ERROR(Simulator(2, Intercept(3), renamed), "observation 1: 'a': must match");
  EXPECT_INPUT_ERROR(Simulator(2, Intercept(3), Intercept(3), Vector{1.0, 2.0}), "2 values: expected 3");
  EXPECT_INPUT_ERROR(Simulator(2, Intercept(3), Intercept(3), Vector{1.0, 0.0, 2.0}),
                     "size factor of 'obs_1': 0: must be finite and positive");
  Simulator simulator(2, Intercept(3), Intercept(3));
  EXPECT_INPUT_ERROR(simulator.GenerateData(), "call GenerateParams or SetParams first");
  EXPECT_INPUT_ERROR(simulator.counts(), "call GenerateData first");
  EXPECT_INPUT_ERROR(simulator.SetParams(Matrix{{1.0}}, Matrix{{1.0}, {1.0}}),
                     "location coefficient: 1 x 1: expected 2 x 1");
  EXPECT_INPUT_ERROR(simulator.SetParams(Matrix{{1.0}, {NAN}}, Matrix{{1.0}, {1.0}}),
                     "location coefficient of 'feature_1', '(Intercept)': NaN: must be finite");
  EXPECT_INPUT_ERROR(simulator.SetFeatureNames({"x"}), "1 names: expected 2");
  simulator.SetParams(Matrix{{1.0}, {800.0}}, Matrix{{1.0}, {1.0}});
  EXPECT_INPUT_ERROR(simulator.GenerateData(),
                     "feature 'feature_1', observation 'obs_0': mean Inf: s*exp(x'a) must be finite and positive");
  simulator.SetParams(Matrix{{1.0}, {25.0}}, Matrix{{1.0}, {1.0}});
  EXPECT_INPUT_ERROR(simulator.GenerateData(), "feature 'feature_1', observation 'obs_0': Poisson rate");
}

TEST(SimulatorTest, TinySizeAndFeatureNames) {
  Simulator simulator(2, Intercept(50), Intercept(50));
  simulator.SetFeatureNames({"geneA", "geneB"});
  // r = e^-700: the Gamma draw underflows to 0, which must give count 0.
  simulator.SetParams(Matrix{{std::log(5.0)}, {std::log(5.0)}}, Matrix{{-700.0}, {std::log(3.0)}});
  const CountMatrix& counts = simulator.GenerateData();
  EXPECT_EQ(counts.feature_names()[1], "geneB");
  EXPECT_EQ(counts.observation_names()[0], "obs_0");
  EXPECT_TRUE(counts.FeatureIsAllZero(0));
  EXPECT_INPUT_ERROR(simulator.SetFeatureNames({"x", "y"}), "set feature names before GenerateData");
}

std::vector<std::string> FileNames(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(SimulatorFilesTest, WriteSimulationIsReproducibleAndReadable) {
  Simulator first = MakeSimulator(99, 1, 30, 12);
  first.GenerateParams();
  first.GenerateData();
  Simulator second = MakeSimulator(99, 4, 30, 12);
  second.GenerateParams();
  second.GenerateData();
  WriteSimulation((dir_ / "a").string(), first);
  WriteSimulation((dir_ / "b" / "nested").string(), second);
  const std::vector<std::string> expected = {"counts.mtx",       "loc_design.tsv",      "scale_design.tsv",
                                             "size_factors.tsv", "true_loc_coef.tsv", "true_scale_coef.tsv"};
  EXPECT_EQ(FileNames(dir_ / "a"), expected);
  for (const std::string& name : expected) {
    EXPECT_EQ(ReadFileContents((dir_ / "a" / name).string()), ReadFileContents((dir_ / "b" / "nested" / name).string()))
        << name;
  }
  const CountMatrix counts = ReadCounts((dir_ / "a" / "counts.mtx").string());
  EXPECT_EQ(AllCounts(counts), AllCounts(first.counts()));

  const TextTable coefficients = ReadTextTable((dir_ / "a" / "true_loc_coef.tsv").string());
  EXPECT_EQ(coefficients.header,
            (std::vector<std::string>{"feature", "(Intercept)", "rep1", "rep2", "rep3", "rep4", "condition"}));
  ASSERT_EQ(coefficients.rows.size(), 30u);
  EXPECT_EQ(coefficients.rows[3][0], "feature_3");
  EXPECT_EQ(std::stod(coefficients.rows[3][2]), first.location_coefficients()(3, 1));  // round trip
  const TextTable size_factors = ReadTextTable((dir_ / "a" / "size_factors.tsv").string());
  EXPECT_EQ(size_factors.header, (std::vector<std::string>{"observation", "size_factor"}));
  EXPECT_EQ(size_factors.rows[1], (std::vector<std::string>{"obs_1", "0.75"}));
  const Design design = ReadDesign((dir_ / "a" / "scale_design.tsv").string());
  EXPECT_EQ(design.values, first.scale_design().values);
}

TEST_F(SimulatorFilesTest, NoSizeFactorsFileWithoutSizeFactors) {
  Simulator simulator(3, Intercept(4), Intercept(4));
  EXPECT_INPUT_ERROR(WriteSimulation(dir_.string(), simulator), "call GenerateData first");
  simulator.GenerateParams();
  simulator.GenerateData();
  WriteSimulation(dir_.string(), simulator);
  EXPECT_FALSE(fs::exists(dir_ / "size_factors.tsv"));
  EXPECT_TRUE(fs::exists(dir_ / "counts.mtx"));
  // A file where the directory should be.
  std::ofstream((dir_ / "file").string()) << "x";
  EXPECT_INPUT_ERROR(WriteSimulation((dir_ / "file").string(), simulator), "cannot create directory");
}

}  // namespace
}  // namespace nbglm
