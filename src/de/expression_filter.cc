// FilterByExpression (nbglm/de.h): edgeR's filterByExpr rule, so that the
// features tested are those a peer would test (docs/de.md "Filtering").
#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "nbglm/de.h"
#include "nbglm/error.h"

namespace nbglm {

std::vector<bool> FilterByExpression(const CountMatrix& counts, const Matrix& reduced_design,
                                     const DeOptions& options) {
  const Index n = counts.num_observations();
  if (static_cast<Index>(reduced_design.shape(0)) != n) {
    throw InputError("filter", std::to_string(reduced_design.shape(0)) + " design rows",
                     "expected " + std::to_string(n) + " (the counts' observations)");
  }
  // Library sizes: column totals; the CPM cutoff at the median library size.
  const Vector totals = counts.ObservationTotals();
  std::vector<double> library(totals.begin(), totals.end());
  std::vector<double> sorted = library;
  std::sort(sorted.begin(), sorted.end());
  const double median = n % 2 == 1 ? sorted[static_cast<std::size_t>(n / 2)]
                                   : 0.5 * (sorted[static_cast<std::size_t>(n / 2 - 1)] + sorted[static_cast<std::size_t>(n / 2)]);
  const double cpm_cutoff = options.min_count / median * 1e6;
  // The smallest group size: 1/max leverage of [1, X̃] (R's hat() adds the
  // intercept column; a rank-revealing QR drops it when X̃ spans it).
  Eigen::MatrixXd x(n, static_cast<Index>(reduced_design.shape(1)) + 1);
  for (Index i = 0; i < n; ++i) {
    x(i, 0) = 1.0;
    for (Index j = 0; j + 1 < x.cols(); ++j) x(i, j + 1) = reduced_design(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
  }
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
  const Index rank = qr.rank();
  const Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(n, rank);
  const double max_leverage = q.rowwise().squaredNorm().maxCoeff();
  double min_samples = 1.0 / max_leverage;
  if (min_samples > options.large_n) min_samples = options.large_n + (min_samples - options.large_n) * options.min_prop;
  constexpr double kTolerance = 1e-14;

  std::vector<bool> keep(static_cast<std::size_t>(counts.num_features()), false);
  std::vector<double> y(static_cast<std::size_t>(n));
  for (Index f = 0; f < counts.num_features(); ++f) {
    counts.CopyFeature(f, y.data());
    double total = 0.0;
    Index above = 0;
    for (Index i = 0; i < n; ++i) {
      total += y[static_cast<std::size_t>(i)];
      if (y[static_cast<std::size_t>(i)] / library[static_cast<std::size_t>(i)] * 1e6 >= cpm_cutoff) ++above;
    }
    keep[static_cast<std::size_t>(f)] =
        static_cast<double>(above) >= min_samples - kTolerance && total >= options.min_total_count - kTolerance;
  }
  return keep;
}

}  // namespace nbglm
