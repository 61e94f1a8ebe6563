// Tests of the per-feature objective (feature_problem.h): the chain rule of
// DESIGN.md §1 through random reduced designs, checked against central finite
// differences with Richardson extrapolation, with zeros in y and offsets.
#include "estimator/feature_problem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "nbglm/error.h"
#include "nbglm/negative_binomial.h"

namespace nbglm {
namespace {

// One random feature: y (with zeros and a large count), offsets, designs.
struct RandomFeature {
  Index n = 0, q = 0, q_scale = 0;
  std::vector<double> y, offset, x, z, theta;
};

RandomFeature MakeFeature(unsigned seed, Index n, Index q, Index q_scale) {
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
    for (Index j = 0; j < q; ++j) f.x[i * q + j] = j == 0 ? 1.0 : 0.7 * normal(rng);
    // Scale design: intercept plus group indicators / a covariate.
    for (Index j = 0; j < q_scale; ++j) {
      f.z[i * q_scale + j] =
          j == 0 ? 1.0 : (j == 1 ? static_cast<double>(i % 2) : 0.3 * normal(rng));
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
  return f;
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
  NegativeBinomial noise_;
};

TEST_F(FeatureProblemTest, GradientMatchesFiniteDifferences) {
  for (unsigned seed : {1u, 2u, 3u}) {
    RandomFeature f = MakeFeature(seed, kN, kQ, kQScale);
    FeatureProblem problem(noise_, kN, kQ, kQScale);
    problem.SetFeature(f.y.data(), f.offset.data(), f.x.data(), f.z.data());
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
    FeatureProblem problem(noise_, kN, kQ, kQScale);
    problem.SetFeature(f.y.data(), f.offset.data(), f.x.data(), f.z.data());
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
  FeatureProblem problem(noise_, kN, kQ, kQScale);
  problem.SetFeature(f.y.data(), f.offset.data(), f.x.data(), f.z.data());
  std::vector<double> gradient(kP), hessian(kP * kP);
  const double loglik = problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());

  std::vector<double> score(kQ), information(kQ * kQ);
  EXPECT_EQ(problem.EvaluateLocationFisher(f.theta.data(), score.data(), information.data()),
            loglik);
  for (Index j = 0; j < kQ; ++j) {
    EXPECT_NEAR(score[j], gradient[j], 1e-12 * (std::fabs(gradient[j]) + 1));
  }
  for (Index a = 0; a < kQ; ++a) {
    for (Index b = 0; b < kQ; ++b) {
      double expected = 0;
      for (Index i = 0; i < kN; ++i) {
        const NbLocationTerms t =
            NbLocationDerivatives(f.y[i], problem.eta()[i], problem.zeta()[i]);
        expected += f.x[i * kQ + a] * t.fisher_eta * f.x[i * kQ + b];
      }
      EXPECT_NEAR(information[a * kQ + b], expected, 1e-12 * std::fabs(expected) + 1e-12);
      EXPECT_EQ(information[a * kQ + b], information[b * kQ + a]);
    }
  }

  std::vector<double> scale_gradient(kQScale), scale_hessian(kQScale * kQScale);
  EXPECT_EQ(problem.EvaluateScale(f.theta.data(), scale_gradient.data(), scale_hessian.data()),
            loglik);
  for (Index a = 0; a < kQScale; ++a) {
    EXPECT_NEAR(scale_gradient[a], gradient[kQ + a], 1e-12 * (std::fabs(gradient[kQ + a]) + 1));
    for (Index b = 0; b < kQScale; ++b) {
      const double full = hessian[(kQ + a) * kP + (kQ + b)];
      EXPECT_NEAR(scale_hessian[a * kQScale + b], full, 1e-12 * (std::fabs(full) + 1));
    }
  }
  // Null outputs are allowed everywhere and change nothing.
  EXPECT_EQ(problem.Evaluate(f.theta.data(), nullptr, nullptr), loglik);
  EXPECT_EQ(problem.EvaluateLocationFisher(f.theta.data(), nullptr, nullptr), loglik);
  EXPECT_EQ(problem.EvaluateScale(f.theta.data(), nullptr, nullptr), loglik);
}

TEST_F(FeatureProblemTest, PredictorsOffsetsAndFeatureReuse) {
  RandomFeature f = MakeFeature(8, kN, kQ, kQScale);
  FeatureProblem problem(noise_, kN, kQ, kQScale);
  problem.SetFeature(f.y.data(), f.offset.data(), f.x.data(), f.z.data());
  const double with_offset = problem.LogLikelihood(f.theta.data());
  for (Index i = 0; i < kN; ++i) {
    double eta = f.offset[i], zeta = 0;
    for (Index j = 0; j < kQ; ++j) eta += f.x[i * kQ + j] * f.theta[j];
    for (Index j = 0; j < kQScale; ++j) zeta += f.z[i * kQScale + j] * f.theta[kQ + j];
    EXPECT_NEAR(problem.eta()[i], eta, 1e-14 * (std::fabs(eta) + 1));
    EXPECT_NEAR(problem.zeta()[i], zeta, 1e-14 * (std::fabs(zeta) + 1));
  }
  // Null offset means zero offset.
  const std::vector<double> zeros(kN, 0.0);
  problem.SetFeature(f.y.data(), zeros.data(), f.x.data(), f.z.data());
  const double zero_offset = problem.LogLikelihood(f.theta.data());
  problem.SetFeature(f.y.data(), nullptr, f.x.data(), f.z.data());
  EXPECT_EQ(problem.LogLikelihood(f.theta.data()), zero_offset);
  EXPECT_NE(zero_offset, with_offset);
  // A second feature through the same object gives what a fresh object gives.
  RandomFeature g = MakeFeature(9, kN, kQ, kQScale);
  problem.SetFeature(g.y.data(), g.offset.data(), g.x.data(), g.z.data());
  std::vector<double> grad_reused(kP), hess_reused(kP * kP), grad_fresh(kP), hess_fresh(kP * kP);
  const double reused = problem.Evaluate(g.theta.data(), grad_reused.data(), hess_reused.data());
  FeatureProblem fresh(noise_, kN, kQ, kQScale);
  fresh.SetFeature(g.y.data(), g.offset.data(), g.x.data(), g.z.data());
  EXPECT_EQ(fresh.Evaluate(g.theta.data(), grad_fresh.data(), hess_fresh.data()), reused);
  EXPECT_EQ(grad_fresh, grad_reused);
  EXPECT_EQ(hess_fresh, hess_reused);
}

// Degenerate blocks: no scale parameters (ζ ≡ 0, i.e. r = 1) and no
// observations.
TEST_F(FeatureProblemTest, EmptyBlocks) {
  RandomFeature f = MakeFeature(10, kN, kQ, 0);
  FeatureProblem problem(noise_, kN, kQ, 0);
  problem.SetFeature(f.y.data(), f.offset.data(), f.x.data(), nullptr);
  std::vector<double> gradient(kQ), hessian(kQ * kQ);
  const double loglik = problem.Evaluate(f.theta.data(), gradient.data(), hessian.data());
  double expected = 0;
  for (Index i = 0; i < kN; ++i) {
    EXPECT_EQ(problem.zeta()[i], 0.0);
    expected += NbLogLikelihood(f.y[i], problem.eta()[i], 0.0);
  }
  EXPECT_EQ(loglik, expected);

  FeatureProblem empty(noise_, 0, 2, 1);
  empty.SetFeature(nullptr, nullptr, nullptr, nullptr);
  const double theta[3] = {0.1, 0.2, 0.3};
  double g[3] = {-1, -1, -1}, h[9];
  EXPECT_EQ(empty.Evaluate(theta, g, h), 0.0);
  for (double v : g) EXPECT_EQ(v, 0.0);
  for (double v : h) EXPECT_EQ(v, 0.0);
}

TEST_F(FeatureProblemTest, RejectsBadArguments) {
  EXPECT_THROW(FeatureProblem(noise_, -1, 2, 1), InputError);
  EXPECT_THROW(FeatureProblem(noise_, 5, -2, 1), InputError);
  EXPECT_THROW(FeatureProblem(noise_, 5, 2, -1), InputError);
  FeatureProblem problem(noise_, 5, 2, 1);
  const double theta[3] = {0, 0, 0};
  EXPECT_THROW(problem.LogLikelihood(theta), InputError);  // no feature set
  const std::vector<double> y(5, 1.0), x(10, 1.0), z(5, 1.0);
  EXPECT_THROW(problem.SetFeature(nullptr, nullptr, x.data(), z.data()), InputError);
  EXPECT_THROW(problem.SetFeature(y.data(), nullptr, nullptr, z.data()), InputError);
  EXPECT_THROW(problem.SetFeature(y.data(), nullptr, x.data(), nullptr), InputError);
  EXPECT_NO_THROW(problem.SetFeature(y.data(), nullptr, x.data(), z.data()));
}

}  // namespace
}  // namespace nbglm
