#include "de/dispersion_trend.h"

#include <gtest/gtest.h>

#include "de/de_reference.h"

namespace nbglm::de {
namespace {

TEST(DispersionTrendTest, WeightedMedianOfSimpleCases) {
  std::vector<std::pair<double, double>> items = {{3, 1}, {1, 1}, {2, 1}};
  EXPECT_EQ(WeightedMedian(&items), 2.0);
  items = {{5, 10}, {1, 1}, {2, 1}};
  EXPECT_EQ(WeightedMedian(&items), 5.0);
  items = {{1, 1}, {4, 1}};  // exactly half at 1: the mean with the next value
  EXPECT_EQ(WeightedMedian(&items), 2.5);
  items = {{7, 1}, {7, 1}, {7, 2}};
  EXPECT_EQ(WeightedMedian(&items), 7.0);
  items.clear();
  EXPECT_TRUE(std::isnan(WeightedMedian(&items)));
}

TEST(DispersionTrendTest, LocalMedianFitEqualsGlmGamPoi) {
  const testing::ReferenceTable ref = testing::ReadReference(testing::DeData("loc_median_fit_reference.tsv"));
  const std::vector<double>& x = ref.columns.at("x");
  const std::vector<double>& y = ref.columns.at("y");
  const std::vector<double> fit50 = LocalMedianFit(x, y, 50);  // loc_median_fit's default fraction 0.1
  const std::vector<double> fit100 = LocalMedianFit(x, y, 100);
  for (std::size_t k = 0; k < x.size(); ++k) {
    EXPECT_DOUBLE_EQ(fit50[k], ref.columns.at("fit")[k]) << k;
    EXPECT_DOUBLE_EQ(fit100[k], ref.columns.at("fit_npoints_100")[k]) << k;
  }
  const testing::ReferenceTable small = testing::ReadReference(testing::DeData("loc_median_fit_small.tsv"));
  for (Index npoints : {1, 3, 7}) {
    const std::string column = npoints == 1 ? "fit7" : "fit7_npoints_" + std::to_string(npoints);
    const std::vector<double> fit = LocalMedianFit(small.columns.at("x7"), small.columns.at("y7"), npoints);
    for (std::size_t k = 0; k < fit.size(); ++k) EXPECT_DOUBLE_EQ(fit[k], small.columns.at(column)[k]) << column << k;
  }
}

TEST(DispersionTrendTest, UnusedPointsTakeTheNearestUsedValueWithoutShapingTheTrend) {
  std::vector<double> x, y;
  std::vector<bool> used;
  for (int k = 0; k < 300; ++k) {
    x.push_back(k);
    y.push_back(0.01 * (k % 7) + 0.001 * k);
    used.push_back(k % 10 != 3);
  }
  const std::vector<double> a = DispersionTrend(x, y, used);
  for (std::size_t k = 0; k < y.size(); ++k) {
    if (!used[k]) y[k] = 100.0;  // an at_bound feature's wild estimate
  }
  const std::vector<double> b = DispersionTrend(x, y, used);
  EXPECT_EQ(a, b);
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (!used[k]) {
      EXPECT_EQ(a[k], a[k - 1]) << k;  // nearest used: x − 1 (tie with x + 1 goes lower)
    }
  }
  // Only the used points enter the local median fit.
  std::vector<double> ux, uy;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (used[k]) {
      ux.push_back(x[k]);
      uy.push_back(y[k]);
    }
  }
  const std::vector<double> direct = LocalMedianFit(ux, uy, DefaultTrendPoints(static_cast<Index>(ux.size())));
  for (std::size_t k = 0, u = 0; k < x.size(); ++k) {
    if (used[k]) {
      EXPECT_EQ(a[k], direct[u++]);
    }
  }
  EXPECT_TRUE(std::isnan(DispersionTrend({1.0}, {0.5}, {false})[0]));
}

TEST(DispersionTrendTest, EdgeCases) {
  EXPECT_TRUE(LocalMedianFit({}, {}, 10).empty());
  EXPECT_EQ(LocalMedianFit({1.0}, {0.3}, 10), std::vector<double>({0.3}));
  // All at the Poisson limit: the trend is 0 everywhere.
  const std::vector<double> fit = LocalMedianFit({1, 2, 3, 4, 5}, {0, 0, 0, 0, 0}, 3);
  for (double v : fit) EXPECT_EQ(v, 0.0);
  EXPECT_EQ(DefaultTrendPoints(50), 50);
  EXPECT_EQ(DefaultTrendPoints(500), 100);
  EXPECT_EQ(DefaultTrendPoints(14599), 1459);
}

}  // namespace
}  // namespace nbglm::de
