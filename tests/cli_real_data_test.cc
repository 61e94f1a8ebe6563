// Real data from the command line. Issue 6: airway (63,677 genes, 30,208 of
// them all zero) with `~ cell + dex`. Issue 4, on the whole pasilla table
// (../shared/data/pasilla, 14,599 genes × 7 samples):
//
//   nbglm fit --counts pasilla/counts.tsv --samples pasilla/samples.tsv
//             --loc "~ type + condition" --ref condition=untreated --out F
//   nbglm test --fit F --coef conditiontreated --out T.tsv
//
// checked against the exact NB MLE reference of tests/data/reference (R:
// MASS::glm.nb polished to machine precision; make_nb_reference.R) on its 300
// genes: without size factors (pasilla_nosf_*) and with DESeq2's median of
// ratios (--size-factors ratio; pasilla_*). Also: computed size factors
// against DESeq2's (make_size_factor_reference.R), and size factors taken
// from a sample-sheet column (docs/cli.md --size-factors COLUMN).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "cli_runner.h"
#include "nbglm/counts_io.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

using testing::CliResult;
using testing::MakeTempDir;
using testing::ReadWholeFile;
using testing::RunCli;
using testing::WriteText;

const std::string kSource = NBGLM_SOURCE_DIR;
const std::string kPasilla = kSource + "/../shared/data/pasilla";
const std::string kReference = kSource + "/tests/data/reference";

double Number(const std::string& text) {
  if (text == "NaN") return NAN;
  return text == "Inf" ? INFINITY : text == "-Inf" ? -INFINITY : std::stod(text);
}

// Rows of a TSV keyed by their first column.
std::map<std::string, std::vector<std::string>> ByFeature(const std::string& path) {
  const TextTable table = ReadTextTable(path);
  std::map<std::string, std::vector<std::string>> rows;
  for (const auto& row : table.rows) rows[row[0]] = row;
  return rows;
}

class CliPasillaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("pasilla");
    ASSERT_FALSE(dir_.empty());
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Fits the whole table with the issue's formula, tests conditiontreated, and
  // compares with `reference` (a make_nb_reference.R output): every
  // reference gene with status ok to 1e-6 (coefficients, log r, Wald
  // estimate = the coefficient with a finite standard error); every gene
  // whose reference r diverges (the Poisson limit) at_bound with log r = Inf
  // and the location to 1e-6.
  void FitTestAndCompare(const std::string& size_factors, const std::string& reference) {
    CliResult r = RunCli("fit --quiet --counts " + kPasilla + "/counts.tsv --samples " + kPasilla +
                         "/samples.tsv --loc '~ type + condition' --ref condition=untreated" + size_factors +
                         " --out " + Path("fit"));
    ASSERT_EQ(r.exit_status, 0) << r.err;
    r = RunCli("test --quiet --fit " + Path("fit") + " --coef conditiontreated --out " + Path("wald.tsv"));
    ASSERT_EQ(r.exit_status, 0) << r.err;
    const auto loc = ByFeature(Path("fit/loc_coef.tsv"));
    const auto scale = ByFeature(Path("fit/scale_coef.tsv"));
    const auto stats = ByFeature(Path("fit/feature_stats.tsv"));
    const auto wald = ByFeature(Path("wald.tsv"));
    EXPECT_EQ(loc.size(), 14599u);
    const TextTable ref = ReadTextTable(reference);
    ASSERT_EQ(ref.header[1], "(Intercept)");
    ASSERT_EQ(ref.header[3], "conditiontreated");
    ASSERT_EQ(ref.header[5], "loglik");
    int ok = 0, poisson = 0;
    for (const auto& row : ref.rows) {
      const std::string& gene = row[0];
      SCOPED_TRACE(gene + " (reference " + row[6] + ")");
      ASSERT_EQ(loc.count(gene), 1u);
      const double log_r = Number(row[4]);
      if (row[6] == "ok") {
        ++ok;
        EXPECT_EQ(stats.at(gene)[2], "converged");
        for (int j = 1; j <= 3; ++j) EXPECT_NEAR(Number(loc.at(gene)[j]), Number(row[j]), 1e-6) << ref.header[j];
        EXPECT_NEAR(Number(scale.at(gene)[1]), log_r, 1e-6);
        EXPECT_NEAR(Number(stats.at(gene)[1]), Number(row[5]), 1e-9 * std::abs(Number(row[5])));
        EXPECT_NEAR(Number(wald.at(gene)[1]), Number(row[3]), 1e-6);
        EXPECT_TRUE(std::isfinite(Number(wald.at(gene)[2])));
      } else if (row[6] == "theta_diverged") {
        ++poisson;
        EXPECT_EQ(stats.at(gene)[2], "at_bound");
        EXPECT_EQ(scale.at(gene)[1], "Inf");
        for (int j = 1; j <= 3; ++j) EXPECT_NEAR(Number(loc.at(gene)[j]), Number(row[j]), 1e-6) << ref.header[j];
        EXPECT_NEAR(Number(stats.at(gene)[1]), Number(row[5]), 1e-9 * std::abs(Number(row[5])));
      }
    }
    EXPECT_GT(ok, 200);
    EXPECT_GT(poisson, 20);
  }

  std::string dir_;
};

