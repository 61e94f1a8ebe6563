// Formula designs from the command line: `nbglm design`, and --samples /
// --loc / --scale / --ref / --loc-nested in check-design and fit (docs/cli.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"
#include "nbglm/design.h"
#include "nbglm/table.h"

namespace nbglm::testing {
namespace {

class CliFormulaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("formula");
    // Notebook example 1 as a sample sheet: 4 biological replicates, two per
    // condition, 3 cells each.
    std::string sheet = "cell\tbio_rep\tcondition\n";
    for (int cell = 0; cell < 12; ++cell) {
      const int rep = cell / 3 + 1;
      sheet += "c" + std::to_string(cell) + "\tr" + std::to_string(rep) + "\t" + (rep <= 2 ? "A" : "B") + "\n";
    }
    WriteText(Path("reps.tsv"), sheet);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static std::string Pasilla() { return SourcePath("tests/data/formula/pasilla_samples.tsv"); }
  std::string dir_;
};

TEST_F(CliFormulaTest, DesignPrintsRModelMatrixAsTsv) {
  const CliResult r = RunCli("design --samples " + Pasilla() +
                             " --formula '~ type + condition' --ref condition=untreated");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const Design expected = ReadDesign(SourcePath("tests/data/formula/pasilla_type_condition_ref.tsv"));
  EXPECT_EQ(r.out, DesignToTsv(expected));
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "observation\t(Intercept)\ttypesingle-read\tconditiontreated");

  const CliResult cross = RunCli("design --samples " + Pasilla() + " --formula '~ type * condition'");
  ASSERT_EQ(cross.exit_status, 0) << cross.err;
  EXPECT_NE(cross.out.find("\ttypesingle-read:conditionuntreated\n"), std::string::npos) << cross.out;
}

TEST_F(CliFormulaTest, NestingMakesNotebookExampleOneIdentifiable) {
  const std::string common = "check-design --json --samples " + Path("reps.tsv") + " --loc '~ bio_rep + condition'";
  const CliResult plain = RunCli(common);
  ASSERT_EQ(plain.exit_status, 0) << plain.err;
  EXPECT_EQ(plain.out,
            R"({"loc":{"parameters":5,"rank":4,"deficiency":1,"reduced_parameters":5,"constrained_deficiency":1,)"
            R"("unidentifiable":["bio_repr3 + bio_repr4 - conditionB"]}})"
            "\n");
  // With nesting: bio_rep's full indicators (6 parameters, deficiency 2),
  // sum-to-zero within each condition → deficiency 0, for both models.
  const CliResult nested = RunCli(common + " --loc-nested bio_rep:condition --scale '~ bio_rep + condition'" +
                                  " --scale-nested bio_rep:condition");
  ASSERT_EQ(nested.exit_status, 0) << nested.err;
  const std::string side =
      R"({"parameters":6,"rank":4,"deficiency":2,"reduced_parameters":4,"constrained_deficiency":0,"unidentifiable":[]})";
  EXPECT_EQ(nested.out, R"({"loc":)" + side + R"(,"scale":)" + side + "}\n");

  const CliResult text = RunCli("check-design --samples " + Path("reps.tsv") +
                                " --loc '~ bio_rep + condition' --loc-nested bio_rep:condition");
  EXPECT_EQ(text.exit_status, 0) << text.err;
  EXPECT_NE(text.out.find("deficiency 0 (identifiable)"), std::string::npos) << text.out;
}

TEST_F(CliFormulaTest, NestingAlsoWorksOnADesignFileWithIndicatorColumns) {
  const CliResult design = RunCli("design --samples " + Path("reps.tsv") + " --formula '~ 0 + bio_rep + condition'");
  ASSERT_EQ(design.exit_status, 0) << design.err;
  WriteText(Path("design.tsv"), design.out);
  const CliResult r = RunCli("check-design --json --loc-design " + Path("design.tsv") + " --samples " +
                             Path("reps.tsv") + " --loc-nested bio_rep:condition");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out,
            R"({"loc":{"parameters":5,"rank":4,"deficiency":1,"reduced_parameters":3,"constrained_deficiency":0,)"
            R"("unidentifiable":[]}})"
            "\n");
}

