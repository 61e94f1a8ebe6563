// Counts in a caller's arrays: every layout and element type reads as the
// same CountMatrix, in any feature range; broken arrays are refused with the
// element named.
#include "io/array_counts.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

// 4 observations × 3 features, as AnnData holds it.
const std::vector<std::vector<double>> kObsByFeature = {{1, 0, 2}, {0, 3, 0}, {4, 0, 0}, {0, 5, 6}};

CountMatrix Expected() {
  Matrix dense = Matrix::from_shape({3, 4});
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t f = 0; f < 3; ++f) dense(f, i) = kObsByFeature[i][f];
  }
  return CountMatrix::FromDense(dense, {"g1", "g2", "g3"}, {"a", "b", "c", "d"});
}

std::vector<double> Values(const CountMatrix& m) {
  std::vector<double> out(static_cast<std::size_t>(m.num_features() * m.num_observations()));
  for (Index f = 0; f < m.num_features(); ++f) m.CopyFeature(f, out.data() + f * m.num_observations());
  return out;
}

CountArrayView BaseView() {
  CountArrayView view;
  view.num_features = 3;
  view.num_observations = 4;
  view.feature_names = {"g1", "g2", "g3"};
  view.observation_names = {"a", "b", "c", "d"};
  view.what = "X";
  return view;
}

void ExpectReadsAsExpected(const CountArrayView& view) {
  const CountMatrix expected = Expected();
  const CountReader reader(view);
  const CountMatrix all = reader.Read(0, 3);
  EXPECT_EQ(reader.ObservationTotals(), (std::vector<double>{3, 3, 4, 11}));
  EXPECT_EQ(all.feature_names(), expected.feature_names());
  EXPECT_EQ(all.observation_names(), expected.observation_names());
  EXPECT_EQ(Values(all), Values(expected));
  const CountMatrix middle = reader.Read(1, 2);
  std::vector<double> row(4);
  middle.CopyFeature(0, row.data());
  EXPECT_EQ(row, (std::vector<double>{0, 3, 0, 5}));
}

TEST(ArrayCounts, DenseObservationRowsOfEveryType) {
  std::vector<float> f32;
  std::vector<std::uint16_t> u16;
  std::vector<std::int64_t> i64;
  for (const auto& row : kObsByFeature) {
    for (const double v : row) {
      f32.push_back(static_cast<float>(v));
      u16.push_back(static_cast<std::uint16_t>(v));
      i64.push_back(static_cast<std::int64_t>(v));
    }
  }
  CountArrayView view = BaseView();
  view.layout = CountArrayView::Layout::kDenseObservationRows;
  view.values = f32.data();
  view.value_type = ElementType::kFloat32;
  ExpectReadsAsExpected(view);
  view.values = u16.data();
  view.value_type = ElementType::kUint16;
  ExpectReadsAsExpected(view);
  view.values = i64.data();
  view.value_type = ElementType::kInt64;
  ExpectReadsAsExpected(view);
}

TEST(ArrayCounts, DenseFeatureRows) {
  std::vector<double> values;
  for (std::size_t f = 0; f < 3; ++f) {
    for (std::size_t i = 0; i < 4; ++i) values.push_back(kObsByFeature[i][f]);
  }
  CountArrayView view = BaseView();
  view.layout = CountArrayView::Layout::kDenseFeatureRows;
  view.values = values.data();
  ExpectReadsAsExpected(view);
}

TEST(ArrayCounts, CompressedByObservationAndByFeature) {
  // scipy CSR of the 4 × 3 matrix, with an explicit zero in row c.
  const std::vector<float> csr_data = {1, 2, 3, 4, 0, 5, 6};
  const std::vector<std::int32_t> csr_indices = {0, 2, 1, 0, 2, 1, 2};
  const std::vector<std::int32_t> csr_indptr = {0, 2, 3, 5, 7};
  CountArrayView view = BaseView();
  view.layout = CountArrayView::Layout::kCompressedByObservation;
  view.values = csr_data.data();
  view.value_type = ElementType::kFloat32;
  view.num_entries = 7;
  view.indices = csr_indices.data();
  view.index_type = ElementType::kInt32;
  view.offsets = csr_indptr.data();
  view.offset_type = ElementType::kInt32;
  ExpectReadsAsExpected(view);
  // scipy CSC (compressed by feature), observations unsorted in feature g1.
  const std::vector<std::int64_t> csc_data = {4, 1, 3, 5, 2, 6};
  const std::vector<std::uint32_t> csc_indices = {2, 0, 1, 3, 0, 3};
  const std::vector<std::int64_t> csc_indptr = {0, 2, 4, 6};
  view.layout = CountArrayView::Layout::kCompressedByFeature;
  view.values = csc_data.data();
  view.value_type = ElementType::kInt64;
  view.num_entries = 6;
  view.indices = csc_indices.data();
  view.index_type = ElementType::kUint32;
  view.offsets = csc_indptr.data();
  view.offset_type = ElementType::kInt64;
  ExpectReadsAsExpected(view);
}

