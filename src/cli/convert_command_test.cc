// `nbglm convert` through the binary (docs/cli.md "convert"): a converted
// file fits exactly as its source, and bad options exit 2 with one line and
// nothing written.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli_runner.h"

namespace nbglm::testing {
namespace {

TEST(ConvertCommandTest, AConvertedFileFitsAsItsSource) {
  const std::string dir = MakeTempDir("convert");
  const std::string source = std::string(NBGLM_SOURCE_DIR) + "/examples/snippets";
  // 40 features of the notebook's design, simulated.
  ASSERT_EQ(RunCli("simulate --features 40 --loc-design " + source + "/design.tsv --seed 2 --out " + dir + "/sim")
                .exit_status,
            0);
  const CliResult convert =
      RunCli("convert --counts " + dir + "/sim/counts.mtx --memory-budget 1 --out " + dir + "/c.h5ad");
  ASSERT_EQ(convert.exit_status, 0) << convert.err;
  EXPECT_EQ(convert.err, "convert: 40 features x 2000 observations written to " + dir + "/c.h5ad\n");
  const std::string fit = " --loc-design " + source + "/design.tsv --loc-constraints " + source +
                          "/constraints.tsv --threads 2 --quiet --out ";
  ASSERT_EQ(RunCli("fit --counts " + dir + "/sim/counts.mtx" + fit + dir + "/from_mtx").exit_status, 0);
  ASSERT_EQ(RunCli("fit --counts " + dir + "/c.h5ad" + fit + dir + "/from_h5ad").exit_status, 0);
  for (const char* file : {"loc_coef.tsv", "loc_se.tsv", "scale_coef.tsv", "feature_stats.tsv",
                           "reduced_covariance.tsv"}) {
    EXPECT_EQ(ReadWholeFile(dir + "/from_mtx/" + file), ReadWholeFile(dir + "/from_h5ad/" + file)) << file;
  }
  std::filesystem::remove_all(dir);
}

TEST(ConvertCommandTest, RefusalsWriteNothing) {
  const std::string dir = MakeTempDir("convert");
  WriteText(dir + "/c.tsv", "gene\ta\tb\ng1\t1\t2\ng2\t0\t-1\n");
  const CliResult bad = RunCli("convert --counts " + dir + "/c.tsv --out " + dir + "/x.h5ad");
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_NE(bad.err.find("counts must be non-negative integers"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.h5ad"));
  const CliResult budget = RunCli("convert --counts " + dir + "/c.tsv --memory-budget 0 --out " + dir + "/x.h5ad");
  EXPECT_EQ(budget.exit_status, 2);
  EXPECT_EQ(budget.err, "nbglm: error: --memory-budget: 0: must be >= 1 (MiB)\n");
  const CliResult out = RunCli("convert --counts " + dir + "/c.tsv --out " + dir + "/no_dir/x.h5ad");
  EXPECT_EQ(out.exit_status, 2);
  EXPECT_EQ(out.err.rfind("nbglm: error: --out", 0), 0u) << out.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nbglm::testing
