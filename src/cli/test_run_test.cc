// src/cli/test_run.h, the tests of `nbglm test` on a fit in memory (docs/cli.md
// "test"): --coef and --contrast lookup and messages, the reduced model's
// options, and the likelihood-ratio refit.
#include "cli/test_run.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

using StringList = std::vector<std::string>;

constexpr const char* kCounts =
    "gene\to1\to2\to3\to4\to5\to6\n"
    "g0\t5\t7\t6\t30\t41\t35\ng1\t10\t12\t9\t14\t11\t13\ng2\t1\t20\t3\t8\t40\t2\n";

class TestRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("test_run");
    testing::WriteText(Path("design.tsv"),
                       "observation\t(Intercept)\tb\no1\t1\t0\no2\t1\t0\no3\t1\t0\no4\t1\t1\no5\t1\t1\no6\t1\t1\n");
    testing::WriteText(Path("reduced.tsv"), "observation\t(Intercept)\no1\t1\no2\t1\no3\t1\no4\t1\no5\t1\no6\t1\n");
    full_options_.loc_design = Path("design.tsv");
    model_ = full_options_.Build(true);
    FitOptions options;
    options.num_threads = 1;
    fit_ = Fit(Counts(), model_, Vector(), options);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static CountMatrix Counts(const std::string& text = kCounts) {
    const CountReader reader(text, "c.tsv", false);
    return reader.Read(0, reader.num_features());
  }
  static std::string Message(const std::function<void()>& call) {
    try {
      call();
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  TestResult Refit(const ModelOptions& reduced, const std::string& counts = kCounts) const {
    return RefitLikelihoodRatio(
        fit_, model_, model_, full_options_, reduced, [counts] { return Counts(counts); }, "--counts c.tsv",
        [](const NbGlmModel&) { return Vector(); }, Algorithm::kNewton, 1);
  }
  std::string dir_;
  ModelOptions full_options_;
  NbGlmModel model_;
  FitResult fit_;
};

TEST_F(TestRunTest, CoefficientIsLookedUpInLocationThenScale) {
  const TestResult b = TestCoefficient(fit_, model_, "b");
  const TestResult expected = WaldTest(fit_, model_, {0.0, 1.0});
  EXPECT_EQ(b.estimate, expected.estimate);
  EXPECT_EQ(b.pvalue, expected.pvalue);
  EXPECT_EQ(b.estimate[0], fit_.location_coef(0, 1));
  // "(Intercept)" is in both predictors: the location wins unless scale: picks the scale.
  EXPECT_EQ(TestCoefficient(fit_, model_, "(Intercept)").estimate[0], fit_.location_coef(0, 0));
  EXPECT_EQ(TestCoefficient(fit_, model_, "loc:(Intercept)").estimate[0], fit_.location_coef(0, 0));
  // g2 is overdispersed: its scale intercept is finite (g0's is at the Poisson bound).
  ASSERT_TRUE(std::isfinite(fit_.scale_coef(2, 0)));
  EXPECT_EQ(TestCoefficient(fit_, model_, "scale:(Intercept)").estimate[2], fit_.scale_coef(2, 0));
  EXPECT_EQ(Message([&] { TestCoefficient(fit_, model_, "dose"); }),
            "--coef: dose: is not a parameter of the fit (location: (Intercept), b; scale: (Intercept))");
  EXPECT_EQ(Message([&] { TestCoefficient(fit_, model_, "scale:b"); }),
            "--coef: scale:b: is not a parameter of the fit (location: (Intercept), b; scale: (Intercept))");
}

TEST_F(TestRunTest, ContrastPicksThePredictorItsHeaderNames) {
  const TestResult b = TestContrast(fit_, model_, ParseTextTable("b\t(Intercept)\n2\t0\n", "c.tsv"));
  EXPECT_DOUBLE_EQ(b.estimate[1], 2.0 * fit_.location_coef(1, 1));
  // One column "(Intercept)" is the whole scale predictor; so is "scale:(Intercept)".
  EXPECT_EQ(TestContrast(fit_, model_, ParseTextTable("(Intercept)\n1\n", "c.tsv")).estimate[2], fit_.scale_coef(2, 0));
  EXPECT_EQ(TestContrast(fit_, model_, ParseTextTable("scale:(Intercept)\n1\n", "c.tsv")).estimate[2],
            fit_.scale_coef(2, 0));
  const auto refused = [&](const std::string& text) {
    return Message([&] { TestContrast(fit_, model_, ParseTextTable(text, "c.tsv")); });
  };
  EXPECT_EQ(refused("b\t(Intercept)\n1\t0\n1\t0\n"),
            "c.tsv: 2 rows of weights: a contrast file has a header of parameter names and exactly one row of weights");
  EXPECT_EQ(refused("b\tb\n1\t0\n"), "c.tsv:1: header b, b: names a parameter twice");
  EXPECT_EQ(refused("b\tdose\n1\t0\n"),
            "c.tsv:1: column 'dose': is not a parameter of the fit (location: (Intercept), b; scale: (Intercept))");
  EXPECT_EQ(refused("b\n1\n"),
            "c.tsv:1: 1 columns (b): a contrast has one weight for every parameter of one predictor: 2 location "
            "((Intercept), b) or 1 scale ((Intercept))");
  EXPECT_NE(refused("b\t(Intercept)\nx\t0\n").find("weight of 'b'"), std::string::npos);
}

TEST_F(TestRunTest, ReducedOptionsSwapInTheNamedParts) {
  ModelOptions full;
  full.loc_formula = "~ a + b";
  full.loc_constraints = "loc_c.tsv";
  full.loc_nested = {"a:b"};
  full.samples = "s.tsv";
  full.reference_levels = {"a=x"};
  ReducedModelOptions reduced;
  reduced.loc.design = "r.tsv";  // a new design drops the table, keeps the nesting
  ModelOptions options = ReducedModelOptionsFrom(full, reduced);
  EXPECT_EQ(options.option_prefix, "--reduced-");
  EXPECT_EQ(options.loc_design, "r.tsv");
  EXPECT_EQ(options.loc_formula, "");
  EXPECT_EQ(options.loc_constraints, "");
  EXPECT_EQ(options.loc_nested, StringList{"a:b"});
  EXPECT_EQ(options.reference_levels, StringList{});  // no formula left
  reduced = ReducedModelOptions();
  reduced.loc.constraints = "eq.tsv";  // alone: replaces the table on the full design
  reduced.loc.nested = {"none"};
  options = ReducedModelOptionsFrom(full, reduced);
  EXPECT_EQ(options.loc_formula, "~ a + b");
  EXPECT_EQ(options.loc_constraints, "eq.tsv");
  EXPECT_EQ(options.loc_nested, StringList{});
  EXPECT_EQ(options.reference_levels, StringList{"a=x"});
  // `intercept` as the reduced scale design is intercept only.
  ModelOptions scaled = full;
  scaled.scale_formula = "~ a";
  scaled.scale_constraints = "scale_c.tsv";
  scaled.scale_nested = {"a:b"};
  reduced = ReducedModelOptions();
  reduced.scale.design = kInterceptOnly;
  options = ReducedModelOptionsFrom(scaled, reduced);
  EXPECT_FALSE(options.has_scale_design());
  EXPECT_EQ(options.scale_constraints, "");
  EXPECT_EQ(options.scale_nested, StringList{});
}

TEST_F(TestRunTest, ContradictoryReducedOptionsAreRefused) {
  ModelOptions full;
  full.loc_design = "d.tsv";
  const auto refused = [&](const ReducedModelOptions& reduced) {
    return Message([&] { ReducedModelOptionsFrom(full, reduced); });
  };
  ReducedModelOptions both;
  both.loc.design = "r.tsv";
  both.loc.formula = "~ 1";
  EXPECT_EQ(refused(both), "--reduced-loc-design / --reduced-loc: both given: give at most one reduced design");
  ReducedModelOptions constrained;
  constrained.scale.design = kInterceptOnly;
  constrained.scale.constraints = "c.tsv";
  EXPECT_EQ(refused(constrained), "--reduced-scale-constraints: c.tsv: cannot constrain an intercept-only scale model");
  constrained.scale.design.clear();
  EXPECT_EQ(refused(constrained),
            "--reduced-scale-constraints: c.tsv: needs --reduced-scale-design or --reduced-scale (the fit's scale "
            "model is intercept only)");
  ReducedModelOptions nested;
  nested.scale.nested = {"a:b"};
  EXPECT_EQ(refused(nested), "--reduced-scale-nested: a:b: needs a scale design (--reduced-scale-design or --reduced-scale)");
  ReducedModelOptions formula;
  formula.loc.formula = "~ 1";
  EXPECT_EQ(refused(formula), "--reduced-loc: ~ 1: a formula needs a sample sheet, and the fit was made without --samples");
}

TEST_F(TestRunTest, LikelihoodRatioRefitEqualsTheLibrarysTest) {
  ReducedModelOptions reduced;
  reduced.loc.design = Path("reduced.tsv");
  const ModelOptions options = ReducedModelOptionsFrom(full_options_, reduced);
  const TestResult lrt = Refit(options);
  const NbGlmModel reduced_model = options.Build(true);
  FitOptions fit_options;
  fit_options.num_threads = 1;
  const FitResult reduced_fit = Fit(Counts(), reduced_model, Vector(), fit_options);
  const TestResult expected = LikelihoodRatioTest(fit_, model_, reduced_fit, reduced_model);
  EXPECT_EQ(lrt.df, 1.0);
  EXPECT_EQ(lrt.statistic, expected.statistic);
  EXPECT_EQ(lrt.pvalue, expected.pvalue);
  EXPECT_EQ(lrt.status, expected.status);
  EXPECT_LT(lrt.pvalue[0], 1e-3);  // g0 changes with b
}

TEST_F(TestRunTest, LikelihoodRatioRefusesALargerModelOrOtherCounts) {
  ReducedModelOptions same;
  same.loc.design = Path("design.tsv");
  EXPECT_EQ(Message([&] { Refit(ReducedModelOptionsFrom(full_options_, same)); }),
            "reduced model: 0 degrees of freedom: must have fewer free parameters than the fitted model (3)");
  ReducedModelOptions reduced;
  reduced.loc.design = Path("reduced.tsv");
  const std::string renamed = "gene\to1\to2\to3\to4\to5\to6\ng0\t5\t7\t6\t30\t41\t35\nX\t1\t1\t1\t1\t1\t1\ng2\t1\t3\t2\t8\t4\t9\n";
  EXPECT_EQ(Message([&] { Refit(ReducedModelOptionsFrom(full_options_, reduced), renamed); }),
            "--counts c.tsv: 3 features: are not the fitted features (changed since the fit?); refit");
  const std::string fewer = "gene\to1\to2\to3\to4\to5\to6\ng0\t5\t7\t6\t30\t41\t35\n";
  EXPECT_EQ(Message([&] { Refit(ReducedModelOptionsFrom(full_options_, reduced), fewer); }),
            "--counts c.tsv: 1 features: are not the fitted features (changed since the fit?); refit");
}

}  // namespace
}  // namespace nbglm::cli
