// The chain rule of docs/model.md §1 (feature_problem_chain_rule.cc): the
// gradient and Hessian in θ against central finite differences with Richardson
// extrapolation through random reduced designs, the IRLS information and the
// scale-only blocks against the full evaluation, and the Poisson bound.
#include "estimator/feature_problem.h"

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

}  // namespace
}  // namespace feature_problem_test
}  // namespace nbglm
