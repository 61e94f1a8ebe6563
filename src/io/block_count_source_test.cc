// BlockCountSource over an in-memory store (docs/formats.md "HDF5 inputs",
// docs/api.md "Counts in memory"): the four layouts read as the same counts,
// Open's checks and their messages, duplicates, the dense storage rule, and
// reads of only what a range needs.
#include "io/block_count_source.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

using Layout = BlockCountSource::Layout;

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

// A store held in vectors: dense values (rows × columns, row-major) or
// compressed entries (values, indices, offsets).
class VectorSource : public BlockCountSource {
 public:
  VectorSource(Layout layout, Index features, Index observations, std::vector<double> values,
               std::vector<std::int64_t> indices = {}, std::vector<std::int64_t> offsets = {})
      : values_(std::move(values)), indices_(std::move(indices)) {
    layout_ = layout;
    num_features_ = features;
    num_observations_ = observations;
    description_ = "vectors";
    what_ = "X";
    for (Index f = 0; f < features; ++f) feature_names_.push_back("g" + std::to_string(f));
    for (Index i = 0; i < observations; ++i) observation_names_.push_back("c" + std::to_string(i));
    if (is_dense()) {
      values_name_ = "X";
    } else {
      values_name_ = "X.data";
      indices_name_ = "X.indices";
      offsets_name_ = "X.indptr";
      offsets_ = std::move(offsets);
      num_entries_ = static_cast<std::int64_t>(values_.size());
    }
    Open();
  }
  // What Read may meet when the store changes after opening.
  std::vector<double>& values() { return values_; }
  std::vector<std::int64_t>& indices() { return indices_; }
  mutable std::int64_t entries_read = 0;

 protected:
  void ReadEntries(std::int64_t first, std::int64_t count, double* values, std::int64_t* indices) const override {
    entries_read += count;
    for (std::int64_t k = 0; k < count; ++k) {
      values[k] = values_[static_cast<std::size_t>(first + k)];
      indices[k] = indices_[static_cast<std::size_t>(first + k)];
    }
  }
  void ReadDenseBlock(std::int64_t row, std::int64_t rows, std::int64_t column, std::int64_t columns,
                      double* out) const override {
    const std::int64_t width = layout_ == Layout::kDenseObservationRows ? num_features_ : num_observations_;
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < columns; ++c) {
        out[r * columns + c] = values_[static_cast<std::size_t>((row + r) * width + column + c)];
      }
    }
  }

 private:
  std::vector<double> values_;
  std::vector<std::int64_t> indices_;
};

// Counts, features × observations (4 × 3): g2 all zero, c1 all zero.
const std::vector<std::vector<double>> kCounts = {{1, 0, 3}, {0, 0, 7}, {0, 0, 0}, {5, 0, 2}};

// kCounts in each layout. The compressed ones store an explicit zero and
// entries out of order within a row / column.
VectorSource Make(Layout layout) {
  switch (layout) {
    case Layout::kDenseObservationRows:  // observations × features
      return VectorSource(layout, 4, 3, {1, 0, 0, 5, 0, 0, 0, 0, 3, 7, 0, 2});
    case Layout::kDenseFeatureRows:
      return VectorSource(layout, 4, 3, {1, 0, 3, 0, 0, 7, 0, 0, 0, 5, 0, 2});
    case Layout::kByObservation:  // c0: g3 5, g0 1; c1: g2 0 (explicit); c2: g1 7, g0 3, g3 2
      return VectorSource(layout, 4, 3, {5, 1, 0, 7, 3, 2}, {3, 0, 2, 1, 0, 3}, {0, 2, 3, 6});
    case Layout::kByFeature:  // g0: c2 3, c0 1; g1: c2 7; g2: c1 0 (explicit); g3: c0 5, c2 2
      return VectorSource(layout, 4, 3, {3, 1, 7, 0, 5, 2}, {2, 0, 2, 1, 0, 2}, {0, 2, 3, 4, 6});
  }
  throw std::logic_error("layout");
}

