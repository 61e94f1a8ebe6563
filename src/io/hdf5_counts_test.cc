// HDF5 counts and AnnData obs, on fixtures written by anndata 0.8 and h5py
// (tests/data/h5/make_h5.py): every layout reads as counts.tsv / samples.tsv.
#include "io/hdf5_counts.h"

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/sample_table.h"

namespace nbglm {
namespace {

const std::string kDir = std::string(NBGLM_SOURCE_DIR) + "/tests/data/h5/";

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

// Dense copy of a matrix, feature-major.
std::vector<double> Values(const CountMatrix& m) {
  std::vector<double> out(static_cast<std::size_t>(m.num_features() * m.num_observations()));
  for (Index f = 0; f < m.num_features(); ++f) m.CopyFeature(f, out.data() + f * m.num_observations());
  return out;
}

void ExpectSameCounts(const CountMatrix& expected, const CountMatrix& actual) {
  EXPECT_EQ(expected.feature_names(), actual.feature_names());
  EXPECT_EQ(expected.observation_names(), actual.observation_names());
  EXPECT_EQ(Values(expected), Values(actual));
}

class Hdf5LayoutTest : public ::testing::TestWithParam<const char*> {};

TEST_P(Hdf5LayoutTest, ReadsAsTheTable) {
  const CountMatrix expected = ReadCounts(kDir + "counts.tsv");
  const std::string path = kDir + GetParam();
  const bool layer = std::string(GetParam()) == "layer.h5ad";
  const CountReader reader(path, CountFormat::kDetect, layer ? "counts" : "");
  ASSERT_EQ(reader.num_features(), 7);
  ASSERT_EQ(reader.num_observations(), 6);
  ExpectSameCounts(expected, reader.Read(0, reader.num_features()));
  const Vector totals = expected.ObservationTotals();
  EXPECT_EQ(reader.ObservationTotals(), std::vector<double>(totals.begin(), totals.end()));
  if (!layer) ExpectSameCounts(expected, ReadCounts(path));
  // Any feature range reads as the same rows of the whole.
  const CountMatrix part = reader.Read(2, 5);
  ASSERT_EQ(part.num_features(), 3);
  std::vector<double> row(6), whole(6);
  for (Index f = 0; f < 3; ++f) {
    part.CopyFeature(f, row.data());
    expected.CopyFeature(f + 2, whole.data());
    EXPECT_EQ(row, whole) << GetParam() << " feature " << f + 2;
  }
  EXPECT_EQ(part.feature_names()[0], "gene2");
  // Chunks planned from the per-feature counts cover the input.
  const auto chunks = PlanFeatureChunks(reader, 0, reader.num_features(), 60);
  EXPECT_GT(chunks.size(), 1u);
  EXPECT_EQ(chunks.front().first, 0);
  EXPECT_EQ(chunks.back().second, 7);
}

INSTANTIATE_TEST_SUITE_P(Layouts, Hdf5LayoutTest,
                         ::testing::Values("x_csr.h5ad", "x_csc.h5ad", "x_dense.h5ad", "layer.h5ad", "tenx_v3.h5",
                                           "tenx_v2.h5"));

TEST(Hdf5CountSource, DescribesItsLayout) {
  EXPECT_EQ(Hdf5CountSource(kDir + "x_csr.h5ad", "").description(), "AnnData X (CSR)");
  EXPECT_EQ(Hdf5CountSource(kDir + "x_csc.h5ad", "").layout(), BlockCountSource::Layout::kByFeature);
  EXPECT_EQ(Hdf5CountSource(kDir + "x_dense.h5ad", "").layout(), BlockCountSource::Layout::kDenseObservationRows);
  EXPECT_EQ(Hdf5CountSource(kDir + "layer.h5ad", "counts").description(), "AnnData layer 'counts' (CSR)");
  EXPECT_EQ(Hdf5CountSource(kDir + "tenx_v3.h5", "").description(), "10x Cell Ranger HDF5");
  EXPECT_EQ(Hdf5CountSource(kDir + "tenx_v2.h5", "").description(), "10x Cell Ranger 2 HDF5");
}

TEST(Hdf5CountSource, RefusesWhatItCannotRead) {
  // X of normalised values is not counts; the layer is.
  EXPECT_NE(Message([] { ReadCounts(kDir + "layer.h5ad"); }).find("layer.h5ad:/X[0, 0]: "), std::string::npos);
  EXPECT_NE(Message([] { ReadCounts(kDir + "layer.h5ad"); }).find("counts must be non-negative integers"),
            std::string::npos);
  EXPECT_EQ(Message([] { CountReader(kDir + "layer.h5ad", CountFormat::kDetect, "raw"); }),
            kDir + "layer.h5ad:/layers/raw: no such layer: layers of this file: counts");
  EXPECT_EQ(Message([] { CountReader(kDir + "tenx_v3.h5", CountFormat::kDetect, "counts"); }),
            kDir + "tenx_v3.h5: layer 'counts': layers exist only in AnnData (.h5ad) files, this has no /obs and /var");
  EXPECT_EQ(Message([] { CountReader(kDir + "counts.tsv", CountFormat::kDetect, "counts"); }),
            kDir + "counts.tsv: layer 'counts': layers exist only in AnnData (.h5ad) inputs");
  EXPECT_EQ(Message([] { CountReader(kDir + "counts.tsv", CountFormat::kHdf5); }),
            kDir + "counts.tsv: not an HDF5 file: .h5ad / .h5 inputs are HDF5 files (AnnData or 10x Cell Ranger)");
  EXPECT_EQ(Message([] { CountReader(kDir + "missing.h5ad"); }),
            kDir + "missing.h5ad: no such file: an HDF5 input must exist and be readable");
}

TEST(H5adObs, TypesColumnsAsTheFileDeclaresThem) {
  const SampleTable obs = ReadSampleTable(kDir + "x_csr.h5ad");
  const SampleTable tsv = ReadSampleTable(kDir + "samples.tsv");
  EXPECT_EQ(obs.observation_names, tsv.observation_names);
  ASSERT_EQ(obs.columns.size(), 5u);
  // Categories in the file's order; the unused one dropped.
  const SampleColumn& condition = obs.Get("condition", "test");
  EXPECT_EQ(condition.type, SampleColumnType::kFactor);
  EXPECT_EQ(condition.levels, (std::vector<std::string>{"untreated", "treated"}));
  EXPECT_EQ(condition.level_codes, (std::vector<int>{0, 1, 0, 1, 0, 1}));
  // Numbers as categories stay a factor (the TSV's donor is numeric).
  const SampleColumn& donor = obs.Get("donor", "test");
  EXPECT_EQ(donor.type, SampleColumnType::kFactor);
  EXPECT_EQ(donor.levels, (std::vector<std::string>{"101", "102", "103"}));
  EXPECT_EQ(tsv.Get("donor", "test").type, SampleColumnType::kNumeric);
  // Numbers and booleans as a TSV types them.
  for (const char* name : {"depth", "n", "flag"}) {
    const SampleColumn& a = obs.Get(name, "test");
    const SampleColumn& b = tsv.Get(name, "test");
    EXPECT_EQ(a.type, b.type) << name;
    EXPECT_EQ(a.is_integer, b.is_integer) << name;
    EXPECT_EQ(a.numbers, b.numbers) << name;
    EXPECT_EQ(a.levels, b.levels) << name;
    EXPECT_EQ(a.level_codes, b.level_codes) << name;
  }
  EXPECT_EQ(obs.Where(2), kDir + "x_csr.h5ad:/obs:3");
  EXPECT_EQ(Message([] { ReadSampleTable(kDir + "tenx_v3.h5"); }),
            kDir + "tenx_v3.h5:/obs: missing: a sample sheet is read from an AnnData file's obs (a 10x .h5 has none: give "
                   "--samples)");
}

}  // namespace
}  // namespace nbglm
