// Tests of the per-feature objective (feature_problem.h): the chain rule of
// docs/model.md §1 through random reduced designs, checked against central finite
// differences with Richardson extrapolation and against a direct evaluation
// (η, ζ per observation, NbEvaluate per observation, the chain rule as
// matrix products), with zeros, repeated and large counts and offsets, on
// designs with few distinct rows (factors: the grouped fast path) and with a
// numeric covariate (one group per observation).
#include "estimator/feature_problem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "nbglm/error.h"
#include "estimator/estimators.h"
#include "model/observation_layout.h"
#include "nbglm/negative_binomial.h"
#include "noise/nb_kernels.h"

namespace nbglm {
namespace {

// One random feature: y (with zeros and a large count), offsets, designs.
struct RandomFeature {
  Index n = 0, q = 0, q_scale = 0;
  std::vector<double> y, offset, x, z, theta;
};

// n observations with the location design (1, [i mod period = 0]), i.e. two
// location groups, and an intercept-only scale; counts, offsets and θ are
// the caller's.
RandomFeature TwoGroupFeature(Index n, Index period) {
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
RandomFeature MakeFeature(unsigned seed, Index n, Index q, Index q_scale, bool grouped = false) {
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
DirectEvaluation Direct(const RandomFeature& f, const std::vector<double>& theta) {
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
void ExpectMatchesDirect(double loglik, const std::vector<double>& gradient, const std::vector<double>& hessian,
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
double RichardsonDerivative(const std::function<double(const std::vector<double>&)>& f,
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

// The grouped evaluation equals the direct one, on grouped designs (few
// distinct rows) and on numeric covariates (one group per observation).
TEST_F(FeatureProblemTest, MatchesDirectEvaluation) {
  for (bool grouped : {true, false}) {
    for (unsigned seed : {11u, 12u, 13u}) {
      RandomFeature f = MakeFeature(seed, kN, kQ, kQScale, grouped);
      FeatureSetup setup(f);
      if (grouped) {
        EXPECT_LT(setup.layout.num_location_groups(), kN / 4);
        EXPECT_LT(setup.layout.num_scale_groups(), kN / 4);
      } else {
        EXPECT_EQ(setup.layout.num_location_groups(), kN);
      }
      std::vector<double> gradient(kP), hessian(kP * kP), score(kQ), fisher(kQ * kQ);
      const double loglik = setup.problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());
      setup.problem.EvaluateLocationFisher(f.theta.data(), score.data(), fisher.data());
      const DirectEvaluation direct = Direct(f, f.theta);
      EXPECT_NEAR(loglik, direct.loglik, 1e-13 * std::fabs(direct.loglik)) << "seed " << seed;
      double largest = 0;
      for (double v : direct.hessian) largest = std::max(largest, std::fabs(v));
      for (Index j = 0; j < kP; ++j) {
        EXPECT_NEAR(gradient[j], direct.gradient[j], 1e-13 * largest) << "seed " << seed << " j " << j;
        for (Index k = 0; k < kP; ++k) {
          EXPECT_NEAR(hessian[j * kP + k], direct.hessian[j * kP + k], 1e-13 * largest)
              << "seed " << seed << " (" << j << ", " << k << ")";
        }
      }
      for (Index j = 0; j < kQ * kQ; ++j) EXPECT_NEAR(fisher[j], direct.fisher[j], 1e-13 * largest);
    }
  }
}

// The evaluation takes each observation by one of several routes: zero and
// small counts (≤ kMaxSmallCount) in pairs, with the series while μ < r and
// log1p otherwise, a last odd one paired with a dummy lane, larger or
// non-integer counts through NbObservationTerms, everything through
// NbObservationTerms when e^{α_g} leaves the normal range. Over a grid of means and sizes from the Poisson
// limit to extreme overdispersion, every route must give what NbEvaluate
// gives observation by observation: sums within 1e-13 of the sum of the
// terms' magnitudes (measured: within 2e-15 but for sums that cancel to
// ~1e-26).
TEST_F(FeatureProblemTest, EveryEvaluationRouteMatchesTheObservationKernel) {
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const Index n = 61;  // odd cells: a last observation outside the pairs
  // log mean −710: e^{α_g} is subnormal, so every observation takes the
  // NbObservationTerms route with μ_i = e^{o_i + α_g}.
  for (double log_mean : {-710.0, -14.0, -6.0, -3.0, -0.5, 0.0, 1.5, 4.0, 9.0}) {
    for (double log_size : {-9.0, -2.0, 0.0, 1.0, 3.0, 8.0, 18.0, 25.0}) {
      RandomFeature f = TwoGroupFeature(n, 3);
      for (Index i = 0; i < n; ++i) {
        f.offset.push_back(std::log(0.2 + 3.0 * uniform(rng)));  // size factors 0.2 … 3.2
        const double mu = std::exp(f.offset.back() + log_mean);
        const double u = uniform(rng);
        // Zeros, small counts near and far from μ, a few large and one non-integer.
        double y = u < 0.45 ? 0.0 : u < 0.75 ? std::floor(mu * 2.0 * uniform(rng)) : u < 0.9 ? 1.0 + (i % 7) : 0.0;
        if (i % 17 == 5) y = 33.0 + (i % 5) * 100.0;
        if (i == 9) y = 2.5;
        f.y.push_back(y);
      }
      f.theta = {log_mean, 0.3, log_size};
      FeatureSetup setup(f);
      std::vector<double> gradient(3), hessian(9), score(2), fisher(4);
      const double loglik = setup.problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());
      setup.problem.EvaluateLocationFisher(f.theta.data(), score.data(), fisher.data());
      const DirectEvaluation direct = Direct(f, f.theta);
      SCOPED_TRACE("log mean " + std::to_string(log_mean) + ", log size " + std::to_string(log_size));
      ExpectMatchesDirect(loglik, gradient, hessian, direct, 1e-13);
      for (Index j = 0; j < 4; ++j) EXPECT_NEAR(fisher[j], direct.fisher[j], 1e-13 * std::fabs(direct.fisher[j]) + 1e-300);
    }
  }
}

// Large counts two at a time (AddOtherCountsPair): both lanes near their
// means (w and t2 in the series range), one lane far from it (the pair goes
// one by one), odd numbers of large counts per cell, means and sizes from
// tiny to huge; every sum against the per-observation kernel.
TEST_F(FeatureProblemTest, LargeCountsInPairsMatchTheObservationKernel) {
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  const Index n = 47;
  for (double log_mean : {4.0, 6.0, 8.5, 12.0}) {
    for (double log_size : {-2.0, 0.0, 2.0, 5.0, 9.0, 18.0, 30.0}) {
      for (double spread : {0.02, 0.3, 3.0}) {  // counts within ~2%, 30%, or far from μ
        RandomFeature f = TwoGroupFeature(n, 4);  // location groups of 12 and 35 observations
        for (Index i = 0; i < n; ++i) {
          f.offset.push_back(std::log(0.5 + uniform(rng)));
          const double mu = std::exp(f.offset.back() + log_mean + (i % 4 == 0 ? 0.3 : 0.0));
          double y = std::max(33.0, std::round(mu * std::exp(spread * normal(rng))));
          if (i % 9 == 4) y = 0.0;   // a few zeros and small counts between them
          if (i % 11 == 7) y = 5.0;
          f.y.push_back(y);
        }
        f.theta = {log_mean, 0.3, log_size};
        FeatureSetup setup(f);
        std::vector<double> gradient(3), hessian(9);
        const double loglik = setup.problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());
        const DirectEvaluation direct = Direct(f, f.theta);
        SCOPED_TRACE("log mean " + std::to_string(log_mean) + ", log size " + std::to_string(log_size) + ", spread " +
                     std::to_string(spread));
        ExpectMatchesDirect(loglik, gradient, hessian, direct, 1e-13);
      }
    }
  }
}

// Zeros by power sums (a cell whose zeros are at least half of it, while
// x_max = s_max·m/r ≤ ¼): the zeros' sums come from Σ s^k over the cell
// minus the non-zero observations'. The hardest cases for that difference:
// the non-zero counts at the largest size factors, zeros exactly half of the
// cell, x_max just inside ¼ (the longest series) and the Poisson limit
// (where the sums of x² carry the scale derivatives); just outside ¼ the
// zeros go one by one.
TEST_F(FeatureProblemTest, ZerosByPowerSumsMatchTheObservationKernel) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  const Index n = 400;
  std::vector<double> size_factor(static_cast<std::size_t>(n));
  for (double& s : size_factor) s = std::exp(0.6 * normal(rng));
  std::vector<double> sorted = size_factor;
  std::sort(sorted.begin(), sorted.end());
  const double s_max = sorted.back();
  for (int placement : {0, 1, 2}) {
    // 0: non-zero counts at the largest size factors, 1: at the smallest,
    // 2: every size factor equal (every zero at x_max).
    const bool nonzero_at_largest = placement == 0;
    for (double zero_fraction : {0.5, 0.9}) {
      // The non-zero counts: the observations with the largest size factors
      // (the most cancellation in Σ s^k), or with the smallest (zeros up to
      // x_max: the longest series).
      const auto cut = static_cast<std::size_t>((nonzero_at_largest ? zero_fraction : 1.0 - zero_fraction) *
                                                static_cast<double>(n));
      const double threshold = sorted[cut];
      for (double log_size : {-0.7, 1.6, 18.0}) {
        for (double x_max : {1e-6, 0.05, 0.2, 0.2499, 0.2501}) {
          RandomFeature f;
          f.n = n;
          f.q = 1;
          f.q_scale = 1;
          const double r = std::exp(log_size);
          const double log_mean = std::log(x_max * r / s_max);
          for (Index i = 0; i < n; ++i) {
            const double s = placement == 2 ? s_max : size_factor[static_cast<std::size_t>(i)];
            f.x.push_back(1.0);
            f.z.push_back(1.0);
            f.offset.push_back(std::log(s));
            const bool nonzero = placement == 2 ? static_cast<double>(i) >= zero_fraction * static_cast<double>(n)
                                 : nonzero_at_largest ? s >= threshold
                                                      : s < threshold;
            f.y.push_back(nonzero ? 1.0 + static_cast<double>(i % 4) : 0.0);
          }
          f.theta = {log_mean, log_size};
          // Equal size factors: 400 equal terms, whose plain sums in the
          // one-by-one reference round at up to ~n·ulp; otherwise 4e-15.
          const double tolerance = placement == 2 ? 1e-13 : 4e-15;
          FeatureSetup setup(f);
          std::vector<double> gradient(2), hessian(4), score(1), fisher(1);
          const double loglik = setup.problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());
          setup.problem.EvaluateLocationFisher(f.theta.data(), score.data(), fisher.data());
          const DirectEvaluation direct = Direct(f, f.theta);
          SCOPED_TRACE("placement " + std::to_string(placement) +
                       ", zeros " + std::to_string(zero_fraction) + ", log size " + std::to_string(log_size) +
                       ", x_max " + std::to_string(x_max));
          ExpectMatchesDirect(loglik, gradient, hessian, direct, tolerance);
          EXPECT_NEAR(fisher[0], direct.fisher[0], tolerance * std::fabs(direct.fisher[0]));
        }
      }
    }
  }
}

TEST_F(FeatureProblemTest, GradientMatchesFiniteDifferences) {
  for (unsigned seed : {1u, 2u, 3u}) {
    RandomFeature f = MakeFeature(seed, kN, kQ, kQScale);
    FeatureSetup setup(f);
    FeatureProblem& problem = setup.problem;
    std::vector<double> gradient(kP);
    const double loglik = problem.Evaluate(f.theta.data(), gradient.data(), nullptr);
    EXPECT_EQ(loglik, problem.LogLikelihood(f.theta.data()));
    const auto objective = [&](const std::vector<double>& theta) {
      return problem.LogLikelihood(theta.data());
    };
    for (Index k = 0; k < kP; ++k) {
      const double numeric = RichardsonDerivative(objective, f.theta, static_cast<std::size_t>(k));
      EXPECT_NEAR(gradient[k], numeric, 1e-9 * (std::fabs(numeric) + 1.0))
          << "seed " << seed << " parameter " << k;
    }
  }
}

TEST_F(FeatureProblemTest, HessianMatchesFiniteDifferencesOfGradient) {
  for (unsigned seed : {4u, 5u, 6u}) {
    RandomFeature f = MakeFeature(seed, kN, kQ, kQScale);
    FeatureSetup setup(f);
    FeatureProblem& problem = setup.problem;
    std::vector<double> gradient(kP), hessian(kP * kP);
    problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());
    double largest = 0;
    for (double v : hessian) largest = std::max(largest, std::fabs(v));
    for (Index row = 0; row < kP; ++row) {
      const auto gradient_entry = [&](const std::vector<double>& theta) {
        std::vector<double> g(kP);
        problem.Evaluate(theta.data(), g.data(), nullptr);
        return g[static_cast<std::size_t>(row)];
      };
      for (Index col = 0; col < kP; ++col) {
        const double numeric =
            RichardsonDerivative(gradient_entry, f.theta, static_cast<std::size_t>(col));
        EXPECT_NEAR(hessian[row * kP + col], numeric, 1e-9 * largest)
            << "seed " << seed << " entry (" << row << ", " << col << ")";
        EXPECT_EQ(hessian[row * kP + col], hessian[col * kP + row]);  // exactly symmetric
      }
    }
    // And directly as the second difference of ℓ for the diagonal.
    for (Index k = 0; k < kP; ++k) {
      const auto derivative = [&](const std::vector<double>& theta) {
        return RichardsonDerivative(
            [&](const std::vector<double>& t) { return problem.LogLikelihood(t.data()); }, theta,
            static_cast<std::size_t>(k), 1e-2);
      };
      const double numeric = RichardsonDerivative(derivative, f.theta, static_cast<std::size_t>(k));
      EXPECT_NEAR(hessian[k * kP + k], numeric, 1e-7 * largest) << "seed " << seed << " k " << k;
    }
  }
}

// The IRLS information is X̃ᵀ diag(rμ/(r+μ)) X̃ and the score the location
// gradient; the scale-only evaluation equals the scale blocks of the full one.
TEST_F(FeatureProblemTest, BlockEvaluationsAgreeWithFullEvaluation) {
  RandomFeature f = MakeFeature(7, kN, kQ, kQScale);
  FeatureSetup setup(f);
  FeatureProblem& problem = setup.problem;
  std::vector<double> gradient(kP), hessian(kP * kP);
  const double loglik = problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());