std::vector<std::vector<double>> Dense(const CountMatrix& m) {
  std::vector<std::vector<double>> out;
  for (Index f = 0; f < m.num_features(); ++f) {
    out.emplace_back(static_cast<std::size_t>(m.num_observations()));
    m.CopyFeature(f, out.back().data());
  }
  return out;
}

class BlockCountLayoutTest : public ::testing::TestWithParam<Layout> {};

TEST_P(BlockCountLayoutTest, EveryLayoutReadsAsTheSameCounts) {
  const VectorSource source = Make(GetParam());
  EXPECT_EQ(source.num_features(), 4);
  EXPECT_EQ(source.num_observations(), 3);
  EXPECT_EQ(source.layout(), GetParam());
  EXPECT_EQ(source.is_dense(), GetParam() == Layout::kDenseObservationRows || GetParam() == Layout::kDenseFeatureRows);
  EXPECT_EQ(source.description(), "vectors");
  // Non-zeros per feature and totals per observation, explicit zeros not counted.
  EXPECT_EQ(source.nonzeros(), (std::vector<std::uint32_t>{2, 1, 0, 2}));
  EXPECT_EQ(source.observation_totals(), (std::vector<double>{6, 0, 12}));
  const CountMatrix all = source.Read(0, 4);
  EXPECT_EQ(Dense(all), kCounts);
  EXPECT_EQ(all.feature_names(), (std::vector<std::string>{"g0", "g1", "g2", "g3"}));
  EXPECT_EQ(all.observation_names(), (std::vector<std::string>{"c0", "c1", "c2"}));
  // Compressed layouts give CSR; dense ones keep 7 of 12 zeros (≤ 70 %) dense.
  EXPECT_EQ(all.is_sparse(), !source.is_dense());
  for (Index begin = 0; begin < 4; ++begin) {
    for (Index end = begin + 1; end <= 4; ++end) {
      const CountMatrix part = source.Read(begin, end);
      ASSERT_EQ(part.num_features(), end - begin);
      EXPECT_EQ(Dense(part), std::vector<std::vector<double>>(kCounts.begin() + begin, kCounts.begin() + end));
      EXPECT_EQ(part.feature_names().front(), "g" + std::to_string(begin));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, BlockCountLayoutTest,
                         ::testing::Values(Layout::kDenseObservationRows, Layout::kDenseFeatureRows,
                                           Layout::kByObservation, Layout::kByFeature));

TEST(BlockCountSourceTest, DenseRangeIsSparseAboveSeventyPercentZeros) {
  // One feature over 10 observations: 3 non-zeros (70 % zeros) stay dense, 2 do not.
  std::vector<double> three(10, 0.0), two(10, 0.0);
  three[1] = three[4] = three[9] = 2;
  two[4] = two[9] = 1;
  EXPECT_FALSE(VectorSource(Layout::kDenseFeatureRows, 1, 10, three).Read(0, 1).is_sparse());
  const CountMatrix sparse = VectorSource(Layout::kDenseFeatureRows, 1, 10, two).Read(0, 1);
  EXPECT_TRUE(sparse.is_sparse());
  EXPECT_EQ(Dense(sparse), (std::vector<std::vector<double>>{two}));
  // The rule applies to the range read: g2 alone (all zero) is sparse, g0 alone is not.
  const VectorSource source = Make(Layout::kDenseObservationRows);
  EXPECT_TRUE(source.Read(2, 3).is_sparse());
  EXPECT_FALSE(source.Read(0, 1).is_sparse());
  EXPECT_TRUE(source.Read(1, 3).is_sparse());  // 5 of 6 zeros
}

TEST(BlockCountSourceTest, ByFeatureReadsOnlyTheRange) {
  const VectorSource source = Make(Layout::kByFeature);
  source.entries_read = 0;
  source.Read(3, 4);
  EXPECT_EQ(source.entries_read, 2);
  source.entries_read = 0;
  source.Read(1, 3);
  EXPECT_EQ(source.entries_read, 2);
  // By observation, every entry is streamed whatever the range.
  const VectorSource by_observation = Make(Layout::kByObservation);
  by_observation.entries_read = 0;
  by_observation.Read(1, 2);
  EXPECT_EQ(by_observation.entries_read, 6);
}

TEST(BlockCountSourceTest, DuplicatedEntriesAreRefusedOnRead) {
  // c1 stores g1 twice (not adjacent within the observation).
  const VectorSource csr(Layout::kByObservation, 3, 2, {1, 2, 3, 4}, {0, 1, 2, 1}, {0, 1, 4});
  EXPECT_EQ(csr.nonzeros(), (std::vector<std::uint32_t>{1, 2, 1}));
  EXPECT_EQ(Message([&] { csr.Read(0, 3); }),
            "X.indices[3]: 1: feature 1 is stored twice for observation 1 (a duplicated entry)");
  // Features without the duplicate read fine.
  EXPECT_EQ(Dense(csr.Read(2, 3)), (std::vector<std::vector<double>>{{0, 3}}));
  // g1 stores c2 twice, out of order.
  const VectorSource csc(Layout::kByFeature, 2, 3, {1, 2, 3, 4}, {0, 2, 1, 2}, {0, 1, 4});
  EXPECT_EQ(Message([&] { csc.Read(0, 2); }), "X.indices: feature 1: observation 2 is stored twice (a duplicated entry)");
  EXPECT_EQ(Dense(csc.Read(0, 1)), (std::vector<std::vector<double>>{{1, 0, 0}}));
  // A duplicate of an explicit zero is only a zero: dropped, not refused.
  const VectorSource zero_twice(Layout::kByFeature, 1, 2, {0, 5, 0}, {0, 1, 0}, {0, 3});
  EXPECT_EQ(Dense(zero_twice.Read(0, 1)), (std::vector<std::vector<double>>{{0, 5}}));
}

TEST(BlockCountSourceTest, OpenChecksOffsets) {
  EXPECT_EQ(Message([] { VectorSource(Layout::kByObservation, 2, 3, {1}, {0}, {0, 0, 1}); }),
            "X.indptr: 3 offsets: expected 4 (one more than the 3 compressed rows or columns)");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByFeature, 2, 3, {1}, {0}, {0, 1}); }),
            "X.indptr: 2 offsets: expected 3 (one more than the 2 compressed rows or columns)");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByFeature, 2, 3, {1, 1}, {0, 1}, {1, 1, 2}); }),
            "X.indptr[0]: 1: offsets start at 0");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByObservation, 2, 3, {1, 1, 1}, {0, 1, 0}, {0, 2, 1, 3}); }),
            "X.indptr[2]: 1: offsets never decrease (previous 2)");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByObservation, 2, 3, {1, 1, 1}, {0, 1, 0}, {0, 1, 2, 2}); }),
            "X.indptr[3]: 2: the last offset equals the number of stored values, 3");
  // No entries at all is a valid (all-zero) store.
  const VectorSource empty(Layout::kByFeature, 2, 3, {}, {}, {0, 0, 0});
  EXPECT_EQ(empty.observation_totals(), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(Dense(empty.Read(0, 2)), (std::vector<std::vector<double>>{{0, 0, 0}, {0, 0, 0}}));
}

