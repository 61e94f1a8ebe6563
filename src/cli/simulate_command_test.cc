// `nbglm simulate` through the binary (docs/cli.md "simulate"): the files it
// writes and their layout, size factors, and exit 2 with one line (and no
// output directory) for bad options and inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli_runner.h"

namespace nbglm::testing {
namespace {

class SimulateCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("simulate");
    WriteText(Path("d.tsv"), "observation\t(Intercept)\tb\no1\t1\t0\no2\t1\t1\no3\t1\t1\n");
    WriteText(Path("sf.tsv"), "observation\tsize_factor\no3\t2\no1\t0.5\no2\t1\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST_F(SimulateCommandTest, WritesCountsTruthAndDesigns) {
  const CliResult r = RunCli("simulate --features 4 --loc-design " + Path("d.tsv") + " --seed 3 --out " + Path("sim"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const std::string mtx = ReadWholeFile(Path("sim/counts.mtx"));
  EXPECT_EQ(mtx.rfind("%%MatrixMarket matrix coordinate integer general\n", 0), 0u) << mtx.substr(0, 200);
  const std::string loc = ReadWholeFile(Path("sim/true_loc_coef.tsv"));
  EXPECT_EQ(FirstLine(loc), "feature\t(Intercept)\tb");
  EXPECT_EQ(std::count(loc.begin(), loc.end(), '\n'), 5) << loc;
  EXPECT_NE(loc.find("\nfeature_3\t"), std::string::npos) << loc;
  const std::string scale = ReadWholeFile(Path("sim/true_scale_coef.tsv"));
  EXPECT_EQ(FirstLine(scale), "feature\t(Intercept)");
  EXPECT_EQ(ReadWholeFile(Path("sim/loc_design.tsv")), ReadWholeFile(Path("d.tsv")));
  // The default scale design is intercept only over the same observations.
  EXPECT_EQ(ReadWholeFile(Path("sim/scale_design.tsv")), "observation\t(Intercept)\no1\t1\no2\t1\no3\t1\n");
  EXPECT_FALSE(std::filesystem::exists(Path("sim/size_factors.tsv")));
}

TEST_F(SimulateCommandTest, SizeFactorsAreWrittenInDesignOrderAndChangeTheCounts) {
  const std::string common = "simulate --features 30 --loc-design " + Path("d.tsv") + " --seed 1";
  ASSERT_EQ(RunCli(common + " --out " + Path("plain")).exit_status, 0);
  const CliResult r = RunCli(common + " --size-factors " + Path("sf.tsv") + " --out " + Path("sf"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(ReadWholeFile(Path("sf/size_factors.tsv")), "observation\tsize_factor\no1\t0.5\no2\t1\no3\t2\n");
  // Same seed, same truth; the means differ, so the counts do.
  EXPECT_EQ(ReadWholeFile(Path("sf/true_loc_coef.tsv")), ReadWholeFile(Path("plain/true_loc_coef.tsv")));
  EXPECT_NE(ReadWholeFile(Path("sf/counts.mtx")), ReadWholeFile(Path("plain/counts.mtx")));
}

TEST_F(SimulateCommandTest, ScaleDesignIsUsedForTheTruth) {
  const CliResult r = RunCli("simulate --features 2 --loc-design " + Path("d.tsv") + " --scale-design " +
                             Path("d.tsv") + " --threads 2 --out " + Path("sim"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(FirstLine(ReadWholeFile(Path("sim/true_scale_coef.tsv"))), "feature\t(Intercept)\tb");
  EXPECT_EQ(ReadWholeFile(Path("sim/scale_design.tsv")), ReadWholeFile(Path("d.tsv")));
}

TEST_F(SimulateCommandTest, BadInputExitsTwoWithOneLineAndNoOutput) {
  WriteText(Path("other.tsv"), "observation\t(Intercept)\no1\t1\no2\t1\n");
  WriteText(Path("sf_missing.tsv"), "observation\tsize_factor\no1\t1\no2\t1\n");
  WriteText(Path("a_file"), "x");
  const std::string design = " --loc-design " + Path("d.tsv");
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"--features 0" + design, "nbglm: error: --features: 0: must be a positive integer\n"},
      {"--features -5" + design, "nbglm: error: --features: -5: must be a positive integer\n"},
      {"--features 2 --threads 0" + design, "nbglm: error: --threads: 0: must be a positive integer\n"},
      {"--features many" + design, "Could not convert: --features = many"},
      {"--features 2", "--loc-design is required"},
      {"--features 2 --loc-design " + Path("none.tsv"), "--loc-design: File does not exist"},
      {"--features 2" + design + " --scale-design " + Path("other.tsv"),
       "Simulator: scale design: 2 observations: expected 3 (as the location design)"},
      {"--features 2" + design + " --size-factors " + Path("sf_missing.tsv"),
       Path("sf_missing.tsv") + ": observation 'o3' missing: every observation needs a size factor"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const CliResult r = RunCli("simulate " + c.args + " --out " + Path("out"));
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(Path("out")));
  }
  // --out names a file: the directory cannot be made.
  const CliResult r = RunCli("simulate --features 2" + design + " --out " + Path("a_file"));
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find(Path("a_file") + ": cannot create directory"), std::string::npos) << r.err;
  EXPECT_EQ(ReadWholeFile(Path("a_file")), "x");
}

}  // namespace
}  // namespace nbglm::testing
