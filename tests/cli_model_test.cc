// The command-line contract of `check-design` and `simulate` (docs/cli.md).
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.h"
#include "nbglm/design.h"
#include "nbglm/table.h"
#include "notebook_designs.h"

namespace nbglm::testing {
namespace {

class CliModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("model");
    for (int which : {1, 2, 3}) {
      const auto example = notebook::MakeExample(which);
      const std::string stem = dir_ + "/ex" + std::to_string(which);
      WriteText(stem + "_design.tsv", DesignToTsv(example.design));
      WriteText(stem + "_constraints.tsv", Constraints(example, example.constraints.shape(0)));
      if (which == 2) WriteText(dir_ + "/ex2_two.tsv", Constraints(example, 2));
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string Constraints(const notebook::Example& example, std::size_t rows) {
    std::string text;
    const auto& names = example.design.parameter_names;
    for (std::size_t j = 0; j < names.size(); ++j) text += (j ? "\t" : "") + names[j];
    text += "\n";
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t j = 0; j < names.size(); ++j) text += (j ? "\t" : "") + FormatDouble(example.constraints(r, j));
      text += "\n";
    }
    return text;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(CliModelTest, CheckDesignJsonIsExactOnTheNotebookExamples) {
  const char* expected[] = {
      R"({"loc":{"parameters":6,"rank":4,"deficiency":2,"reduced_parameters":4,"constrained_deficiency":0,"unidentifiable":[]},"scale":{"parameters":6,"rank":4,"deficiency":2,"reduced_parameters":4,"constrained_deficiency":0,"unidentifiable":[]}})",
      R"({"loc":{"parameters":10,"rank":6,"deficiency":4,"reduced_parameters":6,"constrained_deficiency":0,"unidentifiable":[]},"scale":{"parameters":10,"rank":6,"deficiency":4,"reduced_parameters":6,"constrained_deficiency":0,"unidentifiable":[]}})",
      R"({"loc":{"parameters":8,"rank":5,"deficiency":3,"reduced_parameters":5,"constrained_deficiency":0,"unidentifiable":[]},"scale":{"parameters":8,"rank":5,"deficiency":3,"reduced_parameters":5,"constrained_deficiency":0,"unidentifiable":[]}})"};
  for (int which : {1, 2, 3}) {
    const std::string stem = Path("ex" + std::to_string(which));
    const CliResult r = RunCli("check-design --json --loc-design " + stem + "_design.tsv --loc-constraints " + stem +
                               "_constraints.tsv --scale-design " + stem + "_design.tsv --scale-constraints " + stem +
                               "_constraints.tsv");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(r.out, std::string(expected[which - 1]) + "\n");
  }
}

TEST_F(CliModelTest, CheckDesignReportsTheRemainingDeficiencyAndExitsZero) {
  const CliResult r = RunCli("check-design --json --loc-design " + Path("ex2_design.tsv") + " --loc-constraints " +
                             Path("ex2_two.tsv"));
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out,
            R"({"loc":{"parameters":10,"rank":6,"deficiency":4,"reduced_parameters":8,"constrained_deficiency":2,)"
            R"("unidentifiable":["(Intercept) - tech_rep1 - tech_rep2 - tech_rep3 - tech_rep4",)"
            R"("bio_rep1 - bio_rep2 + bio_rep3 - bio_rep4 - tech_rep1 - tech_rep2 + tech_rep3 + tech_rep4"]}})"
            "\n");
  const CliResult text = RunCli("check-design --loc-design " + Path("ex2_design.tsv") + " --loc-constraints " +
                                Path("ex2_two.tsv"));
  EXPECT_EQ(text.exit_status, 0);
  EXPECT_NE(text.out.find("deficiency 2 (NOT identifiable)"), std::string::npos) << text.out;
}

TEST_F(CliModelTest, SimulateTwiceWithOneSeedGivesByteIdenticalDirectories) {
  const std::string design = Path("ex1_design.tsv");
  const std::string a = Path("sim_a");
  const std::string b = Path("sim_b");
  const std::string common = "simulate --features 20 --loc-design " + design + " --scale-design " + design + " --seed 7";
  ASSERT_EQ(RunCli(common + " --out " + a).exit_status, 0);
  ASSERT_EQ(RunCli(common + " --threads 2 --out " + b).exit_status, 0);
  for (const char* file : {"counts.mtx", "true_loc_coef.tsv", "true_scale_coef.tsv", "loc_design.tsv", "scale_design.tsv"}) {
    const std::string x = ReadWholeFile(a + "/" + file);
    EXPECT_FALSE(x.empty()) << file;
    EXPECT_EQ(x, ReadWholeFile(b + "/" + file)) << file;
  }
  EXPECT_FALSE(std::filesystem::exists(a + "/size_factors.tsv"));
  // Another seed gives other counts.
  ASSERT_EQ(RunCli("simulate --features 20 --loc-design " + design + " --seed 8 --out " + Path("sim_c")).exit_status, 0);
  EXPECT_NE(ReadWholeFile(a + "/counts.mtx"), ReadWholeFile(Path("sim_c") + "/counts.mtx"));
}

struct BadCase {
  std::string name;
  std::string design;       // file contents ("" = file absent)
  std::string constraints;  // file contents ("" = no constraints option)
  std::string expected;     // substring of the one-line message
};

TEST_F(CliModelTest, BadInputExitsTwoWithOneClearLineAndNoOutput) {
  const std::string good = "observation\ta\tb\no1\t1\t0\no2\t1\t1\n";
  const std::vector<BadCase> cases = {
      {"missing", "", "", "File does not exist"},
      {"ragged", "observation\ta\tb\no1\t1\t0\no2\t1\n", "", "design.tsv:3: 2 fields: expected 3 (as many as the header)"},
      {"non-numeric", "observation\ta\tb\no1\t1\tx\n", "", "design.tsv:2: 'x': column 'b' must be a finite number"},
      {"empty", "observation\ta\n", "", "design.tsv: no rows: a design needs at least one observation"},
      {"empty file", "\n", "", "design.tsv: empty file: a table needs a header line"},
      {"no parameters", "observation\no1\n", "", "design.tsv:1: 1 columns: a design needs an observation-name column"},
      {"duplicate name", "observation\ta\ta\no1\t1\t1\n", "", "'a': parameter names must be unique"},
      {"width", good, "a\n-1\n", "constraints.tsv:1: 1 columns, parameter 'b' missing: a constraint table needs one column per design parameter (2)"},
      {"no -1", good, "a\tb\n1\t1\n", "constraint row 1: no -1 entry"},
      {"rank deficient", "observation\ta\tb\no1\t1\t1\no2\t1\t1\n", "", "NOT identifiable"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string design = Path("design.tsv");
    std::filesystem::remove(design);
    if (!c.design.empty()) WriteText(design, c.design);
    std::string args = "check-design --loc-design " + design;
    if (!c.constraints.empty()) {
      WriteText(Path("constraints.tsv"), c.constraints);
      args += " --loc-constraints " + Path("constraints.tsv");
    }
    CliResult r = RunCli(args);
    if (c.name == "rank deficient") {
      // check-design reports deficiency with exit 0; simulate/fit refuse it.
      EXPECT_EQ(r.exit_status, 0);
      EXPECT_NE(r.out.find(c.expected), std::string::npos) << r.out;
      continue;
    }
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    // simulate with the same bad design writes nothing.
    if (!c.design.empty() && c.constraints.empty()) {
      const std::string out = Path("sim_bad");
      r = RunCli("simulate --features 3 --loc-design " + design + " --out " + out);
      EXPECT_EQ(r.exit_status, 2) << r.err;
      EXPECT_FALSE(std::filesystem::exists(out));
    }
  }
}

TEST_F(CliModelTest, BadOptionsExitTwo) {
  const CliResult r = RunCli("simulate --features 0 --loc-design " + Path("ex1_design.tsv") + " --out " + Path("x"));
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err, "nbglm: error: --features: 0: must be a positive integer\n");
  EXPECT_EQ(RunCli("check-design").exit_status, 2);
  EXPECT_EQ(RunCli("no-such-command").exit_status, 2);
  EXPECT_EQ(RunCli("--help").exit_status, 0);
}

}  // namespace
}  // namespace nbglm::testing
