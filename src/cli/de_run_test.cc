// src/cli/de_run.h, the pipeline of `nbglm de` (docs/cli.md "de", docs/de.md):
// one hypothesis, contrast tables, "auto" size factors, --subset equal to the
// selected data alone, and the refusals with their messages.
#include "cli/de_run.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

constexpr const char* kCounts =
    "gene\ts1\ts2\ts3\ts4\ts5\ts6\ts7\ts8\n"
    "g0\t70\t181\t78\t120\t56\t164\t69\t207\ng1\t29\t71\t30\t56\t26\t58\t43\t83\n"
    "g2\t101\t140\t76\t185\t97\t208\t105\t129\ng3\t157\t163\t148\t148\t151\t221\t208\t221\n"
    "g4\t67\t84\t107\t85\t111\t78\t91\t83\ng5\t107\t119\t160\t98\t98\t145\t117\t137\n"
    "g6\t156\t110\t154\t103\t174\t151\t135\t113\ng7\t150\t116\t135\t162\t99\t96\t109\t151\n";
constexpr const char* kSamples =
    "sample\tcondition\tgroup\ns1\tx\tA\ns2\ty\tA\ns3\tx\tA\ns4\ty\tA\n"
    "s5\tx\tB\ns6\ty\tB\ns7\tx\tB\ns8\ty\tB\n";

class DeRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("de_run");
    testing::WriteText(Path("samples.tsv"), kSamples);
    testing::WriteText(Path("counts.tsv"), kCounts);
    testing::WriteText(Path("intercept.tsv"), "observation\t(Intercept)\ns1\t1\ns2\t1\ns3\t1\ns4\t1\ns5\t1\ns6\t1\ns7\t1\ns8\t1\n");
    request_.model.samples = Path("samples.tsv");
    request_.model.loc_formula = "~ condition";
    request_.de.num_threads = 1;
    request_.de.filter = false;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  DeRun Run(const DeRequest& request, const std::string& counts = kCounts) const {
    return RunDe(request, [counts] { return CountReader(counts, "counts.tsv", false); }, "--counts counts.tsv");
  }
  static std::string Message(const std::function<void()>& call) {
    try {
      call();
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
  DeRequest request_;
};

TEST_F(DeRunTest, ExactlyOneHypothesis) {
  DeRequest request;
  const std::string rule = "give exactly one of --coef, --contrast, --reduced-loc, --reduced-loc-design";
  EXPECT_EQ(Message([&] { CheckDeHypothesis(request); }), "de: 0 hypotheses given: " + rule);
  request.coef = "conditiony";
  EXPECT_NO_THROW(CheckDeHypothesis(request));
  request.reduced_loc = "~ 1";
  EXPECT_EQ(Message([&] { CheckDeHypothesis(request); }), "de: 2 hypotheses given: " + rule);
  request.contrast = "c.tsv";
  request.reduced_loc_design = "r.tsv";
  EXPECT_EQ(Message([&] { CheckDeHypothesis(request); }), "de: 4 hypotheses given: " + rule);
}

TEST_F(DeRunTest, LocationContrastReordersWeightsAndRefusesBadTables) {
  const std::vector<std::string> names = {"(Intercept)", "conditiony"};
  EXPECT_EQ(LocationContrast(ParseTextTable("conditiony\t(Intercept)\n1\t-0.5\n", "c.tsv"), names),
            (std::vector<double>{-0.5, 1.0}));
  const auto refused = [&](const std::string& text) {
    return Message([&] { LocationContrast(ParseTextTable(text, "c.tsv"), names); });
  };
  EXPECT_EQ(refused("(Intercept)\tconditiony\n0\t1\n0\t1\n"),
            "c.tsv: 2 rows of weights: a contrast file has a header of parameter names and exactly one row of weights");
  EXPECT_EQ(refused("conditiony\n1\n"),
            "c.tsv:1: header conditiony: must name every location parameter exactly once ((Intercept), conditiony)");
  EXPECT_EQ(refused("conditiony\tconditiony\n1\t1\n"),
            "c.tsv:1: header conditiony, conditiony: must name every location parameter exactly once ((Intercept), "
            "conditiony)");
  EXPECT_NE(refused("(Intercept)\tconditiony\n0\tone\n").find("weight of 'conditiony'"), std::string::npos);
}

TEST_F(DeRunTest, CoefficientAndItsContrastGiveTheSameTable) {
  request_.coef = "conditiony";
  const DeRun coef = Run(request_);
  EXPECT_EQ(coef.size_factor_method, "ratio");  // every count > 0: median of ratios
  ASSERT_EQ(coef.result.feature_names.size(), 8u);
  EXPECT_EQ(coef.result.feature_names[0], "g0");
  // g0 doubles under condition y.
  EXPECT_NEAR(coef.result.log2_fold_change[0], 1.0, 0.5);
  EXPECT_LT(coef.result.pvalue[0], 0.01);
  DeRequest contrast = request_;
  contrast.coef.clear();
  contrast.contrast = "in memory";
  contrast.contrast_table = ParseTextTable("(Intercept)\tconditiony\n0\t1\n", "in memory");
  const DeRun by_contrast = Run(contrast);
  EXPECT_EQ(by_contrast.result.pvalue, coef.result.pvalue);
  EXPECT_EQ(by_contrast.result.estimate, coef.result.estimate);
}

TEST_F(DeRunTest, AutoSizeFactorsArePoscountsWhenEveryFeatureHasAZero) {
  request_.coef = "conditiony";
  // Feature k is 0 in sample k + 1: no feature without a zero, every sample with a positive count.
  const TextTable table = ParseTextTable(kCounts, "counts.tsv");
  std::string zeros = "gene\ts1\ts2\ts3\ts4\ts5\ts6\ts7\ts8\n";
  for (std::size_t k = 0; k < table.rows.size(); ++k) {
    for (std::size_t c = 0; c < table.rows[k].size(); ++c) {
      zeros += (c == 0 ? "" : "\t") + (c == k + 1 ? std::string("0") : table.rows[k][c]);
    }
    zeros += "\n";
  }
  EXPECT_EQ(Run(request_, zeros).size_factor_method, "poscounts");
  request_.size_factors = "total";
  EXPECT_EQ(Run(request_, zeros).size_factor_method, "total");
}

TEST_F(DeRunTest, SubsetEqualsTheSelectedDataAlone) {
  request_.coef = "conditiony";
  request_.model.subset = {"group=B"};
  const DeRun subset = Run(request_);
  // The same test on only the B columns and rows.
  testing::WriteText(Path("b.tsv"), "sample\tcondition\tgroup\ns5\tx\tB\ns6\ty\tB\ns7\tx\tB\ns8\ty\tB\n");
  std::string b_counts;
  const TextTable table = ParseTextTable(kCounts, "counts.tsv");
  for (const auto& row : table.rows) {
    b_counts += row[0] + "\t" + row[5] + "\t" + row[6] + "\t" + row[7] + "\t" + row[8] + "\n";
  }
  DeRequest alone = request_;
  alone.model.subset.clear();
  alone.model.samples = Path("b.tsv");
  const DeRun expected = Run(alone, "gene\ts5\ts6\ts7\ts8\n" + b_counts);
  EXPECT_EQ(subset.result.ToTsv(), expected.result.ToTsv());
}

TEST_F(DeRunTest, ReducedDesignIsALikelihoodTest) {
  request_.reduced_loc_design = Path("intercept.tsv");
  const DeRun run = Run(request_);
  EXPECT_NE(run.result.description.find("reduced model " + Path("intercept.tsv")), std::string::npos)
      << run.result.description;
  EXPECT_LT(run.result.pvalue[0], 0.01);
  DeRequest formula = request_;
  formula.reduced_loc_design.clear();
  formula.reduced_loc = "~ 1";
  const DeRun by_formula = Run(formula);
  EXPECT_NE(by_formula.result.description.find("reduced model \"~ 1\""), std::string::npos);
  EXPECT_EQ(by_formula.result.pvalue, run.result.pvalue);
}

TEST_F(DeRunTest, RefusalsNameTheOptionAndOpenNoCounts) {
  const auto refused = [&](const DeRequest& request) {
    return Message([&] { RunDe(request, [] { return CountReader(kCounts, "counts.tsv", false); }, "--counts c"); });
  };
  DeRequest design_subset;
  design_subset.coef = "(Intercept)";
  testing::WriteText(Path("a.tsv"), "observation\t(Intercept)\ns1\t1\ns2\t1\ns3\t1\ns4\t1\n");
  design_subset.model.loc_design = Path("a.tsv");
  design_subset.model.samples = Path("samples.tsv");
  design_subset.model.subset = {"group=A"};
  EXPECT_EQ(refused(design_subset), "--subset: group=A: selects rows of a sample sheet: use --loc, not --loc-design");
  // Also when the design file's rows do not match the selection (it is
  // refused before any model is built).
  testing::WriteText(Path("b.tsv"), "observation\t(Intercept)\ns1\t1\ns2\t1\ns3\t1\ns4\t1\ns5\t1\ns6\t1\ns7\t1\n");
  design_subset.model.loc_design = Path("b.tsv");
  EXPECT_EQ(refused(design_subset), "--subset: group=A: selects rows of a sample sheet: use --loc, not --loc-design");
  DeRequest file_factors = request_;
  file_factors.coef = "conditiony";
  file_factors.model.subset = {"group=A"};
  file_factors.size_factors = Path("sf.tsv");
  EXPECT_EQ(refused(file_factors),
            "--size-factors: " + Path("sf.tsv") +
                ": with --subset, size factors are computed on the selected observations: auto, ratio, poscounts or "
                "total");
  DeRequest no_sheet;
  no_sheet.model.loc_design = Path("intercept.tsv");
  no_sheet.reduced_loc = "~ 1";
  EXPECT_EQ(refused(no_sheet), "--reduced-loc: ~ 1: a formula needs --samples");
  DeRequest unknown = request_;
  unknown.coef = "dose";
  EXPECT_NE(refused(unknown).find("dose"), std::string::npos);
  // A design mistake is found before the counts are opened.
  DeRequest bad = request_;
  bad.coef = "conditiony";
  bad.model.loc_formula = "~ dose";
  bool opened = false;
  EXPECT_THROW(RunDe(bad, [&] { opened = true; return CountReader(kCounts, "counts.tsv", false); }, "--counts c"),
               InputError);
  EXPECT_FALSE(opened);
}

}  // namespace
}  // namespace nbglm::cli
