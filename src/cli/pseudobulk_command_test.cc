// `nbglm pseudobulk` through the binary (docs/cli.md "pseudobulk", docs/de.md
// "Pseudobulk"): the summed counts and the group sheet, an .h5ad's obs as the
// cell sheet, and exit 2 with one line and nothing written for bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli_runner.h"

namespace nbglm::testing {
namespace {

class PseudobulkCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("pseudobulk");
    WriteText(Path("counts.tsv"), "gene\tc1\tc2\tc3\tc4\tc5\tc6\ng1\t1\t2\t3\t4\t5\t6\ng2\t0\t1\t0\t1\t0\t1\n");
    // Cells in another order than the counts' columns; depth varies within groups.
    WriteText(Path("cells.tsv"),
              "cell\tdonor\tcluster\tage\tdepth\n"
              "c6\ts2\tB\t40\t0.6\nc1\ts1\tA\t30\t0.1\nc2\ts1\tB\t30\t0.2\n"
              "c3\ts2\tA\t40\t0.3\nc4\ts2\tA\t40\t0.4\nc5\ts1\tA\t30\t0.5\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Run(const std::string& extra) const {
    return "pseudobulk --counts " + Path("counts.tsv") + " --samples " + Path("cells.tsv") + " " + extra;
  }
  std::string dir_;
};

TEST_F(PseudobulkCommandTest, SumsTheCellsOfEachGroup) {
  const CliResult r = RunCli(Run("--by donor,cluster --out " + Path("pb")));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  // Groups in level order, first --by column slowest: s1_A = c1 + c5, s2_A = c3 + c4.
  EXPECT_EQ(ReadWholeFile(Path("pb/counts.tsv")),
            "feature\ts1_A\ts1_B\ts2_A\ts2_B\ng1\t6\t2\t7\t6\ng2\t0\t1\t1\t1\n");
  EXPECT_EQ(ReadWholeFile(Path("pb/samples.tsv")),
            "sample\tdonor\tcluster\tage\tn_cells\ns1_A\ts1\tA\t30\t2\ns1_B\ts1\tB\t30\t1\n"
            "s2_A\ts2\tA\t40\t2\ns2_B\ts2\tB\t40\t1\n");
  EXPECT_EQ(r.err,
            "pseudobulk: 6 cells in 4 groups by donor,cluster, 2 features; columns not constant within groups, "
            "left out: depth\n");
  // Nothing but the two files.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(Path("pb")), std::filesystem::directory_iterator()), 2);
  // --quiet: no summary; an existing directory is reused.
  const CliResult quiet = RunCli(Run("--by donor --quiet --out " + Path("pb")));
  ASSERT_EQ(quiet.exit_status, 0) << quiet.err;
  EXPECT_TRUE(quiet.err.empty()) << quiet.err;
  EXPECT_EQ(ReadWholeFile(Path("pb/counts.tsv")), "feature\ts1\ts2\ng1\t8\t13\ng2\t1\t2\n");
}

TEST_F(PseudobulkCommandTest, AnAnnDataObsIsTheCellSheet) {
  const CliResult r = RunCli("pseudobulk --counts " + SourcePath("tests/data/h5/x_csr.h5ad") +
                             " --by condition --quiet --out " + Path("pb"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const std::string counts = ReadWholeFile(Path("pb/counts.tsv"));
  // tests/data/h5/counts.tsv: gene0 is 4 0 2 5 5 4 over cells 0…5; even cells untreated.
  // Groups follow the obs categories' order (untreated, treated).
  EXPECT_EQ(counts.substr(0, counts.find('\n', counts.find('\n') + 1) + 1), "feature\tuntreated\ttreated\ngene0\t11\t9\n");
  EXPECT_NE(ReadWholeFile(Path("pb/samples.tsv")).find("\tn_cells\n"), std::string::npos);
}

TEST_F(PseudobulkCommandTest, BadInputExitsTwoWithOneLineAndWritesNothing) {
  WriteText(Path("n_cells.tsv"), "cell\tdonor\tn_cells\nc1\ts1\t1\nc2\ts1\t1\nc3\ts1\t1\nc4\ts1\t1\nc5\ts1\t1\nc6\ts1\t1\n");
  WriteText(Path("few.tsv"), "cell\tdonor\nc1\ts1\nc2\ts1\n");
  WriteText(Path("na.tsv"), "cell\tdonor\nc1\ts1\nc2\tNA\nc3\ts1\nc4\ts1\nc5\ts1\nc6\ts1\n");
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {Run("--by sample"), "--by: 'sample': unknown column of " + Path("cells.tsv") + " (columns: donor, cluster, age, depth)"},
      {Run("--by donor,,cluster"), "nbglm: error: --by: donor,,cluster: an empty column name\n"},
      {Run("--by donor,donor"), "--by: donor: names a column twice"},
      {Run(""), "--by is required"},
      {"pseudobulk --counts " + Path("counts.tsv") + " --by donor",
       "nbglm: error: --samples: missing: pseudobulk needs one row per cell"},
      {"pseudobulk --counts " + Path("counts.tsv") + " --samples " + Path("n_cells.tsv") + " --by donor",
       "--samples " + Path("n_cells.tsv") + ": column 'n_cells': is reserved for the number of cells of a group"},
      {"pseudobulk --counts " + Path("counts.tsv") + " --samples " + Path("few.tsv") + " --by donor",
       "--samples " + Path("few.tsv") + ": observations c3, c4, c5, c6: are not rows of the sample sheet"},
      {"pseudobulk --counts " + Path("counts.tsv") + " --samples " + Path("na.tsv") + " --by donor",
       Path("na.tsv") + ":3: column 'donor': missing value: every cell needs a --by value"},
      {"pseudobulk --counts " + Path("none.tsv") + " --samples " + Path("cells.tsv") + " --by donor",
       "--counts: Path does not exist"},
      {Run("--by donor --layer counts"), "layer 'counts': layers exist only in AnnData (.h5ad) inputs"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const CliResult r = RunCli(c.args + " --out " + Path("out"));
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("nbglm: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(Path("out")));
  }
}

}  // namespace
}  // namespace nbglm::testing
