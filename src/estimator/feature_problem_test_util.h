// Shared by the tests of the per-feature objective (feature_problem_test.cc,
// feature_problem_chain_rule_test.cc, cell_kernels_test.cc): random features
// on grouped and numeric designs, a direct evaluation (η, ζ per observation,
// NbEvaluate per observation, the chain rule of docs/model.md §1 as sums),
// and Richardson-extrapolated central differences.
#ifndef NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_TEST_UTIL_H_
#define NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_TEST_UTIL_H_

#include "estimator/feature_problem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "estimator/estimators.h"
#include "model/observation_layout.h"
#include "nbglm/error.h"
#include "nbglm/negative_binomial.h"
#include "noise/nb_kernels.h"

namespace nbglm {
namespace feature_problem_test {

// One random feature: y (with zeros and a large count), offsets, designs.
struct RandomFeature {
  Index n = 0, q = 0, q_scale = 0;
  std::vector<double> y, offset, x, z, theta;
};

// n observations with the location design (1, [i mod period = 0]), i.e. two
// location groups, and an intercept-only scale; counts, offsets and θ are
// the caller's.
inline RandomFeature TwoGroupFeature(Index n, Index period) {
  RandomFeature f;
  f.n = n;
  f.q = 2;
  f.q_scale = 1;
  for (Index i = 0; i < n; ++i) {
    f.x.push_back(1.0);
    f.x.push_back(static_cast<double>(i % period == 0));
    f.z.push_back(1.0);
  }
  return f;
}

// `grouped`: factor-like designs (few distinct rows); otherwise the location
// design has numeric covariates (every row distinct).
inline RandomFeature MakeFeature(unsigned seed, Index n, Index q, Index q_scale, bool grouped = false) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  RandomFeature f;
  f.n = n;
  f.q = q;
  f.q_scale = q_scale;
  f.x.resize(static_cast<std::size_t>(n * q));
  f.z.resize(static_cast<std::size_t>(n * q_scale));
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < q; ++j) {
      f.x[i * q + j] = j == 0 ? 1.0 : grouped ? static_cast<double>((i + j) % 3 == 0) : 0.7 * normal(rng);
    }
    // Scale design: intercept plus group indicators / a covariate.
    for (Index j = 0; j < q_scale; ++j) {
      f.z[i * q_scale + j] =
          j == 0 ? 1.0 : (j == 1 ? static_cast<double>(i % 2) : grouped ? static_cast<double>(i % 5 == 0) : 0.3 * normal(rng));
    }
    f.offset.push_back(std::log(0.5 + uniform(rng)));  // log size factors
  }
  f.theta.resize(static_cast<std::size_t>(q + q_scale));
  for (Index j = 0; j < q; ++j) f.theta[j] = j == 0 ? 1.5 : 0.4 * normal(rng);
  for (Index j = 0; j < q_scale; ++j) f.theta[q + j] = j == 0 ? 0.8 : 0.5 * normal(rng);
  // Counts: about a third zeros, the rest Poisson around the mean, one large.
  for (Index i = 0; i < n; ++i) {
    double eta = f.offset[i];
    for (Index j = 0; j < q; ++j) eta += f.x[i * q + j] * f.theta[j];
    std::poisson_distribution<int> poisson(std::exp(eta) * (0.2 + 1.6 * uniform(rng)));
    f.y.push_back(uniform(rng) < 0.33 ? 0.0 : static_cast<double>(poisson(rng)));
  }
  f.y[3] = 0.0;
  f.y[7] = 250.0;
  f.y[9] = 5000.0;  // beyond the direct table slots
  f.y[11] = 2.5;    // the density is defined for any real y ≥ 0
  return f;
}

// The feature's problem: its layout and the problem on it.
struct FeatureSetup {
  explicit FeatureSetup(const RandomFeature& f, bool with_offset = true)
      : layout(f.n, f.q, f.q_scale, f.x.data(), f.z.data(), with_offset ? f.offset.data() : nullptr),
        problem(layout) {
    problem.SetFeature(f.y.data());
  }
  ObservationLayout layout;
  FeatureProblem problem;
};