TEST_F(CliPasillaTest, IssueCommandLineWithoutSizeFactorsMatchesExactReference) {
  FitTestAndCompare("", kReference + "/pasilla_nosf_reference.tsv");
}

TEST_F(CliPasillaTest, MedianOfRatiosSizeFactorsMatchExactReference) {
  FitTestAndCompare(" --size-factors ratio", kReference + "/pasilla_reference.tsv");
  // The factors used are DESeq2's.
  const auto used = ByFeature(Path("fit/size_factors.tsv"));
  const auto deseq2 = ByFeature(kReference + "/pasilla_size_factors.tsv");
  for (const auto& [sample, row] : deseq2) EXPECT_NEAR(Number(used.at(sample)[1]), Number(row[1]), 1e-14) << sample;
}

// A numeric sample-sheet column gives the same fit as the same factors in a
// file; a non-numeric column, a misspelt method or a missing column are
// caller mistakes (exit 2, one line naming --size-factors).
TEST_F(CliPasillaTest, SizeFactorsFromASampleSheetColumn) {
  const TextTable sheet = ReadTextTable(kPasilla + "/samples.tsv");
  std::string with_column = "sample";
  for (std::size_t j = 1; j < sheet.header.size(); ++j) with_column += "\t" + sheet.header[j];
  with_column += "\tsf\tlabel\n";
  std::string file = "observation\tsize_factor\n";
  for (std::size_t i = 0; i < sheet.rows.size(); ++i) {
    const std::string factor = std::to_string(0.6 + 0.1 * static_cast<double>(i));
    for (const std::string& cell : sheet.rows[i]) with_column += cell + "\t";
    with_column += factor + "\tx" + std::to_string(i) + "\n";
    file += sheet.rows[i][0] + "\t" + factor + "\n";
  }
  WriteText(Path("samples.tsv"), with_column);
  WriteText(Path("sf.tsv"), file);
  const std::string common = "fit --quiet --counts " + kPasilla + "/counts.tsv --samples " + Path("samples.tsv") +
                             " --loc '~ type + condition' --features 0:500";
  CliResult r = RunCli(common + " --size-factors sf --out " + Path("by_column"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  r = RunCli(common + " --size-factors " + Path("sf.tsv") + " --out " + Path("by_file"));
  ASSERT_EQ(r.exit_status, 0) << r.err;
  for (const char* name : {"loc_coef.tsv", "scale_coef.tsv", "loc_se.tsv", "feature_stats.tsv", "size_factors.tsv"}) {
    EXPECT_EQ(ReadWholeFile(Path("by_column/") + name), ReadWholeFile(Path("by_file/") + name)) << name;
  }
  const struct {
    std::string value, message;
  } bad[] = {
      {"label", "nbglm: error: --size-factors: label: column of " + Path("samples.tsv") + " is factor"},
      {"ratios", "nbglm: error: --size-factors: ratios: not a file, not a column of " + Path("samples.tsv") +
                     ", and not ratio, poscounts or total"},
  };
  for (const auto& c : bad) {
    r = RunCli(common + " --size-factors " + c.value + " --out " + Path("bad"));
    EXPECT_EQ(r.exit_status, 2) << c.value;
    EXPECT_EQ(r.err.rfind(c.message, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(Path("bad")));
  }
}

// ratio, poscounts and total against DESeq2 1.38 (and colSums over their
// geometric mean) on pasilla and bottomly.
TEST(SizeFactorsTest, ComputedFactorsEqualDeseq2) {
  for (const std::string name : {"pasilla", "bottomly"}) {
    SCOPED_TRACE(name);
    const CountMatrix counts = ReadCounts(kSource + "/../shared/data/" + name + "/counts.tsv");
    const TextTable expected = ReadTextTable(kReference + "/size_factors_" + name + ".tsv");
    ASSERT_EQ(expected.rows.size(), static_cast<std::size_t>(counts.num_observations()));
    for (std::size_t method = 1; method <= 3; ++method) {
      const Vector factors = ComputeSizeFactors(counts, expected.header[method]);
      for (std::size_t i = 0; i < expected.rows.size(); ++i) {
        ASSERT_EQ(expected.rows[i][0], counts.observation_names()[i]);
        EXPECT_NEAR(factors(i), std::stod(expected.rows[i][method]), 1e-13 * std::stod(expected.rows[i][method]))
            << expected.header[method] << " " << expected.rows[i][0];
      }
    }
  }
}

// airway, `~ cell + dex`: every all-zero gene is reported all_zero (with NaN
// estimates and log-likelihood), and no converged gene has a NaN or infinite
// estimate or standard error.
TEST(CliRealDataTest, AirwayAllZeroGenesAndNoNaNAmongConvergedOnes) {
  const std::string dir = MakeTempDir("airway");
  const std::string airway = kSource + "/../shared/data/airway";
  const CliResult r = RunCli("fit --quiet --counts " + airway + "/counts.tsv --samples " + airway +
                             "/samples.tsv --loc '~ cell + dex' --out " + dir + "/fit");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const CountMatrix counts = ReadCounts(airway + "/counts.tsv");
  const TextTable stats = ReadTextTable(dir + "/fit/feature_stats.tsv");
  ASSERT_EQ(stats.rows.size(), static_cast<std::size_t>(counts.num_features()));
  std::vector<TextTable> tables;
  for (const char* name : {"loc_coef.tsv", "scale_coef.tsv", "loc_se.tsv", "scale_se.tsv"}) {
    tables.push_back(ReadTextTable(dir + "/fit/" + name));
  }
  int all_zero = 0, converged = 0;
  for (std::size_t f = 0; f < stats.rows.size(); ++f) {
    const std::string& status = stats.rows[f][2];
    if (counts.FeatureIsAllZero(static_cast<Index>(f))) {
      EXPECT_EQ(status, "all_zero") << stats.rows[f][0];
      EXPECT_EQ(stats.rows[f][1], "NaN");
      ++all_zero;
    } else {
      EXPECT_NE(status, "all_zero") << stats.rows[f][0];
    }
    if (status != "converged") continue;
    ++converged;
    EXPECT_TRUE(std::isfinite(Number(stats.rows[f][1]))) << stats.rows[f][0];
    for (const TextTable& table : tables) {
      for (std::size_t j = 1; j < table.header.size(); ++j) {
        EXPECT_TRUE(std::isfinite(Number(table.rows[f][j]))) << stats.rows[f][0] << " " << table.path;
      }
    }
  }
  EXPECT_EQ(all_zero, 30208);
  EXPECT_GT(converged, 10000);
}

}  // namespace
}  // namespace nbglm
