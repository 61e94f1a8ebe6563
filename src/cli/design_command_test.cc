// `nbglm design` through the binary (docs/cli.md, docs/formulas.md): the
// design a formula builds on a sample sheet as TSV on stdout, --ref, and
// exit 2 with one line for a bad formula, column, level or option.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cli_runner.h"

namespace nbglm::testing {
namespace {

std::string Toy() { return SourcePath("tests/data/formula/toy_samples.tsv"); }

TEST(DesignCommandTest, PrintsTheDesignOfAFormulaExactly) {
  const CliResult r = RunCli("design --samples " + Toy() + " --formula '~ a + b'");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  // R's model.matrix(~ a + b), stored beside the sheet.
  EXPECT_EQ(r.out, ReadWholeFile(SourcePath("tests/data/formula/toy_a_plus_b.tsv")));
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(DesignCommandTest, ReferenceLevelChangesTheColumns) {
  const CliResult r = RunCli("design --samples " + Toy() + " --formula '~ a * b' --ref b=w");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, ReadWholeFile(SourcePath("tests/data/formula/toy_ref_b.tsv")));
  // Repeating the same level is allowed; the numeric column x is used as is.
  const CliResult x = RunCli("design --samples " + Toy() + " --formula '~ x' --ref a=q --ref a=q");
  EXPECT_EQ(x.exit_status, 0) << x.err;
  EXPECT_EQ(x.out.substr(0, x.out.find('\n')), "observation\t(Intercept)\tx");
  EXPECT_NE(x.out.find("\no2\t1\t2\n"), std::string::npos) << x.out;
}

TEST(DesignCommandTest, BadInputExitsTwoWithOneLine) {
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"--samples " + Toy(), "--formula is required"},
      {"--formula '~ a'", "--samples is required"},
      {"--samples " + SourcePath("tests/data/formula/no_such.tsv") + " --formula '~ a'", "File does not exist"},
      {"--samples " + Toy() + " --formula '~ dose'",
       "--formula: 'dose': unknown column of " + Toy() + " (columns: a, b, x, d)"},
      {"--samples " + Toy() + " --formula '~ a +'", "--formula: '~ a +': unexpected end of formula at character 6"},
      {"--samples " + Toy() + " --formula '~ a' --ref a=z",
       "--ref a=z: 'z': not a level of column 'a' of " + Toy() + " (levels: p, q, r)"},
      {"--samples " + Toy() + " --formula '~ a' --ref a", "--ref: 'a': must be FACTOR=LEVEL (e.g. condition=untreated)"},
      {"--samples " + Toy() + " --formula '~ a' --ref a=p --ref a=q",
       "--ref: 'a=q': factor 'a' already has reference level 'p'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const CliResult r = RunCli("design " + c.args);
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("nbglm: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace nbglm::testing