// ℓ, gradient and Hessian evaluated directly: η and ζ per observation,
// NbEvaluate per observation, the chain rule of docs/model.md §1 as sums.
struct DirectEvaluation {
  double loglik = 0;
  double loglik_magnitude = 0;  // Σ|ℓ_i|
  std::vector<double> gradient, hessian, fisher;
  std::vector<double> gradient_magnitude, hessian_magnitude;  // Σ|terms|
};
inline DirectEvaluation Direct(const RandomFeature& f, const std::vector<double>& theta) {
  const Index p = f.q + f.q_scale;
  DirectEvaluation d;
  d.gradient.assign(static_cast<std::size_t>(p), 0.0);
  d.hessian.assign(static_cast<std::size_t>(p * p), 0.0);
  d.fisher.assign(static_cast<std::size_t>(f.q * f.q), 0.0);
  d.gradient_magnitude.assign(static_cast<std::size_t>(p), 0.0);
  d.hessian_magnitude.assign(static_cast<std::size_t>(p * p), 0.0);
  for (Index i = 0; i < f.n; ++i) {
    double eta = f.offset[i], zeta = 0;
    std::vector<double> row(static_cast<std::size_t>(p));
    for (Index j = 0; j < f.q; ++j) {
      row[j] = f.x[i * f.q + j];
      eta += row[j] * theta[j];
    }
    for (Index j = 0; j < f.q_scale; ++j) {
      row[f.q + j] = f.z[i * f.q_scale + j];
      zeta += row[f.q + j] * theta[f.q + j];
    }
    const NbTerms t = NbEvaluate(f.y[i], eta, zeta);
    d.loglik += t.loglik;
    d.loglik_magnitude += std::fabs(t.loglik);
    for (Index j = 0; j < p; ++j) {
      const bool loc_j = j < f.q;
      d.gradient[j] += row[j] * (loc_j ? t.location.d_eta : t.scale.d_zeta);
      d.gradient_magnitude[j] += std::fabs(row[j] * (loc_j ? t.location.d_eta : t.scale.d_zeta));
      for (Index k = 0; k < p; ++k) {
        const bool loc_k = k < f.q;
        const double w = loc_j && loc_k     ? t.location.d2_eta
                         : !loc_j && !loc_k ? t.scale.d2_zeta
                                            : t.location.d2_eta_zeta;
        d.hessian[j * p + k] += row[j] * w * row[k];
        d.hessian_magnitude[j * p + k] += std::fabs(row[j] * w * row[k]);
        if (loc_j && loc_k) d.fisher[j * f.q + k] += row[j] * t.location.fisher_eta * row[k];
      }
    }
  }
  return d;
}

// Expects ℓ, the gradient and the Hessian (p × p, row-major) of an evaluation
// within `tolerance` of the direct one, relative to the magnitudes of the
// summed terms.
inline void ExpectMatchesDirect(double loglik, const std::vector<double>& gradient, const std::vector<double>& hessian,
                         const DirectEvaluation& direct, double tolerance) {
  const auto p = static_cast<Index>(gradient.size());
  EXPECT_NEAR(loglik, direct.loglik, tolerance * direct.loglik_magnitude);
  for (Index j = 0; j < p; ++j) {
    EXPECT_NEAR(gradient[j], direct.gradient[j], tolerance * direct.gradient_magnitude[j] + 1e-300) << "j " << j;
    for (Index k = 0; k < p; ++k) {
      EXPECT_NEAR(hessian[j * p + k], direct.hessian[j * p + k], tolerance * direct.hessian_magnitude[j * p + k] + 1e-300)
          << "(" << j << ", " << k << ")";
    }
  }
}

// Central difference of f along coordinate k, Richardson-extrapolated over
// the steps h0, h0/2, h0/4, h0/8 (error ~1e-12 relative for these functions).
inline double RichardsonDerivative(const std::function<double(const std::vector<double>&)>& f,
                            std::vector<double> x, std::size_t k, double h0 = 1e-2) {
  constexpr int kLevels = 4;
  double table[kLevels];
  const double x0 = x[k];
  for (int level = 0; level < kLevels; ++level) {
    const double h = h0 / static_cast<double>(1 << level);
    x[k] = x0 + h;
    const double plus = f(x);
    x[k] = x0 - h;
    const double minus = f(x);
    table[level] = (plus - minus) / (2 * h);
  }
  double four_power = 1;
  for (int order = 1; order < kLevels; ++order) {
    four_power *= 4;
    for (int i = kLevels - 1; i >= order; --i) {
      table[i] += (table[i] - table[i - 1]) / (four_power - 1);
    }
  }
  return table[kLevels - 1];
}

class FeatureProblemTest : public ::testing::Test {
 protected:
  static constexpr Index kN = 50, kQ = 3, kQScale = 2, kP = kQ + kQScale;
};

}  // namespace feature_problem_test
}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_TEST_UTIL_H_
