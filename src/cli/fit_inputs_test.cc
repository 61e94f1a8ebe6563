// src/cli/fit_inputs.h: the recorded command line, absolute input paths, the
// --size-factors forms of docs/cli.md "fit", the summary.json "inputs" round
// trip, and matching the counts' observations to the design by name.
#include "cli/fit_inputs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli_runner.h"
#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

using StringList = std::vector<std::string>;

class FitInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("fit_inputs");
    testing::WriteText(Path("design.tsv"), "observation\t(Intercept)\tb\no1\t1\t0\no2\t1\t0\no3\t1\t1\no4\t1\t1\n");
    testing::WriteText(Path("samples.tsv"),
                       "sample\tdepth\tgroup\tbad\no1\t0.5\tx\t1\no2\t1\tx\t0\no3\t2\ty\t1\no4\t4\ty\t1\n");
    testing::WriteText(Path("sf.tsv"), "observation\tsize_factor\no4\t4\no3\t3\no2\t2\no1\t1\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  NbGlmModel Model(const ModelOptions& options) const { return options.Build(true); }
  ModelOptions DesignOptions(bool with_samples) const {
    ModelOptions options;
    options.loc_design = Path("design.tsv");
    if (with_samples) options.samples = Path("samples.tsv");
    return options;
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
};

const CountReader& Counts() {
  static const CountReader reader("gene\to1\to2\to3\to4\ng1\t1\t2\t3\t4\ng2\t3\t2\t1\t4\n", "counts.tsv", false);
  return reader;
}

TEST_F(FitInputsTest, CommandLineQuotesWhatTheShellWouldSplit) {
  std::vector<std::string> args = {"nbglm", "fit", "--loc", "~ a + b", "it's", "", "a$b", "plain-1.tsv"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  SetCommandLine(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(CommandLine(), "nbglm fit --loc '~ a + b' 'it'\\''s' '' 'a$b' plain-1.tsv");
}

TEST_F(FitInputsTest, AbsolutePathIsNormalAndKeepsEmpty) {
  EXPECT_EQ(AbsolutePath(""), "");
  EXPECT_EQ(AbsolutePath("/a/./b/../c.tsv"), "/a/c.tsv");
  EXPECT_EQ(AbsolutePath("x/../y.tsv"), (std::filesystem::current_path() / "y.tsv").string());
}

TEST_F(FitInputsTest, SizeFactorsFromAFileAreInDesignOrder) {
  const ModelOptions options = DesignOptions(false);
  const Vector factors = ResolveSizeFactors(Path("sf.tsv"), options, Counts(), 1 << 20, Model(options));
  ASSERT_EQ(factors.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(factors(i), static_cast<double>(i + 1));
  EXPECT_EQ(ResolveSizeFactors("", options, Counts(), 1 << 20, Model(options)).size(), 0u);  // none
}

TEST_F(FitInputsTest, SizeFactorsComputedFromTheCounts) {
  const ModelOptions options = DesignOptions(false);
  // Library sizes 4, 4, 4, 8 over their geometric mean.
  const Vector total = ResolveSizeFactors("total", options, Counts(), 1 << 20, Model(options));
  ASSERT_EQ(total.size(), 4u);
  EXPECT_NEAR(total(3) / total(0), 2.0, 1e-12);
  EXPECT_NEAR(total(0) * total(1) * total(2) * total(3), 1.0, 1e-12);
  // The same factors when read one feature at a time.
  const Vector chunked = ResolveSizeFactors("ratio", options, Counts(), 1, Model(options));
  const Vector whole = ResolveSizeFactors("ratio", options, Counts(), 1 << 20, Model(options));
  ASSERT_EQ(whole.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(chunked(i), whole(i));
}

TEST_F(FitInputsTest, SizeFactorsFromASampleSheetColumn) {
  const ModelOptions options = DesignOptions(true);
  const Vector depth = ResolveSizeFactors("depth", options, Counts(), 1 << 20, Model(options));
  ASSERT_EQ(depth.size(), 4u);
  EXPECT_EQ(depth(0), 0.5);
  EXPECT_EQ(depth(3), 4.0);
  EXPECT_EQ(Message([&] { ResolveSizeFactors("group", options, Counts(), 1 << 20, Model(options)); }),
            "--size-factors: group: column of " + Path("samples.tsv") +
                " is factor: size factors must be numbers > 0");
  EXPECT_EQ(Message([&] { ResolveSizeFactors("bad", options, Counts(), 1 << 20, Model(options)); }),
            Path("samples.tsv") + ":3: column 'bad': 0: size factors must be finite and > 0");
}

TEST_F(FitInputsTest, UnknownSizeFactorsNameTheForms) {
  const ModelOptions plain = DesignOptions(false);
  EXPECT_EQ(Message([&] { ResolveSizeFactors("median", plain, Counts(), 1 << 20, Model(plain)); }),
            "--size-factors: median: not a file, and not ratio, poscounts or total");
  const ModelOptions sheet = DesignOptions(true);
  EXPECT_EQ(Message([&] { ResolveSizeFactors("median", sheet, Counts(), 1 << 20, Model(sheet)); }),
            "--size-factors: median: not a file, not a column of " + Path("samples.tsv") +
                ", and not ratio, poscounts or total");
}

TEST_F(FitInputsTest, RecordedInputsRebuildTheModelOptions) {
  ModelOptions options;
  options.loc_formula = "~ group";
  options.samples = Path("samples.tsv");
  options.scale_design = Path("design.tsv");
  options.loc_nested = {"a:b", "c:d"};
  options.reference_levels = {"group=y"};
  FitRunInfo info;
  RecordModelInputs(options, &info);
  EXPECT_EQ(info.Input(kInputLocDesign), "");
  EXPECT_EQ(info.Input(kInputLocFormula), "~ group");
  EXPECT_EQ(info.Input(kInputSamples), Path("samples.tsv"));
  EXPECT_EQ(info.InputList(kInputLocNested), (StringList{"a:b", "c:d"}));
  const ModelOptions back = ModelOptionsFromInputs(info);
  EXPECT_EQ(back.loc_formula, options.loc_formula);
  EXPECT_EQ(back.samples, options.samples);
  EXPECT_EQ(back.scale_design, options.scale_design);
  EXPECT_EQ(back.scale_formula, "");
  EXPECT_EQ(back.loc_nested, options.loc_nested);
  EXPECT_EQ(back.scale_nested, StringList{});
  EXPECT_EQ(back.reference_levels, options.reference_levels);
  EXPECT_EQ(back.option_prefix, "--");
}

TEST_F(FitInputsTest, AlignReordersTheDesignsToTheCounts) {
  ModelOptions options = DesignOptions(false);
  options.scale_design = Path("design.tsv");
  NbGlmModel model = Model(options);
  AlignObservations({"o4", "o1", "o3", "o2"}, "--counts c.tsv", "--loc-design d.tsv", &model);
  EXPECT_EQ(model.location.design.observation_names, (StringList{"o4", "o1", "o3", "o2"}));
  EXPECT_EQ(model.scale.design.observation_names, (StringList{"o4", "o1", "o3", "o2"}));
  // Column b follows its rows: o4 1, o1 0, o3 1, o2 0; so does X B.
  for (std::size_t i = 0; i < 4; ++i) {
    const double b = i % 2 == 0 ? 1.0 : 0.0;
    EXPECT_EQ(model.location.design.values(i, 1), b);
    EXPECT_EQ(model.location.reduced_design(i, 1), b);
    EXPECT_EQ(model.scale.reduced_design(i, 1), b);
  }
}

TEST_F(FitInputsTest, AlignRefusesOtherObservations) {
  const ModelOptions options = DesignOptions(false);
  const auto refused = [&](const StringList& names) {
    NbGlmModel model = Model(options);
    return Message([&] { AlignObservations(names, "--counts c.tsv", "--loc-design d.tsv", &model); });
  };
  EXPECT_EQ(refused({"o1", "o2", "o3", "o5"}),
            "--counts c.tsv: 4 observations: observations 'o5' are not in --loc-design d.tsv; --loc-design d.tsv has "
            "'o4', not in the counts (observations are matched by name)");
  EXPECT_EQ(refused({"o1", "o2", "o3", "o4", "o4"}),
            "--counts c.tsv: 5 observations: --loc-design d.tsv has 4 (a name is repeated)");
  EXPECT_EQ(refused({"a1", "a2", "a3", "a4", "a5", "a6", "o1", "o2", "o3", "o4"}),
            "--counts c.tsv: 10 observations: observations 'a1', 'a2', 'a3', 'a4', 'a5' and 1 more are not in "
            "--loc-design d.tsv (observations are matched by name)");
  // Counts without names (a bare .mtx) are matched by position: only the number counts.
  EXPECT_EQ(refused({"obs_0", "obs_1", "obs_2"}),
            "--counts c.tsv: 3 observations: --loc-design d.tsv has 4 (counts without observation names are "
            "matched by position)");
  NbGlmModel model = Model(options);
  AlignObservations({"obs_0", "obs_1", "obs_2", "obs_3"}, "--counts c.mtx", "--loc-design d.tsv", &model);
  EXPECT_EQ(model.location.design.observation_names, (StringList{"o1", "o2", "o3", "o4"}));
}

}  // namespace
}  // namespace nbglm::cli
