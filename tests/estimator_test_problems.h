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

// A numeric covariate with size factors, where no closed form exists: the
// maximum from R (MASS 7.3-58.2), glm.nb polished by alternating exact
// solves until the scores are below 1e-14:
//   y <- c(3, 0, 7, 12, 5, 21, 9, 30, 14, 2, 41, 18)
//   x <- c(-1.5, -1.2, -0.8, -0.5, -0.2, 0, 0.3, 0.6, 0.9, 1.1, 1.4, 1.8)
//   s <- c(0.8, 1.1, 0.9, 1.3, 0.7, 1.0, 1.2, 0.95, 0.85, 1.05, 1.15, 0.75)
//   fit <- glm.nb(y ~ x + offset(log(s)), control = glm.control(epsilon = 1e-15, maxit = 200))
//   th <- fit$theta; b <- coef(fit)
//   for (it in 1:30) {
//     g <- glm(y ~ x + offset(log(s)), family = negative.binomial(th), start = b,
//              control = glm.control(epsilon = 1e-16, maxit = 200))
//     b <- coef(g); th <- theta.ml(y, fitted(g), limit = 200, eps = 1e-15)
//   }
//   sprintf("%.17g", c(b, log(th), sum(dnbinom(y, size = th, mu = fitted(g), log = TRUE))))
struct MassReference {
  std::vector<double> y, x, offset;  // x: rows (1, covariate); offset log s
  std::vector<double> expected;      // intercept, slope, log r
  double maximum;                    // ℓ there
  OneFeature Feature() const { return OneFeature(y, 2, x, 1, std::vector<double>(y.size(), 1.0), offset); }
};

inline MassReference CovariateWithSizeFactors() {
  MassReference reference;
  reference.y = {3, 0, 7, 12, 5, 21, 9, 30, 14, 2, 41, 18};
  const std::vector<double> covariate = {-1.5, -1.2, -0.8, -0.5, -0.2, 0, 0.3, 0.6, 0.9, 1.1, 1.4, 1.8};
  const std::vector<double> s = {0.8, 1.1, 0.9, 1.3, 0.7, 1.0, 1.2, 0.95, 0.85, 1.05, 1.15, 0.75};
  for (std::size_t i = 0; i < reference.y.size(); ++i) {
    reference.x.insert(reference.x.end(), {1.0, covariate[i]});
    reference.offset.push_back(std::log(s[i]));
  }
  reference.expected = {2.341711141468187, 0.66684549486215472, 0.77284959139380849};
  reference.maximum = -40.449551114495421;
  return reference;
}

}  // namespace nbglm::testing

#endif  // NBGLM_TESTS_ESTIMATOR_TEST_PROBLEMS_H_
