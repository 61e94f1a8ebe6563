// The per-cell kernels (cell_kernels.h), through every route an observation
// can take in FeatureProblem's evaluation — zero and small counts in SIMD
// pairs (series or log1p), large counts in pairs or one by one, zeros by
// power sums — against NbEvaluate observation by observation.
#include "estimator/cell_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "estimator/feature_problem_test_util.h"
#include "nbglm/error.h"

namespace nbglm {
namespace feature_problem_test {
namespace {

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

// The kernels called directly: the zeros of a cell (series of each length,
// and log1p) and by power sums, against NbEvaluate summed observation by
// observation; the series length grows with q and stays within the
// instantiated ones.
TEST(CellKernelsTest, ZeroKernelsEqualTheObservationSums) {
  using cell_kernels::ObservationSums;
  std::vector<double> size_factor;
  for (int k = 0; k < 20; ++k) size_factor.push_back(0.5 + 0.05 * k);
  for (const double r : {0.1, 2.0, 1e4}) {
    for (const double mean : {1e-3, 0.3, 50.0}) {
      ObservationSums expected;
      double max_q = 0.0;
      for (const double s : size_factor) {
        expected.Add(NbEvaluate(0.0, std::log(s * mean), std::log(r)));
        max_q = std::max(max_q, s * mean / (r + s * mean));
      }
      ObservationSums sums;
      cell_kernels::ZeroCountsKernel(max_q, max_q < 0.5, size_factor.data(), 20, mean, r, &sums);
      SCOPED_TRACE("r " + std::to_string(r) + ", mean " + std::to_string(mean));
      const auto near = [](double a, double b) { return std::fabs(a - b) <= 1e-14 * (std::fabs(b) + 1e-300) + 1e-300; };
      EXPECT_TRUE(near(sums.loglik + sums.loglik_compensation, expected.loglik + expected.loglik_compensation))
          << sums.loglik << " vs " << expected.loglik;
      EXPECT_TRUE(near(sums.d_eta, expected.d_eta)) << sums.d_eta << " vs " << expected.d_eta;
      EXPECT_TRUE(near(sums.d2_eta, expected.d2_eta)) << sums.d2_eta << " vs " << expected.d2_eta;
      EXPECT_TRUE(near(sums.fisher, expected.fisher)) << sums.fisher << " vs " << expected.fisher;
      EXPECT_TRUE(near(sums.d2_eta_zeta, expected.d2_eta_zeta)) << sums.d2_eta_zeta << " vs " << expected.d2_eta_zeta;
      EXPECT_TRUE(near(sums.d_zeta, expected.d_zeta)) << sums.d_zeta << " vs " << expected.d_zeta;
      EXPECT_NEAR(sums.d2_zeta, expected.d2_zeta, 1e-13 * std::fabs(sums.d_zeta) + 1e-300);

      // The same zeros by power sums while x_max = s_max·m/r ≤ ¼.
      const double max_ratio = size_factor.back() * mean / r;
      if (max_ratio > cell_kernels::kMaxPowerRatio) continue;
      double powers[cell_kernels::kPowerTerms] = {};
      for (const double s : size_factor) {
        double power = s;
        for (int k = 0; k < cell_kernels::kPowerTerms; ++k, power *= s) powers[k] += power;
      }
      ObservationSums by_powers;
      cell_kernels::ZeroCountsByPowers(powers, max_ratio, mean / r, r, &by_powers);
      EXPECT_NEAR(by_powers.loglik + by_powers.loglik_compensation, expected.loglik,
                  1e-13 * std::fabs(expected.loglik));
      EXPECT_NEAR(by_powers.d_eta, expected.d_eta, 1e-13 * std::fabs(expected.d_eta));
      EXPECT_NEAR(by_powers.d_zeta, expected.d_zeta, 1e-13 * std::fabs(expected.d_eta));
    }
  }
  int previous = 0;
  for (const double q : {1e-6, 1e-3, 0.05, 0.2, 0.35, 0.49}) {
    const int terms = cell_kernels::SeriesTerms(q);
    EXPECT_GE(terms, previous) << q;
    EXPECT_TRUE(terms == 2 || terms == 4 || terms == 6 || terms == 10 || terms == 19) << terms;
    previous = terms;
  }
  EXPECT_EQ(cell_kernels::SeriesTerms(0.49), 19);
  EXPECT_EQ(cell_kernels::SeriesTerms(1e-9), 2);
}

}  // namespace
}  // namespace feature_problem_test
}  // namespace nbglm
