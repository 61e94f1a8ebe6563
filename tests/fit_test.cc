// Estimation end to end (issue "Estimation"): the notebook examples, agreement
// of the three estimators, an independent exact reference (R, stored in
// tests/data/reference), coverage and null calibration with known truth,
// determinism across threads and feature ranges.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include <xtensor/xview.hpp>

#include "cli_runner.h"
#include "nbglm/constraints.h"
#include "nbglm/counts_io.h"
#include "nbglm/fit.h"
#include "nbglm/inference.h"
#include "nbglm/model.h"
#include "nbglm/simulator.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"
#include "estimator/estimators.h"
#include "estimator/feature_problem.h"
#include "model/observation_layout.h"
#include "notebook_designs.h"

namespace nbglm {
namespace {

NbGlmModel NotebookModel(const notebook::Example& example) {
  ConstraintSet set(example.design.parameter_names);
  set.AddSumToZeroRows(example.constraints, "notebook");
  const ConstraintBasis basis = set.Build();
  return MakeModel(MakeLinearPredictor(example.design, basis, "location"),
                   MakeLinearPredictor(example.design, basis, "scale"));
}

double PredictorRmsd(const Matrix& design, const Matrix& fitted, const Matrix& truth) {
  double sum = 0.0;
  for (std::size_t f = 0; f < fitted.shape(0); ++f) {
    for (std::size_t i = 0; i < design.shape(0); ++i) {
      double d = 0.0;
      for (std::size_t j = 0; j < design.shape(1); ++j) d += design(i, j) * (fitted(f, j) - truth(f, j));
      sum += d * d;
    }
  }
  return std::sqrt(sum / static_cast<double>(fitted.shape(0) * design.shape(0)));
}

struct NotebookRun {
  Simulator simulator;
  NbGlmModel model;
};

NotebookRun SimulateNotebook(int which, std::uint64_t seed) {
  const auto example = notebook::MakeExample(which);
  SimulatorOptions options;
  options.seed = seed;
  NotebookRun run{Simulator(100, example.design, example.design, Vector(), options), NotebookModel(example)};
  run.simulator.GenerateParams();
  run.simulator.GenerateData();
  return run;
}

TEST(FitTest, NotebookExamplesConvergeMeetConstraintsAndReachBatchglmAccuracy) {
  // batchglm's published RMSD (location / scale), printed with two decimals.
  const double published[3][2] = {{0.025, 0.075}, {0.045, 0.105}, {0.045, 0.105}};
  for (int which : {1, 2, 3}) {
    SCOPED_TRACE(which);
    const auto example = notebook::MakeExample(which);
    NotebookRun run = SimulateNotebook(which, 100 + static_cast<std::uint64_t>(which));
    const FitResult fit = Fit(run.simulator.counts(), run.model, Vector(), FitOptions());
    EXPECT_EQ(fit.StatusCounts()[0], 100) << fit.BriefReport();
    for (std::size_t f = 0; f < 100; ++f) {
      for (std::size_t r = 0; r < example.constraints.shape(0); ++r) {
        double loc_sum = 0.0, scale_sum = 0.0;
        for (std::size_t j = 0; j < example.constraints.shape(1); ++j) {
          loc_sum += std::abs(example.constraints(r, j)) * fit.location_coef(f, j);
          scale_sum += std::abs(example.constraints(r, j)) * fit.scale_coef(f, j);
        }
        EXPECT_LT(std::abs(loc_sum), 1e-10);
        EXPECT_LT(std::abs(scale_sum), 1e-10);
      }
    }
    const double rmsd_loc = PredictorRmsd(example.design.values, fit.location_coef, run.simulator.location_coefficients());
    const double rmsd_scale = PredictorRmsd(example.design.values, fit.scale_coef, run.simulator.scale_coefficients());
    EXPECT_LT(rmsd_loc, published[which - 1][0]);
    EXPECT_LT(rmsd_scale, published[which - 1][1]);
    // Example 1 is saturated with matching scale groups: the location is exact from the start.
    if (which == 1) {
      for (std::uint8_t trained : fit.location_trained) EXPECT_EQ(trained, 0);
    } else {
      for (std::uint8_t trained : fit.location_trained) EXPECT_EQ(trained, 1);
    }
  }
}

void ExpectEstimatorsAgree(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors) {
  FitOptions options;
  options.algorithm = Algorithm::kIrls;
  const FitResult irls = Fit(counts, model, size_factors, options);
  options.algorithm = Algorithm::kNewton;
  const FitResult newton = Fit(counts, model, size_factors, options);
  options.algorithm = Algorithm::kCeres;
  const FitResult ceres = Fit(counts, model, size_factors, options);
  for (Index f = 0; f < irls.num_features(); ++f) {
    const std::size_t i = static_cast<std::size_t>(f);
    if (irls.status[i] == FeatureStatus::kAllZero) continue;
    SCOPED_TRACE(irls.feature_names[i] + " " + ToString(irls.status[i]) + " " + ToString(newton.status[i]) + " " +
                 ToString(ceres.status[i]));
    const double scale = std::abs(irls.loglik[i]);
    EXPECT_LE(std::abs(irls.loglik[i] - newton.loglik[i]), 1e-8 * scale);
    EXPECT_LE(std::abs(irls.loglik[i] - ceres.loglik[i]), 1e-8 * scale);
    EXPECT_EQ(irls.status[i], newton.status[i]);
  }
}

TEST(FitTest, ThreeEstimatorsReachTheSameMaximumOnTheNotebookExamples) {
  for (int which : {1, 2, 3}) {
    SCOPED_TRACE(which);
    NotebookRun run = SimulateNotebook(which, 7);
    ExpectEstimatorsAgree(run.simulator.counts(), run.model, Vector());
  }
}

// Single-cell-like: sparse, low means, log-normal size factors.
struct SingleCellSet {
  CountMatrix counts;
  NbGlmModel model;
  Vector size_factors;
  Matrix truth_location, truth_scale;
};

SingleCellSet SimulateSingleCell(Index features, Index cells, double effect_fraction, std::uint64_t seed) {
  Matrix x = xt::zeros<double>({static_cast<std::size_t>(cells), std::size_t{2}});
  for (Index i = 0; i < cells; ++i) {
    x(static_cast<std::size_t>(i), 0) = 1.0;
    x(static_cast<std::size_t>(i), 1) = i >= cells / 2 ? 1.0 : 0.0;
  }
  const Design design = MakeDesign(x, {"(Intercept)", "groupB"});
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 0.5);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Vector sf = xt::zeros<double>({static_cast<std::size_t>(cells)});
  double log_sum = 0.0;
  for (Index i = 0; i < cells; ++i) log_sum += (sf(static_cast<std::size_t>(i)) = normal(rng));
  for (Index i = 0; i < cells; ++i) sf(static_cast<std::size_t>(i)) = std::exp(sf(static_cast<std::size_t>(i)) - log_sum / static_cast<double>(cells));
  Matrix loc = Matrix::from_shape({static_cast<std::size_t>(features), std::size_t{2}});
  Matrix scale = Matrix::from_shape({static_cast<std::size_t>(features), std::size_t{1}});
  for (Index f = 0; f < features; ++f) {
    const std::size_t g = static_cast<std::size_t>(f);
    loc(g, 0) = std::log(0.05) + uniform(rng) * (std::log(20.0) - std::log(0.05));
    loc(g, 1) = uniform(rng) < effect_fraction ? normal(rng) * 2.0 : 0.0;
    scale(g, 0) = std::log(0.5) + uniform(rng) * (std::log(10.0) - std::log(0.5));
  }
  SimulatorOptions options;
  options.seed = seed;
  Simulator simulator(features, design, InterceptDesign(design.observation_names), sf, options);
  simulator.SetParams(loc, scale);
  SingleCellSet set{simulator.GenerateData().ToSparse(),
                    MakeModel(MakeLinearPredictor(design, ConstraintBasis::Identity(design.parameter_names), "location"),
                              MakeLinearPredictor(InterceptDesign(design.observation_names),
                                                  ConstraintBasis::Identity({"(Intercept)"}), "scale")),
                    sf, loc, scale};
  return set;
}

TEST(FitTest, ThreeEstimatorsReachTheSameMaximumOnSingleCellLikeData) {
  const SingleCellSet set = SimulateSingleCell(150, 600, 0.5, 11);
  ExpectEstimatorsAgree(set.counts, set.model, set.size_factors);
}

TEST(FitTest, ResultsAreBitIdenticalForAnyThreadCountAndFeatureRange) {
  const SingleCellSet set = SimulateSingleCell(64, 300, 0.5, 5);
  FitOptions options;
  options.num_threads = 1;
  const FitResult one = Fit(set.counts, set.model, set.size_factors, options);
  options.num_threads = 3;
  const FitResult three = Fit(set.counts, set.model, set.size_factors, options);
  EXPECT_EQ(one.location_coef, three.location_coef);
  EXPECT_EQ(one.scale_coef, three.scale_coef);
  EXPECT_EQ(one.location_se, three.location_se);
  EXPECT_EQ(one.loglik, three.loglik);
  options.feature_begin = 20;
  options.feature_end = 41;
  const FitResult range = Fit(set.counts, set.model, set.size_factors, options);
  ASSERT_EQ(range.num_features(), 21);
  EXPECT_EQ(range.feature_names.front(), one.feature_names[20]);
  EXPECT_EQ(xt::view(one.location_coef, xt::range(20, 41), xt::all()), range.location_coef);
  EXPECT_EQ(std::vector<double>(one.loglik.begin() + 20, one.loglik.begin() + 41), range.loglik);
}

// ---------------------------------------------------------------- reference

struct ReferenceRow {
  std::string feature;
  std::vector<double> coef;
  double log_r;
  double loglik;
  std::string status;
};

std::vector<ReferenceRow> ReadReference(const std::string& path, std::size_t p) {
  const TextTable table = ReadTextTable(path);
  std::vector<ReferenceRow> rows;
  for (const auto& fields : table.rows) {
    ReferenceRow row;
    row.feature = fields[0];
    for (std::size_t j = 0; j < p; ++j) row.coef.push_back(std::strtod(fields[1 + j].c_str(), nullptr));
    row.log_r = std::strtod(fields[1 + p].c_str(), nullptr);  // "Inf" for the Poisson limit
    row.loglik = std::strtod(fields[2 + p].c_str(), nullptr);
    row.status = fields[3 + p];
    rows.push_back(row);
  }
  return rows;
}

void CompareWithReference(const std::string& name, Algorithm algorithm) {
  const std::string dir = testing::SourcePath("tests/data/reference/");
  const CountMatrix counts = ReadCounts(dir + name + "_counts.tsv");
  const Design design = ReadDesign(dir + name + "_loc_design.tsv");
  const Vector sf = ReadSizeFactors(dir + name + "_size_factors.tsv", design.observation_names);
  const NbGlmModel model =
      MakeModel(MakeLinearPredictor(design, ConstraintBasis::Identity(design.parameter_names), "location"),
                MakeLinearPredictor(InterceptDesign(design.observation_names), ConstraintBasis::Identity({"(Intercept)"}),
                                    "scale"));
  FitOptions options;
  options.algorithm = algorithm;
  const FitResult fit = Fit(counts, model, sf, options);
  const std::vector<ReferenceRow> reference = ReadReference(dir + name + "_reference.tsv", design.parameter_names.size());
  ASSERT_EQ(static_cast<Index>(reference.size()), fit.num_features());
  int compared = 0;
  for (std::size_t f = 0; f < reference.size(); ++f) {
    const ReferenceRow& ref = reference[f];
    SCOPED_TRACE(ref.feature + " (" + ref.status + ", ours " + ToString(fit.status[f]) + ")");
    ASSERT_EQ(fit.feature_names[f], ref.feature);
    if (ref.status == "ok") {
      ++compared;
      EXPECT_EQ(fit.status[f], FeatureStatus::kConverged);
      for (std::size_t j = 0; j < ref.coef.size(); ++j) EXPECT_NEAR(fit.location_coef(f, j), ref.coef[j], 1e-6);
      EXPECT_NEAR(fit.scale_coef(f, 0), ref.log_r, 1e-6);
      EXPECT_NEAR(fit.loglik[f], ref.loglik, 1e-9 * std::abs(ref.loglik));
    } else {
      // No finite MLE (r → ∞ or a coefficient → ±∞): we report at_bound and a
      // log-likelihood at most the supremum and within 1e-6 relative of it.
      EXPECT_EQ(fit.status[f], FeatureStatus::kAtBound);
      EXPECT_LE(fit.loglik[f], ref.loglik + 1e-9 * std::abs(ref.loglik));
      EXPECT_GE(fit.loglik[f], ref.loglik - 1e-6 * std::abs(ref.loglik));
    }
  }
  EXPECT_GT(compared, 150);
}

TEST(FitTest, MatchesExactReferenceMleOnPasilla) { CompareWithReference("pasilla", Algorithm::kIrls); }
TEST(FitTest, MatchesExactReferenceMleOnSingleCell) { CompareWithReference("singlecell", Algorithm::kIrls); }
TEST(FitTest, NewtonMatchesExactReferenceMleOnPasilla) { CompareWithReference("pasilla", Algorithm::kNewton); }
TEST(FitTest, CeresMatchesExactReferenceMleOnPasilla) { CompareWithReference("pasilla", Algorithm::kCeres); }
TEST(FitTest, NewtonMatchesExactReferenceMleOnSingleCell) { CompareWithReference("singlecell", Algorithm::kNewton); }

// ---------------------------------------------------------------- calibration

TEST(FitTest, WaldIntervalsCoverTheTruthAndNullPValuesAreUniform) {
  // Example 1's constrained location–scale model at 400 cells: every location
  // coefficient a_j is identifiable under the constraints.
  const auto example = notebook::MakeExample(1, 400);
  const NbGlmModel model = NotebookModel(example);
  const Index features = 2000;
  SimulatorOptions options;
  options.seed = 2024;
  options.location_intercept_low = 5.0;    // moderate means …
  options.location_intercept_high = 200.0;
  Simulator simulator(features, example.design, example.design, Vector(), options);
  simulator.GenerateParams();
  // The truth must satisfy the constraints; project it onto them: a = B B⁺ a.
  Matrix loc = simulator.location_coefficients();
  Matrix scale = simulator.scale_coefficients();
  for (Matrix* table : {&loc, &scale}) {
    for (std::size_t f = 0; f < static_cast<std::size_t>(features); ++f) {
      (*table)(f, 3) = -(*table)(f, 4);  // bio_rep3 = −bio_rep4
      (*table)(f, 1) = -(*table)(f, 2);  // bio_rep1 = −bio_rep2
      if (table == &loc && f % 2 == 0) (*table)(f, 5) = 0.0;  // null condition effect in half the features
    }
  }
  simulator.SetParams(loc, scale);
  const FitResult fit = Fit(simulator.GenerateData(), model, Vector(), FitOptions());
  ASSERT_EQ(fit.StatusCounts()[0], features) << fit.BriefReport();
  std::size_t covered = 0, total = 0;
  for (std::size_t f = 0; f < static_cast<std::size_t>(features); ++f) {
    for (std::size_t j = 0; j < 6; ++j) {
      ++total;
      covered += std::abs(fit.location_coef(f, j) - loc(f, j)) <= 1.959964 * fit.location_se(f, j) ? 1 : 0;
    }
  }
  const double coverage = static_cast<double>(covered) / static_cast<double>(total);
  EXPECT_GE(coverage, 0.93);
  EXPECT_LE(coverage, 0.97);
  const TestResult wald = WaldTestCoefficient(fit, model, "condition");
  std::size_t nulls = 0, rejected = 0;
  for (std::size_t f = 0; f < static_cast<std::size_t>(features); f += 2) {
    ++nulls;
    rejected += wald.pvalue[f] < 0.05 ? 1 : 0;
  }
  const double rate = static_cast<double>(rejected) / static_cast<double>(nulls);
  EXPECT_GE(rate, 0.035);
  EXPECT_LE(rate, 0.065);
  std::cout << "coverage " << coverage << ", null rejection rate " << rate << "\n";
}

TEST(FitTest, AllZeroFeatureIsDetectedAndOthersAreUnchanged) {
  const SingleCellSet set = SimulateSingleCell(10, 200, 0.5, 3);
  Matrix dense = set.counts.ToDense().dense_counts();
  xt::view(dense, 4, xt::all()) = 0.0;
  const CountMatrix with_zero = CountMatrix::FromDense(dense);
  const FitResult fit = Fit(with_zero, set.model, set.size_factors, FitOptions());
  EXPECT_EQ(fit.status[4], FeatureStatus::kAllZero);
  EXPECT_TRUE(std::isnan(fit.location_coef(4, 0)));
  EXPECT_TRUE(std::isnan(fit.location_se(4, 0)));
  const FitResult original = Fit(set.counts, set.model, set.size_factors, FitOptions());
  for (std::size_t f = 0; f < 10; ++f) {
    if (f == 4) continue;
    EXPECT_EQ(fit.location_coef(f, 0), original.location_coef(f, 0));
    EXPECT_EQ(fit.loglik[f], original.loglik[f]);
  }
}

// Group B all zero: its log mean runs to −∞, so groupB (B − A) diverges and
// is reported as NaN (estimate and standard error), while the intercept (A's
// log mean) and the dispersion are estimable: the zeros of B add nothing to ℓ
// in that limit, so they equal the fit of group A alone, standard errors
// included.
TEST(FitTest, ZeroGroupReachesTheBoundWithNaNForTheDivergingCoefficientOnly) {
  const SingleCellSet set = SimulateSingleCell(3, 100, 0.0, 9);
  Matrix dense = set.counts.ToDense().dense_counts();
  for (std::size_t i = 50; i < 100; ++i) dense(1, i) = 0.0;
  dense(1, 0) = 5.0;
  const FitResult fit = Fit(CountMatrix::FromDense(dense), set.model, set.size_factors, FitOptions());
  EXPECT_EQ(fit.status[1], FeatureStatus::kAtBound);
  EXPECT_TRUE(std::isnan(fit.location_coef(1, 1)));
  EXPECT_TRUE(std::isnan(fit.location_se(1, 1)));

  // Group A alone, intercept-only location.
  Matrix a_counts = xt::view(dense, xt::range(1, 2), xt::range(0, 50));
  Vector a_size_factors = xt::view(set.size_factors, xt::range(0, 50));
  std::vector<std::string> a_names(set.model.location.design.observation_names.begin(),
                                   set.model.location.design.observation_names.begin() + 50);
  const Design intercept = InterceptDesign(a_names);
  const NbGlmModel group_a = MakeModel(MakeLinearPredictor(intercept, ConstraintBasis::Identity({"(Intercept)"}), "location"),
                                       MakeLinearPredictor(intercept, ConstraintBasis::Identity({"(Intercept)"}), "scale"));
  const FitResult alone = Fit(CountMatrix::FromDense(a_counts), group_a, a_size_factors, FitOptions());
  ASSERT_EQ(alone.status[0], FeatureStatus::kConverged);
  EXPECT_NEAR(fit.location_coef(1, 0), alone.location_coef(0, 0), 1e-6);
  EXPECT_NEAR(fit.location_se(1, 0), alone.location_se(0, 0), 1e-6 * alone.location_se(0, 0));
  EXPECT_NEAR(fit.scale_coef(1, 0), alone.scale_coef(0, 0), 1e-6);
  EXPECT_NEAR(fit.scale_se(1, 0), alone.scale_se(0, 0), 1e-6 * alone.scale_se(0, 0));
  EXPECT_NEAR(fit.loglik[1], alone.loglik[0], 1e-8 * std::abs(alone.loglik[0]));
}

// Real airway genes (Himes et al. 2014; ../shared/data/airway, `~ cell + dex`,
// median-of-ratios size factors) whose profile likelihood in r is hard:
//  - ENSG00000128510: an interior maximum (ℓ = −32.197 at r ≈ 258) above the
//    supremum as r → ∞ (−32.224), with a minimum between them;
//  - ENSG00000052850: the other way round, the Poisson limit is the higher;
//  - ENSG00000259134: a cell line of zeros (μ → 0) and the Poisson limit;
//  - ENSG00000011590: a cell line of zeros and a nearly flat profile beyond
//    r = 10⁸ (the scale must still end at the limit, not held anywhere).
// Every estimator must reach the same maximum, and that maximum must be at
// least the profile likelihood (location refitted) at every r of a grid.
struct AirwayGene {
  const char* name;
  double counts[8];
};
constexpr AirwayGene kAirwayGenes[] = {
    {"ENSG00000128510", {83, 15, 581, 74, 415, 71, 148, 45}},
    {"ENSG00000052850", {9, 0, 4, 0, 0, 6, 64, 22}},
    {"ENSG00000259134", {0, 0, 0, 11, 16, 49, 0, 5}},
    {"ENSG00000011590", {3, 6, 7, 1, 1, 6, 0, 0}},
};

NbGlmModel AirwayModel() {
  // Samples SRR1039508 … SRR1039521: cell lines N61311, N052611, N080611,
  // N061011 (reference N052611), dexamethasone treated / untreated.
  const std::vector<std::string> samples = {"SRR1039508", "SRR1039509", "SRR1039512", "SRR1039513",
                                            "SRR1039516", "SRR1039517", "SRR1039520", "SRR1039521"};
  const double x[8][5] = {{1, 0, 0, 1, 1}, {1, 0, 0, 1, 0}, {1, 0, 0, 0, 1}, {1, 0, 0, 0, 0},
                          {1, 0, 1, 0, 1}, {1, 0, 1, 0, 0}, {1, 1, 0, 0, 1}, {1, 1, 0, 0, 0}};
  Matrix values = Matrix::from_shape({8, 5});
  for (std::size_t i = 0; i < 8; ++i) {
    for (std::size_t j = 0; j < 5; ++j) values(i, j) = x[i][j];
  }
  const std::vector<std::string> names = {"(Intercept)", "cellN061011", "cellN080611", "cellN61311", "dexuntrt"};
  const Design location = MakeDesign(values, names, samples);
  const Design scale = InterceptDesign(samples);
  return MakeModel(MakeLinearPredictor(location, ConstraintBasis::Identity(names), "location"),
                   MakeLinearPredictor(scale, ConstraintBasis::Identity({"(Intercept)"}), "scale"));
}

Vector AirwaySizeFactors() {
  return Vector({1.0236476492670632, 0.89616672179392343, 1.1794861208167848, 0.67005382904820165,
                 1.1776713540502166, 1.3990364691534203, 0.92077868332816137, 0.94451408934091929});
}

// max over a grid of log r of the profile likelihood: the location maximised
// with the scale held (the estimators' own location-only Newton).
double ProfileMaximumOnGrid(const NbGlmModel& model, const Vector& size_factors, const double* counts) {
  std::vector<double> offset(8);
  for (std::size_t i = 0; i < 8; ++i) offset[i] = std::log(size_factors(i));
  const ObservationLayout layout(model, offset);
  FeatureProblem problem(layout);
  problem.SetFeature(counts);
  EstimatorWorkspace work(5, 1);
  FitOptions options;
  double best = -INFINITY;
  for (double log_size = -3.0; log_size <= 30.0; log_size += 0.25) {
    std::vector<double> theta = {0.0, 0.0, 0.0, 0.0, 0.0, log_size};
    double mean = 0.0;
    for (int i = 0; i < 8; ++i) mean += counts[i] / size_factors(static_cast<std::size_t>(i)) / 8.0;
    theta[0] = std::log(std::max(mean, 0.1));
    const EstimatorOutcome held = RunNewton(problem, theta.data(), true, options, &work, /*scale_held=*/true);
    if (std::isfinite(held.loglik)) best = std::max(best, held.loglik);
  }
  return best;
}

TEST(FitTest, AirwayGenesWithTwoMaximaOrFlatProfilesReachTheHigherMaximum) {
  const NbGlmModel model = AirwayModel();
  const Vector size_factors = AirwaySizeFactors();
  Matrix counts = Matrix::from_shape({4, 8});
  std::vector<std::string> names;
  for (std::size_t g = 0; g < 4; ++g) {
    names.push_back(kAirwayGenes[g].name);
    for (std::size_t i = 0; i < 8; ++i) counts(g, i) = kAirwayGenes[g].counts[i];
  }
  const CountMatrix matrix = CountMatrix::FromDense(counts, names, model.location.design.observation_names);
  std::vector<FitResult> fits;
  for (Algorithm algorithm : {Algorithm::kNewton, Algorithm::kIrls, Algorithm::kCeres}) {
    FitOptions options;
    options.algorithm = algorithm;
    fits.push_back(Fit(matrix, model, size_factors, options));
  }
  for (std::size_t g = 0; g < 4; ++g) {
    SCOPED_TRACE(names[g]);
    const double loglik = fits[0].loglik[g];
    for (const FitResult& fit : fits) EXPECT_NEAR(fit.loglik[g], loglik, 1e-8 * std::abs(loglik)) << ToString(fit.algorithm);
    EXPECT_GE(loglik, ProfileMaximumOnGrid(model, size_factors, kAirwayGenes[g].counts) - 1e-9 * std::abs(loglik));
    // No held value is ever reported: a finite log r, or the limit.
    EXPECT_FALSE(std::isnan(fits[0].scale_coef(g, 0)));
  }
  // The interior maximum, and the Poisson limit.
  EXPECT_EQ(fits[0].status[0], FeatureStatus::kConverged);
  EXPECT_NEAR(fits[0].scale_coef(0, 0), std::log(258.0), 0.01);
  for (std::size_t g = 1; g < 4; ++g) {
    EXPECT_EQ(fits[0].status[g], FeatureStatus::kAtBound);
    EXPECT_EQ(fits[0].scale_coef(g, 0), INFINITY);
    EXPECT_TRUE(std::isnan(fits[0].scale_se(g, 0)));
  }
}

// At the Poisson limit the location estimates and standard errors are the
// Poisson GLM's: for an intercept-only location with size factors, the MLE
// e^a = Σy/Σs and the standard error 1/√(Σμ) = 1/√Σy.
TEST(FitTest, PoissonLimitReportsThePoissonGlm) {
  const std::size_t n = 400;
  std::mt19937_64 rng(3);
  std::vector<std::string> samples;
  Matrix counts = Matrix::from_shape({1, n});
  Vector size_factors = Vector::from_shape({n});
  double sum_y = 0.0, sum_s = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    samples.push_back("s" + std::to_string(i));
    size_factors(i) = 0.5 + std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    // Under-dispersed counts (binomial), so the NB maximum is the Poisson limit.
    counts(0, i) = static_cast<double>(std::binomial_distribution<int>(20, 0.25 * size_factors(i))(rng));
    sum_y += counts(0, i);
    sum_s += size_factors(i);
  }
  const Design intercept = InterceptDesign(samples);
  const NbGlmModel model = MakeModel(MakeLinearPredictor(intercept, ConstraintBasis::Identity({"(Intercept)"}), "location"),
                                     MakeLinearPredictor(intercept, ConstraintBasis::Identity({"(Intercept)"}), "scale"));
  const FitResult fit = Fit(CountMatrix::FromDense(counts, {"binomial"}, samples), model, size_factors, FitOptions());
  EXPECT_EQ(fit.status[0], FeatureStatus::kAtBound);
  EXPECT_EQ(fit.scale_coef(0, 0), INFINITY);
  EXPECT_TRUE(std::isnan(fit.scale_se(0, 0)));
  EXPECT_NEAR(fit.location_coef(0, 0), std::log(sum_y / sum_s), 1e-10);
  EXPECT_NEAR(fit.location_se(0, 0), 1.0 / std::sqrt(sum_y), 1e-8 / std::sqrt(sum_y));
  double poisson = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double mu = size_factors(i) * sum_y / sum_s;
    poisson += counts(0, i) * std::log(mu) - mu - std::lgamma(counts(0, i) + 1.0);
  }
  EXPECT_NEAR(fit.loglik[0], poisson, 1e-10 * std::abs(poisson));
}

}  // namespace
}  // namespace nbglm
