#include "de/dispersion_trend.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace nbglm::de {

double WeightedMedian(std::vector<std::pair<double, double>>* items) {
  auto& v = *items;
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  double total = 0.0;
  for (const auto& item : v) total += item.second;
  const double half = 0.5 * total;
  // Quickselect on the values, carrying weights: O(window) per median.
  std::size_t lo = 0, hi = v.size();
  double below = 0.0;  // weight of the values left of lo
  while (hi - lo > 1) {
    const double pivot = v[lo + (hi - lo) / 2].first;
    const auto mid1 = std::partition(v.begin() + static_cast<std::ptrdiff_t>(lo), v.begin() + static_cast<std::ptrdiff_t>(hi),
                                     [pivot](const auto& item) { return item.first < pivot; });
    const auto mid2 = std::partition(mid1, v.begin() + static_cast<std::ptrdiff_t>(hi),
                                     [pivot](const auto& item) { return item.first == pivot; });
    double left = 0.0, equal = 0.0;
    for (auto it = v.begin() + static_cast<std::ptrdiff_t>(lo); it != mid1; ++it) left += it->second;
    for (auto it = mid1; it != mid2; ++it) equal += it->second;
    const std::size_t i1 = static_cast<std::size_t>(mid1 - v.begin());
    const std::size_t i2 = static_cast<std::size_t>(mid2 - v.begin());
    if (below + left >= half && i1 > lo) {
      hi = i1;
    } else if (below + left + equal >= half || i2 == hi) {
      if (below + left + equal == half && i2 < hi) {
        // Exactly half below and at the pivot: the mean with the next value.
        double next = std::numeric_limits<double>::infinity();
        for (std::size_t k = i2; k < v.size(); ++k) next = std::min(next, v[k].first);
        return 0.5 * (pivot + next);
      }
      return pivot;
    } else {
      below += left + equal;
      lo = i2;
    }
  }
  if (below + v[lo].second == half && lo + 1 < v.size()) {
    double next = std::numeric_limits<double>::infinity();
    for (std::size_t k = lo + 1; k < v.size(); ++k) next = std::min(next, v[k].first);
    return 0.5 * (v[lo].first + next);
  }
  return v[lo].first;
}

namespace {

// dnorm(seq(−3, 3, length.out = count)).
std::vector<double> GaussianWeights(Index count) {
  std::vector<double> weights(static_cast<std::size_t>(count));
  for (Index k = 0; k < count; ++k) {
    const double x = count == 1 ? -3.0 : -3.0 + 6.0 * static_cast<double>(k) / static_cast<double>(count - 1);
    weights[static_cast<std::size_t>(k)] = std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
  }
  return weights;
}

}  // namespace