  std::vector<double> score(kQ), information(kQ * kQ);
  EXPECT_EQ(problem.EvaluateLocationFisher(f.theta.data(), score.data(), information.data()), loglik);
  std::vector<double> eta(kN), zeta(kN);
  problem.LinearPredictors(f.theta.data(), eta.data(), zeta.data());
  for (Index j = 0; j < kQ; ++j) EXPECT_EQ(score[j], gradient[j]);
  for (Index a = 0; a < kQ; ++a) {
    for (Index b = 0; b < kQ; ++b) {
      double expected = 0;
      for (Index i = 0; i < kN; ++i) {
        const NbLocationTerms t = NbLocationDerivatives(f.y[i], eta[i], zeta[i]);
        expected += f.x[i * kQ + a] * t.fisher_eta * f.x[i * kQ + b];
      }
      EXPECT_NEAR(information[a * kQ + b], expected, 1e-12 * std::fabs(expected) + 1e-12);
      EXPECT_EQ(information[a * kQ + b], information[b * kQ + a]);
    }
  }

  std::vector<double> scale_gradient(kQScale), scale_hessian(kQScale * kQScale);
  EXPECT_EQ(problem.EvaluateScale(f.theta.data(), scale_gradient.data(), scale_hessian.data()), loglik);
  for (Index a = 0; a < kQScale; ++a) {
    EXPECT_EQ(scale_gradient[a], gradient[kQ + a]);
    for (Index b = 0; b < kQScale; ++b) EXPECT_EQ(scale_hessian[a * kQScale + b], hessian[(kQ + a) * kP + (kQ + b)]);
  }
  // Null outputs are allowed everywhere and change nothing.
  EXPECT_EQ(problem.Evaluate(f.theta.data(), nullptr, nullptr), loglik);
  EXPECT_EQ(problem.EvaluateLocationFisher(f.theta.data(), nullptr, nullptr), loglik);
  EXPECT_EQ(problem.EvaluateScale(f.theta.data(), nullptr, nullptr), loglik);
  EXPECT_EQ(problem.LogLikelihood(f.theta.data()), loglik);
}

