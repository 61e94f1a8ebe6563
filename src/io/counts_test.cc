#include "nbglm/counts.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/error.h"

namespace nbglm {
namespace {

// Expects `statement` to throw InputError whose message contains `fragment`.
#define EXPECT_INPUT_ERROR(statement, fragment)                                    \
  do {                                                                             \
    try {                                                                          \
      statement;                                                                   \
      ADD_FAILURE() << "no InputError from " #statement;                           \
    } catch (const InputError& thrown) {                                           \
      EXPECT_NE(std::string(thrown.what()).find(fragment), std::string::npos)      \
          << thrown.what();                                                        \
    }                                                                              \
  } while (0)

// 3 features × 4 observations; feature 1 is all zero.
Matrix SmallCounts() { return Matrix{{0.0, 3.0, 0.0, 7.0}, {0.0, 0.0, 0.0, 0.0}, {1.0, 2.0, 5.0, 0.0}}; }

std::vector<double> Feature(const CountMatrix& counts, Index f) {
  std::vector<double> out(static_cast<std::size_t>(counts.num_observations()), -1.0);
  counts.CopyFeature(f, out.data());
  return out;
}

TEST(CountMatrixTest, DenseAccessors) {
  const CountMatrix counts = CountMatrix::FromDense(SmallCounts());
  EXPECT_FALSE(counts.is_sparse());
  EXPECT_EQ(counts.num_features(), 3);
  EXPECT_EQ(counts.num_observations(), 4);
  EXPECT_EQ(counts.feature_names(), (std::vector<std::string>{"feature_0", "feature_1", "feature_2"}));
  EXPECT_EQ(counts.observation_names(), (std::vector<std::string>{"obs_0", "obs_1", "obs_2", "obs_3"}));
  EXPECT_EQ(Feature(counts, 0), (std::vector<double>{0, 3, 0, 7}));
  EXPECT_EQ(Feature(counts, 2), (std::vector<double>{1, 2, 5, 0}));
  EXPECT_FALSE(counts.FeatureIsAllZero(0));
  EXPECT_TRUE(counts.FeatureIsAllZero(1));
  EXPECT_DOUBLE_EQ(counts.FeatureSum(0), 10.0);
  EXPECT_DOUBLE_EQ(counts.FeatureSum(1), 0.0);
  const Vector totals = counts.ObservationTotals();
  ASSERT_EQ(totals.size(), 4u);
  EXPECT_EQ(std::vector<double>(totals.begin(), totals.end()), (std::vector<double>{1, 5, 5, 7}));
  EXPECT_EQ(counts.num_stored_values(), 12);
}

TEST(CountMatrixTest, SparseAgreesWithDense) {
  const CountMatrix dense = CountMatrix::FromDense(SmallCounts(), {"a", "b", "c"}, {"w", "x", "y", "z"});
  const CountMatrix sparse = dense.ToSparse();
  EXPECT_TRUE(sparse.is_sparse());
  EXPECT_EQ(sparse.num_stored_values(), 5);
  EXPECT_EQ(sparse.row_offsets(), (std::vector<std::int64_t>{0, 2, 2, 5}));
  EXPECT_EQ(sparse.column_indices(), (std::vector<std::int32_t>{1, 3, 0, 1, 2}));
  EXPECT_EQ(sparse.feature_names(), dense.feature_names());
  EXPECT_EQ(sparse.observation_names(), dense.observation_names());
  for (Index f = 0; f < 3; ++f) {
    EXPECT_EQ(Feature(sparse, f), Feature(dense, f));
    EXPECT_EQ(sparse.FeatureIsAllZero(f), dense.FeatureIsAllZero(f));
    EXPECT_EQ(sparse.FeatureSum(f), dense.FeatureSum(f));
  }
  const Vector a = sparse.ObservationTotals();
  const Vector b = dense.ObservationTotals();
  EXPECT_EQ(std::vector<double>(a.begin(), a.end()), std::vector<double>(b.begin(), b.end()));
  const CountMatrix back = sparse.ToDense();
  EXPECT_FALSE(back.is_sparse());
  EXPECT_EQ(back.dense_counts(), dense.dense_counts());
}

TEST(CountMatrixTest, CsrWithExplicitZeroIsAllZero) {
  const CountMatrix counts = CountMatrix::FromCsr(2, 3, {0, 1, 3}, {2, 0, 1}, {0.0, 4.0, 1.0});
  EXPECT_TRUE(counts.FeatureIsAllZero(0));
  EXPECT_FALSE(counts.FeatureIsAllZero(1));
  EXPECT_EQ(Feature(counts, 1), (std::vector<double>{4, 1, 0}));
}

TEST(CountMatrixTest, RejectsInvalidCountsNamingTheEntry) {
  Matrix values = SmallCounts();
  values(2, 1) = -2.0;
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(values, {}, {}, "m"),
                     "m: feature 'feature_2', observation 'obs_1': -2: counts must be non-negative integers");
  values(2, 1) = 2.5;
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(values), "2.5: counts must be non-negative integers");
  values(2, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(values), "NaN: counts must be non-negative integers");
  values(2, 1) = std::numeric_limits<double>::infinity();
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(values), "Inf: counts must be non-negative integers");
  values(2, 1) = 2147483648.0;
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(values), "counts must not exceed 2147483647");
  values(2, 1) = kMaxCount;
  EXPECT_NO_THROW(CountMatrix::FromDense(values));
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(1, 3, {0, 1}, {1}, {-1.0}),
                     "counts: feature 'feature_0', observation 'obs_1': -1: counts must be non-negative integers");
}

