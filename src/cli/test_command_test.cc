// The command-line contract of `nbglm test` (docs/cli.md): Wald tests of a
// coefficient and of a contrast and likelihood-ratio tests give the numbers
// of the C++ API on the same data; bad input exits 2 with one line on stderr
// and writes nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <xtensor/xview.hpp>

#include "cli_runner.h"
#include "nbglm/constraints.h"
#include "nbglm/counts_io.h"
#include "nbglm/fit.h"
#include "nbglm/fit_output.h"
#include "nbglm/inference.h"
#include "nbglm/model.h"
#include "nbglm/simulator.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"
#include "notebook_designs.h"

namespace nbglm::testing {
namespace {

const char* const kTestColumns[] = {"feature", "estimate", "se", "statistic", "pvalue", "padj", "status"};

// Compares a `nbglm test` output file with the API's result, number by number.
void ExpectSameTest(const std::string& path, const TestResult& expected) {
  const TextTable table = ReadTextTable(path);
  ASSERT_EQ(table.header, std::vector<std::string>(std::begin(kTestColumns), std::end(kTestColumns)));
  ASSERT_EQ(table.rows.size(), expected.feature_names.size());
  for (std::size_t f = 0; f < table.rows.size(); ++f) {
    const std::vector<std::string>& row = table.rows[f];
    SCOPED_TRACE(row[0]);
    EXPECT_EQ(row[0], expected.feature_names[f]);
    EXPECT_EQ(row[6], expected.status[f]);
    const std::vector<double>* columns[] = {&expected.estimate, &expected.se, &expected.statistic, &expected.pvalue,
                                            &expected.padj};
    for (std::size_t c = 0; c < 5; ++c) {
      const double value = std::strtod(row[c + 1].c_str(), nullptr);
      const double want = (*columns[c])[f];
      if (std::isnan(want)) {
        EXPECT_EQ(row[c + 1], "NaN") << kTestColumns[c + 1];
      } else {
        EXPECT_NEAR(value, want, 1e-9 * std::abs(want) + 1e-300) << kTestColumns[c + 1];
      }
    }
  }
}

class CliTestCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("test_command");
    // Two groups of 20 observations; 24 simulated features plus one all-zero.
    const std::size_t n = 40;
    Matrix x = xt::zeros<double>({n, std::size_t{2}});
    std::vector<std::string> observations;
    for (std::size_t i = 0; i < n; ++i) {
      x(i, 0) = 1.0;
      x(i, 1) = i % 2 == 1 ? 1.0 : 0.0;
      observations.push_back("s" + std::to_string(i));
    }
    design_ = MakeDesign(x, {"(Intercept)", "treated"}, observations);
    intercept_ = InterceptDesign(observations);
    SimulatorOptions options;
    options.seed = 17;
    Simulator simulator(24, design_, design_, Vector(), options);
    simulator.GenerateParams();
    const Matrix simulated = simulator.GenerateData().ToDense().dense_counts();
    Matrix dense = xt::zeros<double>({simulated.shape(0) + 1, n});
    xt::view(dense, xt::range(0, simulated.shape(0)), xt::all()) = simulated;
    std::vector<std::string> features = simulator.feature_names();
    features.push_back("silent");
    counts_ = CountMatrix::FromDense(dense, features, observations);
    WriteText(Path("counts.tsv"), CountsToTsv(counts_));
    WriteText(Path("design.tsv"), DesignToTsv(design_));
    WriteText(Path("intercept.tsv"), DesignToTsv(intercept_));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  NbGlmModel Model(const Design& location, const Design& scale) const {
    return MakeModel(MakeLinearPredictor(location, ConstraintBasis::Identity(location.parameter_names), "location"),
                     MakeLinearPredictor(scale, ConstraintBasis::Identity(scale.parameter_names), "scale"));
  }

  // `nbglm fit` into DIR/<name>; the test stops when it fails.
  void FitCli(const std::string& name, const std::string& extra) {
    const CliResult r = RunCli("fit --quiet --threads 2 --counts " + Path("counts.tsv") + " --loc-design " +
                               Path("design.tsv") + " " + extra + " --out " + Path(name));
    ASSERT_EQ(r.exit_status, 0) << r.err;
  }

