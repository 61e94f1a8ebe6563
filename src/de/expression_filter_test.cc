// FilterByExpression (nbglm/de.h): edgeR's filterByExpr rule of docs/de.md
// "Filtering" — the CPM cutoff at the median library size, the smallest group
// size from the design's leverage, large_n / min_prop, the total count, the
// tolerance at exact boundaries — against edgeR 3.40.2, and its refusals.
#include "nbglm/de.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/error.h"

namespace nbglm {
namespace {

// Features × observations from rows.
CountMatrix Counts(const std::vector<std::vector<double>>& rows) {
  Matrix y = Matrix::from_shape({rows.size(), rows[0].size()});
  for (std::size_t f = 0; f < rows.size(); ++f) {
    for (std::size_t i = 0; i < rows[f].size(); ++i) y(f, i) = rows[f][i];
  }
  return CountMatrix::FromDense(y);
}

Matrix Design(const std::vector<std::vector<double>>& rows) {
  Matrix x = Matrix::from_shape({rows.size(), rows[0].size()});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < rows[i].size(); ++j) x(i, j) = rows[i][j];
  }
  return x;
}

std::vector<bool> Flags(const std::vector<int>& values) { return std::vector<bool>(values.begin(), values.end()); }

// Six observations, groups A (1–3) and B (4–6), library sizes 100, 200, 300,
// 300, 1000, 1000 (median 300: a count passes with y/lib ≥ 10/300, i.e.
// ≥ 3.33, 6.67, 10, 10, 33.3, 33.3). The first row fills the libraries.
// In R:
//   y <- rbind(high = c(50, 60, 70, 80, 90, 100), zero = rep(0, 6),
//              inB3 = c(0, 0, 0, 40, 40, 40), inB2 = c(0, 0, 0, 40, 40, 0),
//              edge = c(0, 7, 10, 10, 0, 0), edge9 = c(0, 7, 10, 9, 0, 0),
//              below = c(3, 6, 9, 9, 33, 33), t25 = c(1, 2, 22, 0, 0, 0),
//              t24 = c(1, 2, 21, 0, 0, 0))
//   y <- rbind(filler = c(100, 200, 300, 300, 1000, 1000) - colSums(y), y)
//   g <- factor(c("A", "A", "A", "B", "B", "B")); t <- c(1, 2, 3, 5, 8, 13)
const std::vector<std::vector<double>> kSixObservations = {
    {45, 116, 158, 112, 797, 827}, {50, 60, 70, 80, 90, 100}, {0, 0, 0, 0, 0, 0},
    {0, 0, 0, 40, 40, 40},         {0, 0, 0, 40, 40, 0},      {0, 7, 10, 10, 0, 0},
    {0, 7, 10, 9, 0, 0},           {3, 6, 9, 9, 33, 33},      {1, 2, 22, 0, 0, 0},
    {1, 2, 21, 0, 0, 0}};

Matrix TwoGroups() { return Design({{1, 0}, {1, 0}, {1, 0}, {1, 1}, {1, 1}, {1, 1}}); }

