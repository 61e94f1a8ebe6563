// The command-line contract of `nbglm fit` (DESIGN.md §8): output files, and
// bad input exits 2 with one line and writes nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.h"

namespace nbglm::testing {
namespace {

class CliFitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("fit");
    WriteText(Path("design.tsv"), "observation\t(Intercept)\tb\no1\t1\t0\no2\t1\t0\no3\t1\t1\no4\t1\t1\n");
    WriteText(Path("counts.tsv"), "gene\to1\to2\to3\to4\ng1\t5\t7\t30\t41\ng2\t0\t0\t0\t0\ng3\t10\t12\t9\t14\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(CliFitTest, WritesEveryOutputFile) {
  const CliResult r = RunCli("fit --quiet --counts " + Path("counts.tsv") + " --loc-design " + Path("design.tsv") +
                             " --size-factors total --out " + Path("out"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  for (const char* file : {"loc_coef.tsv", "scale_coef.tsv", "loc_se.tsv", "scale_se.tsv", "feature_stats.tsv",
                           "summary.json", "size_factors.tsv"}) {
    EXPECT_TRUE(std::filesystem::exists(Path("out/") + file)) << file;
  }
  const std::string coef = ReadWholeFile(Path("out/loc_coef.tsv"));
  EXPECT_EQ(coef.substr(0, coef.find('\n')), "feature\t(Intercept)\tb");
  const std::string stats = ReadWholeFile(Path("out/feature_stats.tsv"));
  EXPECT_NE(stats.find("g2\tNaN\tall_zero\t0"), std::string::npos) << stats;
  EXPECT_NE(ReadWholeFile(Path("out/summary.json")).find("\"all_zero\": 1"), std::string::npos);
  // Nothing left behind but the outputs.
  for (const auto& entry : std::filesystem::directory_iterator(Path("out"))) {
    EXPECT_EQ(entry.path().filename().string().find(".nbglm_partial"), std::string::npos);
  }
}

TEST_F(CliFitTest, BadInputExitsTwoAndWritesNothing) {
  struct Case {
    std::string name, counts, design, extra, expected;
  };
  const std::string design = "observation\t(Intercept)\tb\no1\t1\t0\no2\t1\t0\no3\t1\t1\no4\t1\t1\n";
  const std::vector<Case> cases = {
      {"size mismatch", "gene\to1\to2\to3\ng1\t1\t2\t3\n", design, "", "3 observations: expected 4"},
      {"negative", "gene\to1\to2\to3\to4\ng1\t1\t-2\t3\t4\n", design, "", "counts must be non-negative integers"},
      {"non-integer", "gene\to1\to2\to3\to4\ng1\t1\t2.5\t3\t4\n", design, "", "counts must be non-negative integers"},
      {"nan", "gene\to1\to2\to3\to4\ng1\t1\tNaN\t3\t4\n", design, "", "counts must be non-negative integers"},
      {"rank deficient", "gene\to1\to2\to3\to4\ng1\t1\t2\t3\t4\n",
       "observation\ta\tb\no1\t1\t1\no2\t1\t1\no3\t1\t1\no4\t1\t1\n", "", "not identifiable"},
      {"unknown observation", "gene\to1\to2\to3\tzz\ng1\t1\t2\t3\t4\n", design, "", "observations zz"},
      {"bad algorithm", "gene\to1\to2\to3\to4\ng1\t1\t2\t3\t4\n", design, "--algorithm magic", "--algorithm: magic"},
      {"bad threads", "gene\to1\to2\to3\to4\ng1\t1\t2\t3\t4\n", design, "--threads -1", "--threads: -1"},
      {"bad range", "gene\to1\to2\to3\to4\ng1\t1\t2\t3\t4\n", design, "--features 5:2", "--features: 5:2"},
      {"bad size factors", "gene\to1\to2\to3\to4\ng1\t1\t2\t3\t4\n", design, "--size-factors nonsense",
       "nonsense"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WriteText(Path("c.tsv"), c.counts);
    WriteText(Path("d.tsv"), c.design);
    const std::string out = Path("out_bad");
    const CliResult r =
        RunCli("fit --quiet --counts " + Path("c.tsv") + " --loc-design " + Path("d.tsv") + " " + c.extra + " --out " + out);
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
}

}  // namespace
}  // namespace nbglm::testing
