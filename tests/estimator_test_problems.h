// Small one-feature problems for the estimator tests (estimators_test.cc,
// ceres_estimator_test.cc) and maxima computed without the library: the
// negative-binomial log-likelihood (4) of docs/model.md by std::lgamma, and
// the profile in r of a saturated location by bisection.
#ifndef NBGLM_TESTS_ESTIMATOR_TEST_PROBLEMS_H_
#define NBGLM_TESTS_ESTIMATOR_TEST_PROBLEMS_H_

#include <cmath>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "estimator/estimators.h"
#include "estimator/feature_problem.h"
#include "model/observation_layout.h"

namespace nbglm::testing {

// One feature: counts, designs (row-major), offsets, and its problem.
struct OneFeature {
  OneFeature(std::vector<double> counts, Index q_in, std::vector<double> x_in, Index q_s_in, std::vector<double> z_in,
             std::vector<double> offset_in)
      : y(std::move(counts)), x(std::move(x_in)), z(std::move(z_in)), offset(std::move(offset_in)), q(q_in),
        q_s(q_s_in), layout(static_cast<Index>(y.size()), q, q_s, x.data(), z.data(), offset.data()),
        problem(layout), work(q, q_s) {
    problem.SetFeature(y.data());
  }
  Index n() const { return static_cast<Index>(y.size()); }

  // Standard errors of θ: sqrt diag of J⁻¹ at θ (J = −H, the observed information).
  std::vector<double> StandardErrors(const std::vector<double>& theta) {
    const Index m = q + q_s;
    Eigen::MatrixXd h(m, m);
    problem.Evaluate(theta.data(), nullptr, h.data());
    const Eigen::MatrixXd inverse = (-h).inverse();
    std::vector<double> se;
    for (Index j = 0; j < m; ++j) se.push_back(std::sqrt(inverse(j, j)));
    return se;
  }

  std::vector<double> y, x, z, offset;
  Index q, q_s;
  ObservationLayout layout;
  FeatureProblem problem;
  EstimatorWorkspace work;
};

// Intercept-only location and scale, size factor s for every observation.
inline OneFeature InterceptOnly(const std::vector<double>& y, double s) {
  return OneFeature(y, 1, std::vector<double>(y.size(), 1.0), 1, std::vector<double>(y.size(), 1.0),
                    std::vector<double>(y.size(), std::log(s)));
}

// Location (1, [group B]), scale intercept: counts of group A then of group
// B, size factors s_a and s_b.
inline OneFeature TwoGroups(const std::vector<double>& a, const std::vector<double>& b, double s_a, double s_b) {
  std::vector<double> y, x, offset;
  for (double v : a) {
    y.push_back(v);
    x.insert(x.end(), {1.0, 0.0});
    offset.push_back(std::log(s_a));
  }
  for (double v : b) {
    y.push_back(v);
    x.insert(x.end(), {1.0, 1.0});
    offset.push_back(std::log(s_b));
  }
  return OneFeature(y, 2, x, 1, std::vector<double>(y.size(), 1.0), offset);
}

inline double Mean(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// ℓ of eq. (4) for counts y at mean μ and size r, summed.
inline double NbLogLikelihood(const std::vector<double>& y, double mu, double r) {
  double sum = 0.0;
  for (double v : y) {
    sum += std::lgamma(v + r) - std::lgamma(r) - std::lgamma(v + 1.0) + r * std::log(r / (r + mu)) +
           (v > 0.0 ? v * std::log(mu / (r + mu)) : 0.0);
  }
  return sum;
}

// The log size log r̂ maximising ℓ over r for groups of integer counts, each
// at its own MLE mean μ_g = ȳ_g (a saturated location with one size factor
// per group). There Σ_i (y_i + r)/(r + μ_g) = n_g, so the score ∂ℓ/∂r of eq.
// (6) is Σ_i Σ_{k<y_i} 1/(r + k) − Σ_g n_g·log(1 + ȳ_g/r), decreasing through
// its root for overdispersed counts; solved by bisection on log r.
inline double ProfileLogSize(const std::vector<std::vector<double>>& groups) {
  const auto score = [&groups](double r) {
    double sum = 0.0;
    for (const std::vector<double>& g : groups) {
      for (double v : g) {
        for (int k = 0; k < static_cast<int>(v); ++k) sum += 1.0 / (r + k);
      }
      sum -= static_cast<double>(g.size()) * std::log1p(Mean(g) / r);
    }
    return sum;
  };
  double low = -10.0, high = 20.0;  // score > 0 at e^low, < 0 at e^high
  if (!(score(std::exp(low)) > 0.0 && score(std::exp(high)) < 0.0)) return std::nan("");
  for (int i = 0; i < 200 && high - low > 0.0; ++i) {
    const double mid = 0.5 * (low + high);
    if (mid == low || mid == high) break;
    (score(std::exp(mid)) > 0.0 ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

}  // namespace nbglm::testing

#endif  // NBGLM_TESTS_ESTIMATOR_TEST_PROBLEMS_H_