TEST(BlockCountSourceTest, OpenChecksIndicesAndValuesNamingTheElement) {
  // By observation the indices are features (2 of them); by feature, observations (3).
  EXPECT_EQ(Message([] { VectorSource(Layout::kByObservation, 2, 3, {1, 1, 1}, {0, 1, 2}, {0, 1, 2, 3}); }),
            "X.indices[2]: 2: indices lie in [0, 2)");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByFeature, 2, 3, {1, 1, 1}, {0, -1, 2}, {0, 1, 3}); }),
            "X.indices[1]: -1: indices lie in [0, 3)");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByFeature, 2, 3, {1, 0.5}, {0, 1}, {0, 1, 2}); }),
            "X.data[1]: 0.5: counts must be non-negative integers");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByFeature, 2, 3, {std::nan(""), 1}, {0, 1}, {0, 1, 2}); }),
            "X.data[0]: NaN: counts must be non-negative integers");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByObservation, 2, 3, {-1}, {0}, {0, 1, 1, 1}); }),
            "X.data[0]: -1: counts must be non-negative integers");
  EXPECT_EQ(Message([] { VectorSource(Layout::kByObservation, 2, 3, {2147483648.0}, {0}, {0, 1, 1, 1}); }),
            "X.data[0]: 2147483648: counts must not exceed 2147483647");
  // The largest count is accepted and summed exactly.
  const VectorSource largest(Layout::kByObservation, 2, 1, {kMaxCount, kMaxCount}, {0, 1}, {0, 2});
  EXPECT_EQ(largest.observation_totals(), (std::vector<double>{2 * kMaxCount}));
  // Dense values are named by their row and column in the store.
  EXPECT_EQ(Message([] { VectorSource(Layout::kDenseObservationRows, 2, 3, {0, 1, 2, 3, 4, -5}); }),
            "X[2, 1]: -5: counts must be non-negative integers");
  EXPECT_EQ(Message([] {
              VectorSource(Layout::kDenseFeatureRows, 2, 3, {0, 1, 2, 3, std::numeric_limits<double>::infinity(), 5});
            }),
            "X[1, 1]: Inf: counts must be non-negative integers");
}

