#include "nbglm/pseudobulk.h"

#include <gtest/gtest.h>

#include "de/de_reference.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

SampleTable Sheet(const std::string& text) {
  return MakeSampleTable(ParseTextTable(text, "cells.tsv"));
}

TEST(PseudobulkTest, SumsCellsPerGroupInLevelOrderWithConstantColumns) {
  // 5 cells (counts in another order than the sheet), 2 features.
  const CountMatrix counts = CountMatrix::FromDense(Matrix({{1, 2, 3, 4, 5}, {0, 10, 0, 20, 7}}), {"g1", "g2"},
                                                    {"c1", "c2", "c3", "c4", "c5"});
  const SampleTable sheet = Sheet(
      "cell\tdonor\tcluster\tdepth\n"
      "c5\td2\tB\t50\n"
      "c1\td1\tA\t10\n"
      "c2\td1\tA\t20\n"
      "c3\td2\tA\t30\n"
      "c4\td1\tB\t40\n");
  const PseudobulkResult result = Pseudobulk(counts, sheet, {"donor", "cluster"});
  EXPECT_EQ(result.counts.observation_names(), std::vector<std::string>({"d1_A", "d1_B", "d2_A", "d2_B"}));
  std::vector<double> g1(4), g2(4);
  result.counts.CopyFeature(0, g1.data());
  result.counts.CopyFeature(1, g2.data());
  EXPECT_EQ(g1, std::vector<double>({3, 4, 3, 5}));
  EXPECT_EQ(g2, std::vector<double>({10, 20, 0, 7}));
  EXPECT_EQ(result.sample_columns, std::vector<std::string>({"donor", "cluster", "n_cells"}));
  EXPECT_EQ(result.dropped_columns, std::vector<std::string>({"depth"}));
  EXPECT_EQ(result.SamplesTsv(),
            "sample\tdonor\tcluster\tn_cells\nd1_A\td1\tA\t2\nd1_B\td1\tB\t1\nd2_A\td2\tA\t1\nd2_B\td2\tB\t1\n");
}

TEST(PseudobulkTest, RefusesBadGroupings) {
  const CountMatrix counts = CountMatrix::FromDense(Matrix({{1, 2}}), {}, {"c1", "c2"});
  const SampleTable sheet = Sheet("cell\tdonor\nc1\td1\nc2\tNA\n");
  EXPECT_THROW(Pseudobulk(counts, sheet, {}), InputError);
  EXPECT_THROW(Pseudobulk(counts, sheet, {"donor", "donor"}), InputError);
  EXPECT_THROW(Pseudobulk(counts, sheet, {"batch"}), InputError);
  EXPECT_THROW(Pseudobulk(counts, sheet, {"donor"}), InputError);  // a missing value
  EXPECT_THROW(Pseudobulk(counts, Sheet("cell\tdonor\nc1\td1\nc3\td1\n"), {"donor"}), InputError);  // other cells
  EXPECT_THROW(Pseudobulk(counts, Sheet("cell\tn_cells\nc1\t1\nc2\t1\n"), {"n_cells"}), InputError);
  const CountMatrix big = CountMatrix::FromDense(Matrix({{2147483647, 1}}), {}, {"c1", "c2"});
  EXPECT_THROW(Pseudobulk(big, Sheet("cell\tdonor\nc1\td1\nc2\td1\n"), {"donor"}), InputError);
}

TEST(PseudobulkTest, KangEqualsMuscatsPseudobulk) {
  // ../shared/data/kang_muscat ships muscat's aggregateData sums (cluster ×
  // sample) as pseudobulk_counts.tsv, columns named "<cluster>__<sample>"
  // with spaces as underscores and "+" as "pos".
  const std::string dir = de::testing::SharedData("kang_muscat");
  const PseudobulkResult ours =
      Pseudobulk(ReadCounts(dir), ReadSampleTable(dir + "/cells.tsv"), {"cluster_id", "sample_id"});
  const CountMatrix theirs = ReadCounts(dir + "/pseudobulk_counts.tsv");
  ASSERT_EQ(ours.counts.num_observations(), theirs.num_observations());
  ASSERT_EQ(ours.counts.feature_names(), theirs.feature_names());
  std::vector<double> a(static_cast<std::size_t>(ours.counts.num_observations()));
  std::vector<double> b(a.size());
  for (Index g = 0; g < ours.counts.num_observations(); ++g) {
    const std::string& name = ours.counts.observation_names()[static_cast<std::size_t>(g)];
    std::string muscat;
    for (char c : name) muscat += c == ' ' ? std::string("_") : c == '+' ? std::string("pos") : std::string(1, c);
    const std::size_t split = muscat.rfind('_');
    muscat = muscat.substr(0, split) + "__" + muscat.substr(split + 1);
    const auto& names = theirs.observation_names();
    const auto found = std::find(names.begin(), names.end(), muscat);
    ASSERT_NE(found, names.end()) << muscat;
    const Index column = found - names.begin();
    for (Index f = 0; f < ours.counts.num_features(); ++f) {
      ours.counts.CopyFeature(f, a.data());
      theirs.CopyFeature(f, b.data());
      ASSERT_EQ(a[static_cast<std::size_t>(g)], b[static_cast<std::size_t>(column)]) << name << " feature " << f;
    }
  }
}

}  // namespace
}  // namespace nbglm
