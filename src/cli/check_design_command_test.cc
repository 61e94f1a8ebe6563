// `nbglm check-design` through the binary (docs/cli.md "check-design"): the
// text and JSON reports of the location and scale rank checks, exit 0 for a
// deficient model, and exit 2 with one line for bad options.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli_runner.h"

namespace nbglm::testing {
namespace {

class CheckDesignCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("check_design");
    WriteText(Path("full.tsv"), "observation\t(Intercept)\tb\no1\t1\t0\no2\t1\t0\no3\t1\t1\no4\t1\t1\n");
    // a + b = (Intercept): one combination is not identifiable.
    WriteText(Path("deficient.tsv"), "observation\t(Intercept)\ta\tb\no1\t1\t1\t0\no2\t1\t1\t0\no3\t1\t0\t1\no4\t1\t0\t1\n");
    WriteText(Path("sum.tsv"), "(Intercept)\ta\tb\n0\t1\t-1\n");  // a + b = 0 (docs/formats.md)
    WriteText(Path("samples.tsv"), "sample\tcondition\no1\tx\no2\tx\no3\ty\no4\ty\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(CheckDesignCommandTest, IdentifiableDesignReportsRankAndDeficiencyZero) {
  const CliResult r = RunCli("check-design --loc-design " + Path("full.tsv"));
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "location: 2 parameters, rank 2, deficiency 0 without constraints (identifiable)\n");
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(CheckDesignCommandTest, DeficientDesignNamesTheCombinationAndExitsZero) {
  const CliResult r = RunCli("check-design --loc-design " + Path("deficient.tsv"));
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "location: 3 parameters, rank 2, deficiency 1 without constraints (NOT identifiable)");
  EXPECT_NE(r.out.find("\n  unidentifiable: "), std::string::npos) << r.out;
  // Under a + b = 0 the model is identifiable.
  const CliResult constrained =
      RunCli("check-design --loc-design " + Path("deficient.tsv") + " --loc-constraints " + Path("sum.tsv"));
  EXPECT_EQ(constrained.exit_status, 0) << constrained.err;
  EXPECT_EQ(constrained.out,
            "location: 3 parameters, rank 2, deficiency 1 without constraints; 2 free parameters under "
            "constraints, deficiency 0 (identifiable)\n");
}

TEST_F(CheckDesignCommandTest, ScaleDesignIsReportedOnlyWhenGiven) {
  const CliResult text =
      RunCli("check-design --loc-design " + Path("full.tsv") + " --scale-design " + Path("deficient.tsv"));
  EXPECT_EQ(text.exit_status, 0) << text.err;
  EXPECT_EQ(text.out.substr(0, text.out.find('\n') + 1),
            "location: 2 parameters, rank 2, deficiency 0 without constraints (identifiable)\n");
  EXPECT_NE(text.out.find("\nscale: 3 parameters, rank 2, deficiency 1 without constraints (NOT identifiable)\n"),
            std::string::npos)
      << text.out;

  const CliResult json = RunCli("check-design --json --loc-design " + Path("full.tsv"));
  EXPECT_EQ(json.exit_status, 0) << json.err;
  EXPECT_EQ(json.out,
            R"({"loc":{"parameters":2,"rank":2,"deficiency":0,"reduced_parameters":2,"constrained_deficiency":0,)"
            R"("unidentifiable":[]}})"
            "\n");
  const CliResult both = RunCli("check-design --json --loc-design " + Path("full.tsv") + " --scale-design " +
                                Path("deficient.tsv") + " --scale-constraints " + Path("sum.tsv"));
  EXPECT_EQ(both.exit_status, 0) << both.err;
  EXPECT_NE(both.out.find(R"(,"scale":{"parameters":3,"rank":2,"deficiency":1,"reduced_parameters":2,)"
                          R"("constrained_deficiency":0,"unidentifiable":[]}})"),
            std::string::npos)
      << both.out;
}

TEST_F(CheckDesignCommandTest, FormulaOnASampleSheet) {
  const CliResult r = RunCli("check-design --samples " + Path("samples.tsv") + " --loc '~ condition' --json");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out.rfind(R"({"loc":{"parameters":2,"rank":2,"deficiency":0,)", 0), 0u) << r.out;
}

TEST_F(CheckDesignCommandTest, BadOptionsExitTwoWithOneLine) {
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"", "--loc-design / --loc: neither given: give exactly one"},
      {"--loc-design " + Path("full.tsv") + " --samples " + Path("samples.tsv") + " --loc '~ condition'",
       "--loc-design / --loc: both given: give exactly one"},
      {"--loc '~ condition'", "--loc: without --samples: formulas and nesting read a sample sheet"},
      {"--loc-design " + Path("full.tsv") + " --ref condition=x",
       "--ref: condition=x: reference levels apply to formulas (--loc, --scale) only"},
      {"--loc-design " + Path("full.tsv") + " --scale-constraints " + Path("sum.tsv"),
       "--scale-constraints: " + Path("sum.tsv") + ": needs --scale-design or --scale"},
      {"--loc-design " + Path("missing.tsv"), "--loc-design: File does not exist: " + Path("missing.tsv")},
      {"--samples " + Path("samples.tsv") + " --loc '~ dose'",
       "--loc: 'dose': unknown column of " + Path("samples.tsv") + " (columns: condition)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const CliResult r = RunCli("check-design " + c.args);
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("nbglm: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace nbglm::testing
