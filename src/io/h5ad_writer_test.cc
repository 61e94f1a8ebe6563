// WriteFeatureMajorH5ad: the file read back by CountReader holds the same
// counts and names (sparse and dense inputs, empty and all-zero features, any
// chunk size), X is CSC by feature so a feature range reads only itself, and
// a file that cannot be written leaves nothing behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

class H5adWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("h5ad_writer"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

// Feature 2 has no entries, feature 3 one explicit zero; counts up to 2^31 − 1.
const char* const kMatrixMarket =
    "%%MatrixMarket matrix coordinate integer general\n"
    "4 5 7\n"
    "1 1 3\n1 4 2147483647\n2 2 1\n2 5 7\n4 3 0\n2 1 5\n1 5 1\n";

void ExpectSameCounts(const CountMatrix& a, const CountMatrix& b) {
  ASSERT_EQ(a.num_features(), b.num_features());
  ASSERT_EQ(a.num_observations(), b.num_observations());
  EXPECT_EQ(a.feature_names(), b.feature_names());
  EXPECT_EQ(a.observation_names(), b.observation_names());
  std::vector<double> ya(static_cast<std::size_t>(a.num_observations())), yb(ya.size());
  for (Index f = 0; f < a.num_features(); ++f) {
    a.CopyFeature(f, ya.data());
    b.CopyFeature(f, yb.data());
    EXPECT_EQ(ya, yb) << "feature " << f;
  }
}

TEST_F(H5adWriterTest, RoundTripsSparseCountsInAnyChunkSize) {
  const CountReader source(kMatrixMarket, "m.mtx", /*matrix_market=*/true);
  const CountMatrix expected = source.Read(0, 4);
  for (const std::int64_t chunk_bytes : {std::int64_t{1}, std::int64_t{40}, std::int64_t{1} << 30}) {
    SCOPED_TRACE(chunk_bytes);
    const std::string path = Path("c" + std::to_string(chunk_bytes) + ".h5ad");
    WriteFeatureMajorH5ad(source, path, chunk_bytes);
    const CountReader back(path);
    ExpectSameCounts(back.Read(0, 4), expected);
    ExpectSameCounts(back.Read(1, 3), source.Read(1, 3));
    EXPECT_EQ(back.ObservationTotals(), source.ObservationTotals());
    EXPECT_FALSE(std::filesystem::exists(path + ".nbglm-tmp"));
  }
}

TEST_F(H5adWriterTest, DenseInputsAndTheirNamesRoundTrip) {
  const CountReader source("gene\ta\tb\tc\ng1\t1\t2\t3\ng2\t4\t0\t6\ng3\t0\t0\t0\n", "d.tsv", false);
  WriteFeatureMajorH5ad(source, Path("d.h5ad"));
  const CountReader back(Path("d.h5ad"));
  ExpectSameCounts(back.Read(0, 3), source.Read(0, 3));
  EXPECT_EQ(back.FeatureNames(0, 3), (std::vector<std::string>{"g1", "g2", "g3"}));
  EXPECT_EQ(back.observation_names(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(H5adWriterTest, FailuresLeaveNothing) {
  const CountReader source(kMatrixMarket, "m.mtx", true);
  const std::string path = Path("missing_dir/x.h5ad");
  try {
    WriteFeatureMajorH5ad(source, path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing_dir/x.h5ad"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".nbglm-tmp"));
  EXPECT_THROW(WriteFeatureMajorH5ad(source, Path("y.h5ad"), 0), InputError);
  EXPECT_FALSE(std::filesystem::exists(Path("y.h5ad")));
}

}  // namespace
}  // namespace nbglm