TEST_F(FeatureProblemTest, PredictorsExtremesOffsetsAndFeatureReuse) {
  for (bool grouped : {true, false}) {
    RandomFeature f = MakeFeature(8, kN, kQ, kQScale, grouped);
    FeatureSetup setup(f);
    FeatureProblem& problem = setup.problem;
    const double with_offset = problem.LogLikelihood(f.theta.data());
    std::vector<double> eta(kN), zeta(kN);
    problem.LinearPredictors(f.theta.data(), eta.data(), zeta.data());
    double min_eta = INFINITY, min_zeta = INFINITY, max_zeta = -INFINITY;
    for (Index i = 0; i < kN; ++i) {
      double e = f.offset[i], z = 0;
      for (Index j = 0; j < kQ; ++j) e += f.x[i * kQ + j] * f.theta[j];
      for (Index j = 0; j < kQScale; ++j) z += f.z[i * kQScale + j] * f.theta[kQ + j];
      EXPECT_NEAR(eta[i], e, 1e-14 * (std::fabs(e) + 1));
      EXPECT_NEAR(zeta[i], z, 1e-14 * (std::fabs(z) + 1));
      min_eta = std::min(min_eta, eta[i]);
      min_zeta = std::min(min_zeta, zeta[i]);
      max_zeta = std::max(max_zeta, zeta[i]);
    }
    const PredictorExtremes extremes = problem.Extremes(f.theta.data());
    EXPECT_EQ(extremes.min_eta, min_eta);
    EXPECT_EQ(extremes.min_zeta, min_zeta);
    EXPECT_EQ(extremes.max_zeta, max_zeta);

    // Null offset means zero offset.
    const std::vector<double> zeros(kN, 0.0);
    ObservationLayout zero_layout(kN, kQ, kQScale, f.x.data(), f.z.data(), zeros.data());
    FeatureProblem zero_offset(zero_layout);
    zero_offset.SetFeature(f.y.data());
    FeatureSetup no_offset(f, /*with_offset=*/false);
    EXPECT_EQ(no_offset.problem.LogLikelihood(f.theta.data()), zero_offset.LogLikelihood(f.theta.data()));
    EXPECT_NE(zero_offset.LogLikelihood(f.theta.data()), with_offset);

    // A second feature through the same object gives what a fresh object
    // gives, and evaluations at other points in between change nothing (the
    // cache of the last point is keyed on θ).
    RandomFeature g = MakeFeature(9, kN, kQ, kQScale, grouped);
    g.x = f.x;
    g.z = f.z;
    g.offset = f.offset;
    problem.SetFeature(g.y.data());
    std::vector<double> grad_reused(kP), hess_reused(kP * kP), grad_fresh(kP), hess_fresh(kP * kP);
    const double reused = problem.Evaluate(g.theta.data(), grad_reused.data(), hess_reused.data());
    std::vector<double> elsewhere = g.theta;
    elsewhere[0] += 0.25;
    problem.Evaluate(elsewhere.data(), grad_fresh.data(), nullptr);
    EXPECT_EQ(problem.Evaluate(g.theta.data(), grad_fresh.data(), hess_fresh.data()), reused);
    EXPECT_EQ(grad_fresh, grad_reused);
    EXPECT_EQ(hess_fresh, hess_reused);
    FeatureProblem fresh(setup.layout);
    fresh.SetFeature(g.y.data());
    EXPECT_EQ(fresh.Evaluate(g.theta.data(), grad_fresh.data(), hess_fresh.data()), reused);
    EXPECT_EQ(grad_fresh, grad_reused);
    EXPECT_EQ(hess_fresh, hess_reused);
  }
}