TEST(FilterByExpressionTest, TwoGroupsOfThreeAsEdgeR) {
  const CountMatrix counts = Counts(kSixObservations);
  // filterByExpr(y, design = model.matrix(~g)): k = 3 observations at the
  // CPM cutoff; `edge` reaches it exactly in observations 3 and 4 (10/300).
  const std::vector<bool> expected = Flags({1, 1, 0, 1, 0, 1, 0, 0, 0, 0});
  EXPECT_EQ(FilterByExpression(counts, TwoGroups()), expected);
  // filterByExpr(y, design = model.matrix(~0 + g)): the same groups without
  // an intercept column (the leverage of [1, X̃] is that of X̃).
  EXPECT_EQ(FilterByExpression(counts, Design({{1, 0}, {1, 0}, {1, 0}, {0, 1}, {0, 1}, {0, 1}})), expected);
  // No design columns: one group of six, every observation must pass.
  // filterByExpr(y, design = model.matrix(~1, data.frame(t)))
  EXPECT_EQ(FilterByExpression(counts, Matrix::from_shape({6, 0})), Flags({1, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(FilterByExpressionTest, OptionsAsEdgeRArguments) {
  const CountMatrix counts = Counts(kSixObservations);
  // filterByExpr(y, design = model.matrix(~g), min.count = 2, min.total.count = 25):
  // the cutoff drops to 2/300 per count (`below` passes); t25 has the total
  // 25 exactly, t24 one less.
  DeOptions options;
  options.min_count = 2.0;
  options.min_total_count = 25.0;
  EXPECT_EQ(FilterByExpression(counts, TwoGroups(), options), Flags({1, 1, 0, 1, 0, 1, 1, 1, 1, 0}));
  // The same with min.total.count = 24: t24 failed by its total alone.
  options.min_total_count = 24.0;
  EXPECT_EQ(FilterByExpression(counts, TwoGroups(), options), Flags({1, 1, 0, 1, 0, 1, 1, 1, 1, 1}));
}

TEST(FilterByExpressionTest, NumericCovariateUsesTheLargestLeverage) {
  // filterByExpr(y, design = model.matrix(~t)), t = 1, 2, 3, 5, 8, 13:
  // 1/max(hat(model.matrix(~t))) = 1.339207, so 2 observations suffice.
  const Matrix design = Design({{1, 1}, {1, 2}, {1, 3}, {1, 5}, {1, 8}, {1, 13}});
  EXPECT_EQ(FilterByExpression(Counts(kSixObservations), design), Flags({1, 1, 0, 1, 1, 1, 1, 0, 0, 0}));
}

// Thirty observations of library size 1000, two groups of 15: row m holds 10
// (the cutoff exactly) in its first m observations and 0 in the others.
// In R:
//   m <- c(9, 10, 13, 14, 15, 30)
//   y <- t(sapply(m, function(k) c(rep(10, k), rep(0, 30 - k))))
//   y <- rbind(filler = 1000 - colSums(y), y); g <- factor(rep(c("A", "B"), each = 15))
TEST(FilterByExpressionTest, LargeGroupsMoveTowardsLargeN) {
  const std::vector<int> reached = {9, 10, 13, 14, 15, 30};
  std::vector<std::vector<double>> rows(1, std::vector<double>(30, 1000.0));
  for (int m : reached) {
    std::vector<double> row(30, 0.0);
    for (int i = 0; i < m; ++i) {
      row[static_cast<std::size_t>(i)] = 10.0;
      rows[0][static_cast<std::size_t>(i)] -= 10.0;
    }
    rows.push_back(row);
  }
  std::vector<std::vector<double>> x;
  for (int i = 0; i < 30; ++i) x.push_back({1.0, i < 15 ? 0.0 : 1.0});
  const CountMatrix counts = Counts(rows);
  // filterByExpr(y, design = model.matrix(~g)): k = 10 + (15 − 10)·0.7 = 13.5.
  EXPECT_EQ(FilterByExpression(counts, Design(x)), Flags({1, 0, 0, 0, 1, 1, 1}));
  // filterByExpr(y, design = model.matrix(~g), large.n = 5, min.prop = 0.5):
  // k = 5 + (15 − 5)·0.5 = 10.
  DeOptions options;
  options.large_n = 5.0;
  options.min_prop = 0.5;
  EXPECT_EQ(FilterByExpression(counts, Design(x), options), Flags({1, 0, 1, 1, 1, 1, 1}));
}

TEST(FilterByExpressionTest, SparseStorageGivesTheSameFlags) {
  // Library sizes come from the observation totals whatever the storage.
  const CountMatrix dense = Counts(kSixObservations);
  std::vector<std::int64_t> offsets = {0};
  std::vector<std::int32_t> columns;
  std::vector<double> values;
  for (const std::vector<double>& row : kSixObservations) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (row[i] != 0.0) {
        columns.push_back(static_cast<std::int32_t>(i));
        values.push_back(row[i]);
      }
    }
    offsets.push_back(static_cast<std::int64_t>(values.size()));
  }
  const CountMatrix sparse = CountMatrix::FromCsr(static_cast<Index>(kSixObservations.size()), 6, offsets, columns,
                                                  values);
  EXPECT_EQ(FilterByExpression(sparse, TwoGroups()), FilterByExpression(dense, TwoGroups()));
}

TEST(FilterByExpressionTest, RefusesADesignOfAnotherLength) {
  const CountMatrix counts = Counts(kSixObservations);
  try {
    FilterByExpression(counts, Design({{1, 0}, {1, 1}, {1, 1}}));
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("3 design rows: expected 6 (the counts' observations)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace nbglm