TEST(BlockCountSourceTest, CountsChangedAfterOpeningAreRefused) {
  // A zero became a count: the feature has more non-zeros than Open counted.
  VectorSource dense(Layout::kDenseFeatureRows, 1, 10, std::vector<double>(10, 0.0));
  dense.values()[3] = 1;
  EXPECT_EQ(Message([&] { dense.Read(0, 1); }), "X: changed while read: the counts were modified during the run");
  VectorSource csr = Make(Layout::kByObservation);
  csr.values()[2] = 4;  // the explicit zero of g2
  EXPECT_EQ(Message([&] { csr.Read(2, 3); }), "X.data: changed while read: the counts were modified during the run");
  VectorSource csc = Make(Layout::kByFeature);
  csc.indices()[4] = 3;  // g3's c0 → beyond the observations
  EXPECT_EQ(Message([&] { csc.Read(3, 4); }), "X.data: changed while read: the counts were modified during the run");
}

TEST(BlockCountSourceTest, EntriesStreamAcrossBlocks) {
  // More entries than one block (2^20), nearly all explicit zeros, with
  // counts on both sides of the block boundary B: the observation of an entry
  // is followed across blocks. CSR over 2 features × 3 observations: c0
  // holds [0, B + 2), c1 [B + 2, B + 4), c2 [B + 4, B + 5).
  const std::int64_t b = kCountBlockElements;
  std::vector<double> values(static_cast<std::size_t>(b + 5), 0.0);
  std::vector<std::int64_t> indices(static_cast<std::size_t>(b + 5), 0);
  const auto set = [&](std::int64_t at, std::int64_t feature, double value) {
    indices[static_cast<std::size_t>(at)] = feature;
    values[static_cast<std::size_t>(at)] = value;
  };
  set(b - 1, 1, 4);  // last of the first block
  set(b, 0, 5);      // first of the second
  set(b + 2, 0, 7);
  set(b + 3, 1, 0);
  set(b + 4, 1, 9);
  const VectorSource csr(Layout::kByObservation, 2, 3, std::move(values), std::move(indices), {0, b + 2, b + 4, b + 5});
  EXPECT_EQ(csr.nonzeros(), (std::vector<std::uint32_t>{2, 2}));
  EXPECT_EQ(csr.observation_totals(), (std::vector<double>{9, 7, 9}));
  EXPECT_EQ(Dense(csr.Read(0, 2)), (std::vector<std::vector<double>>{{5, 7, 0}, {4, 0, 9}}));
}

}  // namespace
}  // namespace nbglm