// Degenerate blocks: no scale parameters (ζ ≡ 0, i.e. r = 1), no location
// parameters (η = offset), and no observations.
TEST_F(FeatureProblemTest, EmptyBlocks) {
  RandomFeature f = MakeFeature(10, kN, kQ, 0);
  FeatureSetup setup(f);
  std::vector<double> gradient(kQ), hessian(kQ * kQ);
  const double loglik = setup.problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());
  EXPECT_NEAR(loglik, Direct(f, f.theta).loglik, 1e-13 * std::fabs(loglik));
  std::vector<double> eta(kN), zeta(kN);
  setup.problem.LinearPredictors(f.theta.data(), eta.data(), zeta.data());
  for (Index i = 0; i < kN; ++i) EXPECT_EQ(zeta[i], 0.0);

  RandomFeature no_location = MakeFeature(10, kN, 0, 1);
  FeatureSetup offset_only(no_location);
  EXPECT_NEAR(offset_only.problem.LogLikelihood(no_location.theta.data()), Direct(no_location, no_location.theta).loglik,
              1e-13 * std::fabs(Direct(no_location, no_location.theta).loglik));

  ObservationLayout empty_layout(0, 2, 1, nullptr, nullptr, nullptr);
  FeatureProblem empty(empty_layout);
  empty.SetFeature(nullptr);
  const double theta[3] = {0.1, 0.2, 0.3};
  double g[3] = {-1, -1, -1}, h[9];
  EXPECT_EQ(empty.Evaluate(theta, g, h), 0.0);
  for (double v : g) EXPECT_EQ(v, 0.0);
  for (double v : h) EXPECT_EQ(v, 0.0);
}

