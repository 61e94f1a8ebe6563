// The mean–dispersion trend of the DE layer (docs/de.md "Trend"): a local
// weighted median of the per-feature dispersion estimates along the features
// ordered by mean, as glmGamPoi's loc_median_fit (fraction 0.1, Gaussian
// weights over ±3 standard deviations of the window, no interpolation).
// A median, not a regression: it is robust to the many estimates at the
// Poisson limit (φ = 0) that few samples produce and to a tail of outliers.
// Internal header.
#ifndef NBGLM_SRC_DE_DISPERSION_TREND_H_
#define NBGLM_SRC_DE_DISPERSION_TREND_H_

#include <vector>

#include "nbglm/types.h"

namespace nbglm::de {

// The weighted median of values with positive weights: the smallest value
// whose cumulative weight (values sorted) reaches half the total; when it
// reaches exactly half, the mean of it and the next larger value. Reorders
// `items` (value, weight). Empty input: NaN.
double WeightedMedian(std::vector<std::pair<double, double>>* items);

// For each point, the weighted median of y over the `npoints` points nearest
// in the order of x (a window of 2·⌊npoints/2⌋ + 1 ranks centred on the
// point; Gaussian weights dnorm(seq(−3, 3))). Points within half a window of
// either end take the value of the first / last full window. Fewer points
// than one window: one weighted median of all of them. Ties in x are ordered
// by index (a stable sort). x and y of equal length; returns that length.
std::vector<double> LocalMedianFit(const std::vector<double>& x, const std::vector<double>& y, Index npoints);

// The trend of the DE pipeline: LocalMedianFit over the points with
// used[k] (npoints DefaultTrendPoints of their number), and for every other
// point with a finite x the value of the nearest used point in x (the lower
// one on a tie). Points whose estimate is not trusted for the trend — a
// location at a bound, where a group of zeros leaves fewer effective
// observations — thus get a trend without shaping it. Fewer than 1 used
// point: all NaN.
std::vector<double> DispersionTrend(const std::vector<double>& x, const std::vector<double>& y,
                                    const std::vector<bool>& used);

// npoints of glmGamPoi's glm_gp: max(0.1·count, 100), at most count.
Index DefaultTrendPoints(Index count);

}  // namespace nbglm::de

#endif  // NBGLM_SRC_DE_DISPERSION_TREND_H_