  std::string dir_;
  Design design_, intercept_;
  CountMatrix counts_;
};

TEST_F(CliTestCommandTest, CoefficientAndContrastGiveTheApiNumbers) {
  FitCli("fit", "");
  const NbGlmModel model = Model(design_, intercept_);
  const FitResult fit = Fit(counts_, model, Vector(), FitOptions());

  CliResult r = RunCli("test --quiet --fit " + Path("fit") + " --coef treated --out " + Path("coef.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  const TestResult coef = WaldTestCoefficient(fit, model, "treated");
  ExpectSameTest(Path("coef.tsv"), coef);
  EXPECT_EQ(coef.status.back(), "all_zero");

  // Columns in another order than the design's; the location is picked by name.
  WriteText(Path("contrast.tsv"), "treated\t(Intercept)\n2\t0.5\n");
  r = RunCli("test --fit " + Path("fit") + " --contrast " + Path("contrast.tsv") + " --out " +
             Path("contrast_out.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.err.find("Wald test"), std::string::npos) << r.err;  // the summary line without --quiet
  ExpectSameTest(Path("contrast_out.tsv"), WaldTest(fit, model, {0.5, 2.0}, Predictor::kLocation));

  // Names both predictors have: the location by default, "scale:" for the scale.
  r = RunCli("test --quiet --fit " + Path("fit") + " --coef 'scale:(Intercept)' --out " + Path("scale.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ExpectSameTest(Path("scale.tsv"), WaldTest(fit, model, {1.0}, Predictor::kScale));
  WriteText(Path("scale_contrast.tsv"), "scale:(Intercept)\n1\n");
  r = RunCli("test --quiet --fit " + Path("fit") + " --contrast " + Path("scale_contrast.tsv") + " --out " +
             Path("scale2.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(ReadWholeFile(Path("scale2.tsv")), ReadWholeFile(Path("scale.tsv")));
}

TEST_F(CliTestCommandTest, ReadFitOutputsRestoresTheFit) {
  FitCli("fit", "--scale-design " + Path("design.tsv"));
  const FitResult fit = Fit(counts_, Model(design_, design_), Vector(), FitOptions());
  NbGlmModel model;
  FitRunInfo info;
  const FitResult read = ReadFitOutputs(Path("fit"), &model, &info);
  EXPECT_EQ(read.feature_names, fit.feature_names);
  EXPECT_EQ(read.status, fit.status);
  EXPECT_EQ(read.iterations, fit.iterations);
  EXPECT_EQ(model.location.design.parameter_names, design_.parameter_names);
  EXPECT_EQ(model.scale.constraints.reduced_names(), design_.parameter_names);
  EXPECT_EQ(read.reduced_covariance.shape(), fit.reduced_covariance.shape());
  for (std::size_t f = 0; f + 1 < read.feature_names.size(); ++f) {
    EXPECT_NEAR(read.loglik[f], fit.loglik[f], 1e-10 * std::abs(fit.loglik[f]));
    for (std::size_t j = 0; j < 2; ++j) EXPECT_NEAR(read.scale_coef(f, j), fit.scale_coef(f, j), 1e-8);
    for (std::size_t j = 0; j < 4; ++j) {
      for (std::size_t k = 0; k < 4; ++k) {
        EXPECT_NEAR(read.reduced_covariance(f, j, k), fit.reduced_covariance(f, j, k),
                    1e-6 * std::abs(fit.reduced_covariance(f, j, j)));
      }
    }
  }
  EXPECT_EQ(info.Input("loc_design"), std::filesystem::canonical(Path("design.tsv")).string());
  EXPECT_EQ(info.Input("algorithm"), ToString(FitOptions().algorithm));  // the default
  EXPECT_EQ(info.Input("size_factors"), "");
}

TEST_F(CliTestCommandTest, LikelihoodRatioTestsRefitTheReducedModelOnTheSameData) {
  // Location: treated vs intercept only, with computed size factors.
  FitCli("fit", "--size-factors total");
  const Vector size_factors = ComputeSizeFactors(counts_, "total");
  const NbGlmModel full = Model(design_, intercept_);
  const NbGlmModel reduced = Model(intercept_, intercept_);
  const TestResult location = LikelihoodRatioTest(Fit(counts_, full, size_factors, FitOptions()), full,
                                                  Fit(counts_, reduced, size_factors, FitOptions()), reduced);
  CliResult r = RunCli("test --quiet --fit " + Path("fit") + " --reduced-loc-design " + Path("intercept.tsv") +
                       " --out " + Path("lrt.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ExpectSameTest(Path("lrt.tsv"), location);

  // Scale: a group-specific dispersion vs one dispersion ('intercept').
  FitCli("fit_scale", "--scale-design " + Path("design.tsv") + " --algorithm newton");
  const NbGlmModel full_scale = Model(design_, design_);
  FitOptions newton;
  newton.algorithm = Algorithm::kNewton;
  const TestResult scale = LikelihoodRatioTest(Fit(counts_, full_scale, Vector(), newton), full_scale,
                                               Fit(counts_, full, Vector(), newton), full);
  r = RunCli("test --quiet --fit " + Path("fit_scale") + " --reduced-scale-design intercept --out " + Path("lrt2.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ExpectSameTest(Path("lrt2.tsv"), scale);
}

// --overdispersion refits the fitted model as a Poisson and gives the API's
// OverdispersionTest; it needs an NB fit with an intercept-only scale.
TEST_F(CliTestCommandTest, OverdispersionTestRefitsThePoissonModel) {
  FitCli("fit", "--size-factors total");
  const Vector size_factors = ComputeSizeFactors(counts_, "total");
  const NbGlmModel full = Model(design_, intercept_);
  FitOptions poisson;
  poisson.noise = Noise::kPoisson;
  const TestResult expected = OverdispersionTest(Fit(counts_, full, size_factors, FitOptions()), full,
                                                 Fit(counts_, full, size_factors, poisson));
  CliResult r = RunCli("test --quiet --fit " + Path("fit") + " --overdispersion --out " + Path("od.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ExpectSameTest(Path("od.tsv"), expected);

  FitCli("fit_poisson", "--noise poisson");
  r = RunCli("test --quiet --fit " + Path("fit_poisson") + " --overdispersion --out " + Path("bad.tsv"));
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("--overdispersion: a poisson fit: tests an NB fit against the Poisson"), std::string::npos)
      << r.err;
  FitCli("fit_scale", "--scale-design " + Path("design.tsv"));
  r = RunCli("test --quiet --fit " + Path("fit_scale") + " --overdispersion --out " + Path("bad.tsv"));
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("needs a fit with an intercept-only scale model"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(Path("bad.tsv")));
}

TEST_F(CliTestCommandTest, LikelihoodRatioTestOfAConstrainedModel) {
  // Notebook example 1 in files: replicates nested in conditions, sum-to-zero
  // constraints; the reduced model drops `condition` and keeps the constraints.
  const auto example = notebook::MakeExample(1, 80);
  SimulatorOptions options;
  options.seed = 4;
  Simulator simulator(12, example.design, InterceptDesign(example.design.observation_names), Vector(), options);
  simulator.GenerateParams();
  WriteText(Path("nb_counts.tsv"), CountsToTsv(simulator.GenerateData()));
  WriteText(Path("nb_design.tsv"), DesignToTsv(example.design));
  WriteText(Path("nb_constraints.tsv"),
            "(Intercept)\tbio_rep1\tbio_rep2\tbio_rep3\tbio_rep4\tcondition\n0\t0\t0\t-1\t1\t0\n0\t-1\t1\t1\t1\t0\n");
  std::vector<std::size_t> kept = {0, 1, 2, 3, 4};
  Design reduced_design = example.design;
  reduced_design.parameter_names.pop_back();
  reduced_design.values = xt::view(example.design.values, xt::all(), xt::keep(kept));
  WriteText(Path("nb_reduced.tsv"), DesignToTsv(reduced_design));
  WriteText(Path("nb_reduced_constraints.tsv"),
            "(Intercept)\tbio_rep1\tbio_rep2\tbio_rep3\tbio_rep4\n0\t0\t0\t-1\t1\n0\t-1\t1\t1\t1\n");
  CliResult r = RunCli("fit --quiet --counts " + Path("nb_counts.tsv") + " --loc-design " + Path("nb_design.tsv") +
                       " --loc-constraints " + Path("nb_constraints.tsv") + " --out " + Path("nb_fit"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  r = RunCli("test --quiet --fit " + Path("nb_fit") + " --reduced-loc-design " + Path("nb_reduced.tsv") +
             " --reduced-loc-constraints " + Path("nb_reduced_constraints.tsv") + " --out " + Path("nb_lrt.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;

  ConstraintSet full_set(example.design.parameter_names);
  full_set.AddSumToZeroRows(example.constraints, "full");
  ConstraintSet reduced_set(reduced_design.parameter_names);
  reduced_set.AddSumToZeroRows(xt::view(example.constraints, xt::all(), xt::keep(kept)), "reduced");
  const Design scale = InterceptDesign(example.design.observation_names);
  const NbGlmModel full = MakeModel(MakeLinearPredictor(example.design, full_set.Build(), "location"),
                                    MakeLinearPredictor(scale, ConstraintBasis::Identity({"(Intercept)"}), "scale"));
  const NbGlmModel reduced =
      MakeModel(MakeLinearPredictor(reduced_design, reduced_set.Build(), "location"), full.scale);
  const TestResult expected = LikelihoodRatioTest(Fit(simulator.counts(), full, Vector(), FitOptions()), full,
                                                  Fit(simulator.counts(), reduced, Vector(), FitOptions()), reduced);
  ExpectSameTest(Path("nb_lrt.tsv"), expected);
  // The Wald test of the same hypothesis works on the constrained fit as well.
  r = RunCli("test --quiet --fit " + Path("nb_fit") + " --coef condition --out " + Path("nb_wald.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;

  // The same models from a sample sheet: `~ bio_rep + condition` with bio_rep
  // nested in condition, reduced to `~ bio_rep` (the nesting carries over).
  // Another parametrisation of the same two models: the same statistics.
  std::string sheet = "cell\tbio_rep\tcondition\n";
  for (std::size_t i = 0; i < 80; ++i) {
    sheet +=
        example.design.observation_names[i] + "\tr" + std::to_string(i / 20 + 1) + "\t" + (i < 40 ? "A" : "B") + "\n";
  }
  WriteText(Path("nb_sheet.tsv"), sheet);
  r = RunCli("fit --quiet --counts " + Path("nb_counts.tsv") + " --samples " + Path("nb_sheet.tsv") +
             " --loc '~ bio_rep + condition' --loc-nested bio_rep:condition --out " + Path("nb_formula_fit"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  r = RunCli("test --quiet --fit " + Path("nb_formula_fit") + " --reduced-loc '~ bio_rep' --out " +
             Path("nb_formula_lrt.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const TextTable by_formula = ReadTextTable(Path("nb_formula_lrt.tsv"));
  ASSERT_EQ(by_formula.rows.size(), expected.feature_names.size());
  for (std::size_t f = 0; f < by_formula.rows.size(); ++f) {
    const double statistic = std::strtod(by_formula.rows[f][3].c_str(), nullptr);
    EXPECT_NEAR(statistic, expected.statistic[f], 1e-6 * (1.0 + expected.statistic[f])) << by_formula.rows[f][0];
  }
}

TEST_F(CliTestCommandTest, LikelihoodRatioTestsWithFormulasOnTheFitsSampleSheet) {
  std::string sheet = "sample\tgroup\n";
  for (std::size_t i = 0; i < design_.observation_names.size(); ++i) {
    sheet += design_.observation_names[i] + "\t" + (design_.values(i, 1) == 1.0 ? "trt" : "ctl") + "\n";
  }
  WriteText(Path("sheet.tsv"), sheet);
  CliResult r = RunCli("fit --quiet --counts " + Path("counts.tsv") + " --samples " + Path("sheet.tsv") +
                       " --loc '~ group' --scale '~ group' --out " + Path("fit"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const NbGlmModel full = Model(design_, design_);
  const NbGlmModel same_dispersion = Model(design_, intercept_);
  const NbGlmModel no_effect = Model(intercept_, design_);
  const FitResult full_fit = Fit(counts_, full, Vector(), FitOptions());

  r = RunCli("test --quiet --fit " + Path("fit") + " --reduced-loc '~ 1' --out " + Path("loc.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ExpectSameTest(Path("loc.tsv"),
                 LikelihoodRatioTest(full_fit, full, Fit(counts_, no_effect, Vector(), FitOptions()), no_effect));
  r = RunCli("test --quiet --fit " + Path("fit") + " --reduced-scale '~ 1' --out " + Path("scale.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ExpectSameTest(
      Path("scale.tsv"),
      LikelihoodRatioTest(full_fit, full, Fit(counts_, same_dispersion, Vector(), FitOptions()), same_dispersion));
  // Mistakes in the reduced formula name the --reduced-* option.
  r = RunCli("test --quiet --fit " + Path("fit") + " --reduced-loc '~ batch' --out " + Path("typo.tsv"));
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err.rfind("nbglm: error: --reduced-loc: 'batch': unknown column of " + Path("sheet.tsv"), 0), 0u) << r.err;
  EXPECT_FALSE(std::filesystem::exists(Path("typo.tsv")));
  // A reduced design file works on a formula fit too.
  r = RunCli("test --quiet --fit " + Path("fit") + " --reduced-loc-design " + Path("intercept.tsv") + " --out " +
             Path("loc2.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(ReadWholeFile(Path("loc2.tsv")), ReadWholeFile(Path("loc.tsv")));
}

TEST_F(CliTestCommandTest, BadInputExitsTwoWithOneLineAndWritesNothing) {
  FitCli("fit", "");
  // A fit directory lacking a file.
  std::filesystem::copy(Path("fit"), Path("broken"));
  std::filesystem::remove(Path("broken/reduced_covariance.tsv"));
  WriteText(Path("wide.tsv"), "(Intercept)\ttreated\textra\n0\t1\t0\n");
  WriteText(Path("narrow.tsv"), "treated\n1\n");
  WriteText(Path("two_rows.tsv"), "(Intercept)\ttreated\n0\t1\n1\t0\n");
  WriteText(Path("not_a_number.tsv"), "(Intercept)\ttreated\n0\tone\n");
  struct Case {
    std::string name, args, expected;
  };
  const std::string fit = " --fit " + Path("fit");
  const std::vector<Case> cases = {
      {"unknown coef", fit + " --coef dose",
       "--coef: dose: is not a parameter of the fit (location: (Intercept), treated; scale: (Intercept))"},
      {"missing file", " --fit " + Path("broken") + " --coef treated", "reduced_covariance.tsv: missing"},
      {"fit dir absent", " --fit " + Path("nowhere") + " --coef treated", "nowhere"},
      {"contrast too wide", fit + " --contrast " + Path("wide.tsv"),
       "column 'extra': is not a parameter of the fit (location"},
      {"contrast too narrow", fit + " --contrast " + Path("narrow.tsv"), "1 columns (treated)"},
      {"contrast rows", fit + " --contrast " + Path("two_rows.tsv"), "2 rows of weights"},
      {"contrast value", fit + " --contrast " + Path("not_a_number.tsv"), "'one'"},
      {"no test", fit, "give exactly one test"},
      {"two tests", fit + " --coef treated --contrast " + Path("narrow.tsv"), "2 given"},
      {"not nested", fit + " --reduced-loc-design " + Path("design.tsv"), "0 degrees of freedom"},
      {"constrained intercept", fit + " --reduced-scale-constraints " + Path("narrow.tsv"),
       "needs --reduced-scale-design"},
      {"formula without sheet", fit + " --reduced-loc '~ 1'", "--reduced-loc: ~ 1: a formula needs a sample sheet"},
      {"two reduced designs", fit + " --reduced-loc '~ 1' --reduced-loc-design " + Path("intercept.tsv"),
       "--reduced-loc-design / --reduced-loc: both given"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string out = Path("out.tsv");
    const CliResult r = RunCli("test" + c.args + " --out " + out);
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  // --out in a directory that does not exist.
  const CliResult r = RunCli("test" + fit + " --coef treated --out " + Path("no/such/dir.tsv"));
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  // A design file changed after the fit: the refit would not test the fitted model.
  WriteText(Path("design.tsv"), DesignToTsv(intercept_));
  const CliResult changed =
      RunCli("test" + fit + " --reduced-loc-design " + Path("intercept.tsv") + " --out " + Path("out.tsv"));
  EXPECT_EQ(changed.exit_status, 2);
  EXPECT_NE(changed.err.find("no longer give the fitted model"), std::string::npos) << changed.err;
  EXPECT_FALSE(std::filesystem::exists(Path("out.tsv")));
}

}  // namespace
}  // namespace nbglm::testing