// Observations in any order: the layout sorts them into cells, results do
// not depend on the input order beyond the rounding of sums.
TEST_F(FeatureProblemTest, ObservationOrderDoesNotMatter) {
  RandomFeature f = MakeFeature(14, kN, kQ, kQScale, /*grouped=*/true);
  RandomFeature reversed = f;
  for (Index i = 0; i < kN; ++i) {
    const Index j = kN - 1 - i;
    reversed.y[i] = f.y[j];
    reversed.offset[i] = f.offset[j];
    for (Index k = 0; k < kQ; ++k) reversed.x[i * kQ + k] = f.x[j * kQ + k];
    for (Index k = 0; k < kQScale; ++k) reversed.z[i * kQScale + k] = f.z[j * kQScale + k];
  }
  FeatureSetup a(f), b(reversed);
  std::vector<double> ga(kP), gb(kP);
  const double la = a.problem.Evaluate(f.theta.data(), ga.data(), nullptr);
  const double lb = b.problem.Evaluate(f.theta.data(), gb.data(), nullptr);
  EXPECT_NEAR(la, lb, 1e-13 * std::fabs(la));
  for (Index j = 0; j < kP; ++j) EXPECT_NEAR(ga[j], gb[j], 1e-12 * (1 + std::fabs(ga[j])));
}

