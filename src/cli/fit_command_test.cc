// The command-line contract of `nbglm fit` (docs/cli.md): output files, and
// bad input exits 2 with one line and writes nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "nbglm/table.h"

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
      {"size mismatch", "gene\to1\to2\to3\ng1\t1\t2\t3\n", design, "", "3 observations: --loc-design " + Path("d.tsv") + " has 'o4', not in the counts"},
      {"negative", "gene\to1\to2\to3\to4\ng1\t1\t-2\t3\t4\n", design, "", "counts must be non-negative integers"},
      {"non-integer", "gene\to1\to2\to3\to4\ng1\t1\t2.5\t3\t4\n", design, "", "counts must be non-negative integers"},
      {"nan", "gene\to1\to2\to3\to4\ng1\t1\tNaN\t3\t4\n", design, "", "counts must be non-negative integers"},
      {"rank deficient", "gene\to1\to2\to3\to4\ng1\t1\t2\t3\t4\n",
       "observation\ta\tb\no1\t1\t1\no2\t1\t1\no3\t1\t1\no4\t1\t1\n", "", "not identifiable"},
      {"unknown observation", "gene\to1\to2\to3\tzz\ng1\t1\t2\t3\t4\n", design, "", "observations 'zz' are not in --loc-design"},
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

// A 10^5-feature input fitted in chunks under a small memory budget
// (--memory-budget 4: counts of ~2 MiB at a time, each chunk read with one
// more pass over the file) gives exactly the single-chunk outputs.
TEST_F(CliFitTest, ChunkedFitOfAHundredThousandFeaturesEqualsTheWholeFit) {
  const int features = 100000, observations = 12;
  std::mt19937_64 rng(4);
  std::int64_t entries = 0;
  std::string body;
  for (int f = 1; f <= features; ++f) {
    const double mean = std::exp(std::uniform_real_distribution<double>(-2.0, 4.0)(rng));
    for (int i = 1; i <= observations; ++i) {
      const long y = std::poisson_distribution<long>(mean * (i > 6 ? 1.5 : 1.0))(rng);
      if (y == 0) continue;
      body += std::to_string(f) + " " + std::to_string(i) + " " + std::to_string(y) + "\n";
      ++entries;
    }
  }
  WriteText(Path("big.mtx"), "%%MatrixMarket matrix coordinate integer general\n" + std::to_string(features) + " " +
                                 std::to_string(observations) + " " + std::to_string(entries) + "\n" + body);
  std::string design = "observation\t(Intercept)\tb\n";
  for (int i = 0; i < observations; ++i) design += "obs_" + std::to_string(i) + "\t1\t" + (i >= 6 ? "1" : "0") + "\n";
  WriteText(Path("big_design.tsv"), design);
  const std::string common = "fit --quiet --counts " + Path("big.mtx") + " --loc-design " + Path("big_design.tsv") +
                             " --size-factors total --out ";
  CliResult r = RunCli(common + Path("whole"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  r = RunCli(common + Path("chunked") + " --memory-budget 4");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  for (const char* name : {"loc_coef.tsv", "scale_coef.tsv", "loc_se.tsv", "scale_se.tsv", "reduced_covariance.tsv",
                           "size_factors.tsv"}) {
    EXPECT_EQ(ReadWholeFile(Path("whole/") + name), ReadWholeFile(Path("chunked/") + name)) << name;
  }
  const TextTable whole = ReadTextTable(Path("whole/feature_stats.tsv"));
  const TextTable chunked = ReadTextTable(Path("chunked/feature_stats.tsv"));
  ASSERT_EQ(whole.rows.size(), static_cast<std::size_t>(features));
  ASSERT_EQ(chunked.rows.size(), whole.rows.size());
  for (std::size_t f = 0; f < whole.rows.size(); ++f) {
    ASSERT_EQ(std::vector<std::string>(whole.rows[f].begin(), whole.rows[f].begin() + 4),
              std::vector<std::string>(chunked.rows[f].begin(), chunked.rows[f].begin() + 4));
  }
  EXPECT_EQ(ReadWholeFile(Path("chunked/summary.json")).find("\"chunks\": \"1\""), std::string::npos);
  EXPECT_NE(ReadWholeFile(Path("whole/summary.json")).find("\"chunks\": \"1\""), std::string::npos);
}

// --noise poisson: the Poisson GLM, its scale reported at the limit (log r =
// Inf, standard error NaN), recorded for `nbglm test` whose likelihood-ratio
// refit is then Poisson too; refused with a scale model or Cox-Reid.
TEST_F(CliFitTest, PoissonNoiseFitsAndTests) {
  WriteText(Path("samples.tsv"), "sample\tb\no1\tx\no2\tx\no3\ty\no4\ty\n");
  const std::string common = "fit --quiet --counts " + Path("counts.tsv") + " --samples " + Path("samples.tsv") +
                             " --loc '~ b' --noise poisson --out ";
  CliResult r = RunCli(common + Path("poisson"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const std::string scale = ReadWholeFile(Path("poisson/scale_coef.tsv"));
  EXPECT_EQ(scale, "feature\t(Intercept)\ng1\tInf\ng2\tNaN\ng3\tInf\n");
  EXPECT_NE(ReadWholeFile(Path("poisson/summary.json")).find("\"noise\": \"poisson\""), std::string::npos);
  // g1: 5, 7 | 30, 41 — the Poisson MLE of the effect is log(71/12) exactly.
  const std::string loc = ReadWholeFile(Path("poisson/loc_coef.tsv"));
  const std::size_t g1 = loc.find("g1\t");
  ASSERT_NE(g1, std::string::npos);
  const double effect = std::stod(loc.substr(loc.find('\t', g1 + 3) + 1));
  EXPECT_NEAR(effect, std::log(71.0 / 12.0), 1e-9);
  r = RunCli("test --fit " + Path("poisson") + " --reduced-loc '~ 1' --out " + Path("lrt.tsv"));
  ASSERT_EQ(r.exit_status, 0) << r.err;

  r = RunCli(common + Path("bad") + " --scale '~ b'");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("--noise: poisson: has no overdispersion to model"), std::string::npos) << r.err;
  r = RunCli(common + Path("bad") + " --scale-estimate cox-reid");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("--scale-estimate: cox-reid"), std::string::npos) << r.err;
  r = RunCli("fit --quiet --counts " + Path("counts.tsv") + " --loc-design " + Path("design.tsv") +
             " --noise zinb --out " + Path("bad"));
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_NE(r.err.find("--noise: zinb: must be nb or poisson"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(Path("bad")));
}

}  // namespace
}  // namespace nbglm::testing