std::vector<double> LocalMedianFit(const std::vector<double>& x, const std::vector<double>& y, Index npoints) {
  const Index count = static_cast<Index>(x.size());
  std::vector<double> fit(x.size(), std::numeric_limits<double>::quiet_NaN());
  if (count == 0) return fit;
  npoints = std::clamp<Index>(npoints, 1, count);
  std::vector<Index> order(x.size());
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(), [&x](Index a, Index b) { return x[static_cast<std::size_t>(a)] < x[static_cast<std::size_t>(b)]; });
  const Index half = npoints / 2;
  const Index start = half, end = count - 1 - half;  // 0-based centres of full windows
  std::vector<std::pair<double, double>> items;
  if (end < start) {
    const std::vector<double> weights = GaussianWeights(count);
    for (Index k = 0; k < count; ++k) items.emplace_back(y[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])], weights[static_cast<std::size_t>(k)]);
    const double median = WeightedMedian(&items);
    std::fill(fit.begin(), fit.end(), median);
    return fit;
  }
  const std::vector<double> weights = GaussianWeights(2 * half + 1);
  double total = 0.0;
  for (double w : weights) total += w;
  const double half_total = 0.5 * total;
  std::vector<double> sorted_fit(x.size());
  // The window's values kept sorted (value, then rank): moving the window
  // by one removes one entry and inserts one (a short memmove), and the
  // weighted median is a scan accumulating each entry's weight by its rank
  // in the window — O(window) per point without copying or partitioning.
  using Entry = std::pair<double, Index>;
  const auto y_at = [&](Index rank) { return y[static_cast<std::size_t>(order[static_cast<std::size_t>(rank)])]; };
  std::vector<Entry> window;
  window.reserve(static_cast<std::size_t>(2 * half + 1));
  for (Index rank = 0; rank <= 2 * half; ++rank) window.emplace_back(y_at(rank), rank);
  std::sort(window.begin(), window.end());
  for (Index centre = start; centre <= end; ++centre) {
    const Index first = centre - half;
    if (centre > start) {
      const Entry leaving(y_at(first - 1), first - 1);
      window.erase(std::lower_bound(window.begin(), window.end(), leaving));
      const Entry entering(y_at(centre + half), centre + half);
      window.insert(std::lower_bound(window.begin(), window.end(), entering), entering);
    }
    double cumulative = 0.0;
    double median = window.back().first;
    for (std::size_t k = 0; k < window.size(); ++k) {
      cumulative += weights[static_cast<std::size_t>(window[k].second - first)];
      if (cumulative >= half_total) {
        median = window[k].first;
        // Exactly half at this value: the mean with the next larger one.
        if (cumulative == half_total) {
          for (std::size_t j = k + 1; j < window.size(); ++j) {
            if (window[j].first > median) {
              median = 0.5 * (median + window[j].first);
              break;
            }
          }
        }
        break;
      }
    }
    sorted_fit[static_cast<std::size_t>(centre)] = median;
  }
  for (Index k = 0; k < start; ++k) sorted_fit[static_cast<std::size_t>(k)] = sorted_fit[static_cast<std::size_t>(start)];
  for (Index k = end + 1; k < count; ++k) sorted_fit[static_cast<std::size_t>(k)] = sorted_fit[static_cast<std::size_t>(end)];
  for (Index k = 0; k < count; ++k) fit[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])] = sorted_fit[static_cast<std::size_t>(k)];
  return fit;
}

std::vector<double> DispersionTrend(const std::vector<double>& x, const std::vector<double>& y,
                                    const std::vector<bool>& used) {
  std::vector<double> trend(x.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<double> used_x, used_y;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (!used[k]) continue;
    used_x.push_back(x[k]);
    used_y.push_back(y[k]);
  }
  if (used_x.empty()) return trend;
  const std::vector<double> fit = LocalMedianFit(used_x, used_y, DefaultTrendPoints(static_cast<Index>(used_x.size())));
  // The used points sorted by x, for the nearest-neighbour lookup.
  std::vector<std::size_t> order(used_x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&used_x](std::size_t a, std::size_t b) { return used_x[a] < used_x[b]; });
  std::vector<double> sorted_x(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) sorted_x[k] = used_x[order[k]];
  std::size_t next_used = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (used[k]) {
      trend[k] = fit[next_used++];
      continue;
    }
    if (!std::isfinite(x[k])) continue;
    const std::size_t above = static_cast<std::size_t>(std::lower_bound(sorted_x.begin(), sorted_x.end(), x[k]) - sorted_x.begin());
    std::size_t nearest = above;
    if (above == sorted_x.size() || (above > 0 && x[k] - sorted_x[above - 1] <= sorted_x[above] - x[k])) nearest = above - 1;
    trend[k] = fit[order[nearest]];
  }
  return trend;
}

Index DefaultTrendPoints(Index count) {
  // floor(max(0.1·count, 100)): glmGamPoi passes 0.1·count and halves it with floor.
  const Index points = std::max<Index>(static_cast<Index>(std::floor(0.1 * static_cast<double>(count))), 100);
  return std::min(points, count);
}

}  // namespace nbglm::de