TEST(CountMatrixTest, RejectsMalformedCsr) {
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(2, 3, {0, 1}, {0}, {1.0}), "2 row offsets: expected 3");
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(1, 3, {1, 1}, {0}, {1.0}), "must be 0");
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(1, 3, {0, 1}, {0, 1}, {1.0}), "2 column indices: expected 1 (one per value)");
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(1, 3, {0, 1}, {3}, {1.0}), "column index 3: must lie in [0, 3)");
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(1, 3, {0, 1}, {-1}, {1.0}), "column index -1");
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(1, 3, {0, 2}, {2, 1}, {1.0, 1.0}), "sorted, unique");
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(1, 3, {0, 2}, {1, 1}, {1.0, 1.0}), "sorted, unique");
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(2, 3, {0, 2, 1}, {0, 1}, {1.0, 1.0}), "must equal the number of values");
  EXPECT_INPUT_ERROR(CountMatrix::FromCsr(3, 3, {0, 2, 1, 2}, {0, 1}, {1.0, 1.0}), "row offsets must not decrease");
}

TEST(CountMatrixTest, ChecksNamesAndShape) {
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(SmallCounts(), {"a", "b"}), "2 feature names: expected 3");
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(SmallCounts(), {}, {"w", "x", "y"}), "3 observation names: expected 4");
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(SmallCounts(), {}, {"w", "x", "w", "z"}),
                     "observation name 'w': observation names must be unique");
  // Repeated feature names (gene symbols) are allowed.
  EXPECT_NO_THROW(CountMatrix::FromDense(SmallCounts(), {"a", "a", "b"}));
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(Matrix::from_shape({0, 4})), "at least one feature");
  EXPECT_INPUT_ERROR(CountMatrix::FromDense(Matrix::from_shape({2, 0})), "at least one observation");
}

TEST(CountMatrixTest, StorageAccessorsAndIndicesAreChecked) {
  const CountMatrix dense = CountMatrix::FromDense(SmallCounts());
  const CountMatrix sparse = dense.ToSparse();
  double out[4];
  EXPECT_INPUT_ERROR(dense.CopyFeature(3, out), "feature 3: must lie in [0, 3)");
  EXPECT_INPUT_ERROR(sparse.FeatureSum(-1), "feature -1");
  EXPECT_INPUT_ERROR(dense.row_offsets(), "dense matrix");
  EXPECT_INPUT_ERROR(sparse.dense_counts(), "sparse matrix");
}

TEST(CountMatrixTest, IsValidCountRules) {
  std::string rule;
  EXPECT_TRUE(IsValidCount(0.0, &rule));
  EXPECT_TRUE(IsValidCount(kMaxCount, &rule));
  EXPECT_FALSE(IsValidCount(-0.5, &rule));
  EXPECT_EQ(rule, "counts must be non-negative integers");
  EXPECT_FALSE(IsValidCount(1e10, &rule));
  EXPECT_EQ(rule, "counts must not exceed 2147483647");
}

}  // namespace
}  // namespace nbglm