TEST_F(CliFormulaTest, FitWithAFormulaMatchesCountColumnsBySampleName) {
  // 40 pasilla genes, count columns in the sheet's order reversed.
  const std::string pasilla_counts = std::string(NBGLM_SOURCE_DIR) + "/../shared/data/pasilla/counts.tsv";
  if (!std::filesystem::exists(pasilla_counts)) GTEST_SKIP() << "no " << pasilla_counts;
  const TextTable counts = ReadTextTable(pasilla_counts);
  std::string text;
  auto write_row = [&text](const std::vector<std::string>& fields) {
    text += fields[0];
    for (std::size_t j = fields.size() - 1; j >= 1; --j) text += "\t" + fields[j];
    text += "\n";
  };
  write_row(counts.header);
  for (std::size_t g = 0; g < 40 && g < counts.rows.size(); ++g) write_row(counts.rows[g]);
  WriteText(Path("counts.tsv"), text);
  const std::string out = Path("fit");
  const CliResult r = RunCli("fit --quiet --counts " + Path("counts.tsv") + " --samples " + Pasilla() +
                             " --loc '~ type + condition' --ref condition=untreated --out " + out);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const std::string coef = ReadWholeFile(out + "/loc_coef.tsv");
  EXPECT_EQ(coef.substr(0, coef.find('\n')), "feature\t(Intercept)\ttypesingle-read\tconditiontreated");
}

struct BadCase {
  std::string args;
  std::string expected;  // the whole stderr line
};

TEST_F(CliFormulaTest, BadInputExitsTwoWithOneClearLine) {
  const std::string reps = " --samples " + Path("reps.tsv");
  const std::vector<BadCase> cases = {
      {"design" + reps + " --formula '~ cond'",
       "--formula: 'cond': unknown column of " + Path("reps.tsv") + " (columns: bio_rep, condition)"},
      {"design" + reps + " --formula '~ bio_rep +'", "--formula: '~ bio_rep +': unexpected end of formula at character 12"},
      {"design" + reps + " --formula '~ log(bio_rep)'",
       "--formula: '~ log(bio_rep)': unsupported function 'log()' (supported: factor(), as.factor(), C(x, Sum)) at "
       "character 3"},
      {"design" + reps + " --formula '~ condition' --ref condition=C",
       "--ref condition=C: 'C': not a level of column 'condition' of " + Path("reps.tsv") + " (levels: A, B)"},
      {"design" + reps + " --formula '~ condition' --ref condition",
       "--ref: 'condition': must be FACTOR=LEVEL (e.g. condition=untreated)"},
      {"check-design" + reps + " --loc '~ condition' --loc-design " + Path("reps.tsv"),
       "--loc-design / --loc: both given: give exactly one: a design file (--loc-design D.tsv) or a formula "
       "(--samples S.tsv --loc \"~ …\")"},
      {"check-design" + reps, "--loc-design / --loc: neither given: give exactly one: a design file (--loc-design "
                              "D.tsv) or a formula (--samples S.tsv --loc \"~ …\")"},
      {"check-design --loc '~ condition'",
       "--loc: without --samples: formulas and nesting read a sample sheet (--samples S.tsv, or the obs of --counts DATA.h5ad)"},
      {"check-design" + reps + " --loc '~ condition' --loc-nested bio_rep:condition",
       "--loc: 'bio_rep': nesting needs the main-effect term bio_rep in the formula (e.g. '~ bio_rep + …')"},
      {"check-design" + reps + " --loc '~ condition + bio_rep' --loc-nested condition:bio_rep",
       "--loc-nested condition:bio_rep: level 'A' occurs in 'r1' and 'r2': a nested factor's level must occur "
       "within one level of the enclosing factor"},
      {"check-design" + reps + " --loc '~ bio_rep' --loc-nested bio_rep",
       "--loc-nested: 'bio_rep': must be F:G (factor F nested in factor G, e.g. bio_rep:condition)"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.args);
    const CliResult r = RunCli(c.args);
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(r.err, "nbglm: error: " + c.expected + "\n");
  }
}

}  // namespace
}  // namespace nbglm::testing