// PoissonLogLikelihoodBound is an upper bound of the Poisson log-likelihood
// over every location, wherever it is computed, and tight at the Poisson
// maximum (there the projection has nothing left to correct).
TEST_F(FeatureProblemTest, PoissonBoundIsAnUpperBoundAndTightAtThePoissonMaximum) {
  for (bool grouped : {true, false}) {
    RandomFeature f = MakeFeature(21, kN, kQ, kQScale, grouped);
    f.y[11] = 3.0;  // integer counts (the Poisson log-likelihood's log y!)
    FeatureSetup setup(f);
    // The Poisson maximum: the location maximised with r at the limit.
    std::vector<double> theta = f.theta;
    for (Index j = 0; j < kQScale; ++j) theta[kQ + j] = j == 0 ? kPoissonLimitLogSize : 0.0;
    EstimatorWorkspace work(kQ, kQScale);
    const EstimatorOutcome limit = RunNewton(setup.problem, theta.data(), true, FitOptions(), &work, true);
    double poisson = 0.0;
    std::vector<double> eta(kN), zeta(kN);
    setup.problem.LinearPredictors(theta.data(), eta.data(), zeta.data());
    for (Index i = 0; i < kN; ++i) poisson += f.y[i] * eta[i] - std::exp(eta[i]) - std::lgamma(f.y[i] + 1.0);
    EXPECT_NEAR(limit.loglik, poisson, 1e-9 * std::fabs(poisson));
    EXPECT_NEAR(setup.problem.PoissonLogLikelihoodBound(theta.data()), poisson, 1e-8 * std::fabs(poisson));
    std::mt19937_64 rng(5);
    std::normal_distribution<double> normal(0.0, 0.5);
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> elsewhere = theta;
      for (Index j = 0; j < kQ; ++j) elsewhere[j] += normal(rng);
      EXPECT_GE(setup.problem.PoissonLogLikelihoodBound(elsewhere.data()), poisson - 1e-9 * std::fabs(poisson));
    }
  }
}

TEST_F(FeatureProblemTest, RejectsBadArguments) {
  const std::vector<double> y(5, 1.0), x(10, 1.0), z(5, 1.0);
  EXPECT_THROW(ObservationLayout(-1, 2, 1, x.data(), z.data(), nullptr), InputError);
  EXPECT_THROW(ObservationLayout(5, -2, 1, x.data(), z.data(), nullptr), InputError);
  EXPECT_THROW(ObservationLayout(5, 2, -1, x.data(), z.data(), nullptr), InputError);
  EXPECT_THROW(ObservationLayout(5, 2, 1, nullptr, z.data(), nullptr), InputError);
  EXPECT_THROW(ObservationLayout(5, 2, 1, x.data(), nullptr, nullptr), InputError);
  ObservationLayout layout(5, 2, 1, x.data(), z.data(), nullptr);
  FeatureProblem problem(layout);
  const double theta[3] = {0, 0, 0};
  EXPECT_THROW(problem.LogLikelihood(theta), InputError);  // no feature set
  EXPECT_THROW(problem.SetFeature(nullptr), InputError);
  EXPECT_NO_THROW(problem.SetFeature(y.data()));
  EXPECT_NO_THROW(problem.LogLikelihood(theta));
}

}  // namespace
}  // namespace nbglm