// A compressed-by-observation array is read by binary search within each
// observation when its indices are sorted there, by a pass over every entry
// when not: both give every feature range exactly.
TEST(ArrayCounts, EveryFeatureRangeOfSortedAndUnsortedCsr) {
  constexpr int kObservations = 37, kFeatures = 29;
  std::vector<std::vector<double>> dense(kObservations, std::vector<double>(kFeatures, 0.0));
  std::vector<double> data;
  std::vector<std::int64_t> indices, indptr = {0};
  unsigned state = 7;
  for (int i = 0; i < kObservations; ++i) {
    for (int f = 0; f < kFeatures; ++f) {
      state = state * 1103515245u + 12345u;
      if ((state >> 16) % 4 != 0) continue;
      const double value = static_cast<double>((state >> 8) % 5);  // explicit zeros too
      dense[static_cast<std::size_t>(i)][static_cast<std::size_t>(f)] = value;
      data.push_back(value);
      indices.push_back(f);
    }
    indptr.push_back(static_cast<std::int64_t>(data.size()));
  }
  CountArrayView view;
  view.num_features = kFeatures;
  view.num_observations = kObservations;
  view.layout = CountArrayView::Layout::kCompressedByObservation;
  view.value_type = ElementType::kFloat64;
  view.index_type = ElementType::kInt64;
  view.offset_type = ElementType::kInt64;
  view.num_entries = static_cast<std::int64_t>(data.size());
  view.what = "X";
  std::vector<double> unsorted_data = data;
  std::vector<std::int64_t> unsorted_indices = indices;
  for (int i = 0; i < kObservations; ++i) {  // reverse each observation's entries
    const auto b = static_cast<std::ptrdiff_t>(indptr[static_cast<std::size_t>(i)]);
    const auto e = static_cast<std::ptrdiff_t>(indptr[static_cast<std::size_t>(i) + 1]);
    std::reverse(unsorted_data.begin() + b, unsorted_data.begin() + e);
    std::reverse(unsorted_indices.begin() + b, unsorted_indices.begin() + e);
  }
  for (const bool sorted : {true, false}) {
    SCOPED_TRACE(sorted ? "sorted" : "unsorted");
    view.values = sorted ? data.data() : unsorted_data.data();
    view.indices = sorted ? indices.data() : unsorted_indices.data();
    view.offsets = indptr.data();
    const CountReader reader(view);
    for (Index begin = 0; begin < kFeatures; begin += 3) {
      for (Index end = begin + 1; end <= kFeatures; end += 5) {
        const CountMatrix range = reader.Read(begin, end);
        std::vector<double> row(kObservations);
        for (Index f = begin; f < end; ++f) {
          range.CopyFeature(f - begin, row.data());
          for (int i = 0; i < kObservations; ++i) {
            ASSERT_EQ(row[static_cast<std::size_t>(i)], dense[static_cast<std::size_t>(i)][static_cast<std::size_t>(f)])
                << "feature " << f << " observation " << i << " of [" << begin << ", " << end << ")";
          }
        }
      }
    }
  }
}

TEST(ArrayCounts, RefusesBrokenArraysNamingTheElement) {
  std::vector<double> data = {1, 2, 3, 4, 5, 6};
  std::vector<std::int32_t> indices = {0, 2, 1, 0, 1, 2};
  std::vector<std::int64_t> indptr = {0, 2, 3, 4, 6};
  CountArrayView view = BaseView();
  view.layout = CountArrayView::Layout::kCompressedByObservation;
  view.values = data.data();
  view.num_entries = 6;
  view.indices = indices.data();
  view.offsets = indptr.data();
  EXPECT_EQ(Message([&] { CountReader{view}; }), "no InputError");
  data[4] = 0.5;
  EXPECT_EQ(Message([&] { CountReader{view}; }), "X.data[4]: 0.5: counts must be non-negative integers");
  data[4] = 5;
  indices[5] = 3;
  EXPECT_EQ(Message([&] { CountReader{view}; }), "X.indices[5]: 3: indices lie in [0, 3)");
  indices[5] = 2;
  indptr[2] = 1;
  EXPECT_EQ(Message([&] { CountReader{view}; }), "X.indptr[2]: 1: offsets never decrease (previous 2)");
  indptr[2] = 3;
  indices[1] = 0;  // observation a holds g1 twice
  EXPECT_EQ(Message([&] { CountReader(view).Read(0, 3); }),
            "X.indices[1]: 0: feature 0 is stored twice for observation 0 (a duplicated entry)");
  indices[1] = 2;
  view.observation_names = {"a", "b"};
  EXPECT_EQ(Message([&] { CountReader{view}; }), "X: 2 observation names: the counts have 4 observations");
  view.observation_names = {"a", "b", "a", "d"};
  EXPECT_EQ(Message([&] { CountReader{view}; }), "X: observation name 'a': observation names must be unique");
  view.observation_names.clear();
  view.indices = nullptr;
  EXPECT_EQ(Message([&] { CountReader{view}; }),
            "X: no indices or offsets: a compressed count view needs values, indices and offsets");
  std::vector<double> dense = {1, 0, 2, 0, 3, 0, 4, 0, -1, 0, 5, 6};
  CountArrayView dense_view = BaseView();
  dense_view.layout = CountArrayView::Layout::kDenseObservationRows;
  dense_view.values = dense.data();
  EXPECT_EQ(Message([&] { CountReader{dense_view}; }), "X[2, 2]: -1: counts must be non-negative integers");
}

}  // namespace
}  // namespace nbglm
