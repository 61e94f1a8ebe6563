// The Poisson objective: ℓ against the pointwise formula, its gradient and
// Hessian against central differences (also far into the tails, μ → 0 and
// large μ), and its agreement with the NB objective at the Poisson limit
// r = e^500, where the two are the same function of θ_loc.
#include "estimator/poisson_feature_problem.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "estimator/estimators.h"
#include "estimator/feature_problem.h"
#include "model/observation_layout.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

// 30 observations, location (1, group B, covariate), size factors.
struct Data {
  Data() {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> normal(0.0, 0.4);
    std::poisson_distribution<int> poisson(4.0);
    for (int i = 0; i < 30; ++i) {
      x.insert(x.end(), {1.0, i % 2 == 0 ? 0.0 : 1.0, std::round(10.0 * normal(rng)) / 10.0});
      offset.push_back(normal(rng));
      y.push_back(i % 7 == 0 ? 0.0 : poisson(rng));
    }
  }
  std::vector<double> x, offset, y;
};

double DirectLogLikelihood(const Data& d, const std::vector<double>& theta) {
  double sum = 0.0;
  for (std::size_t i = 0; i < d.y.size(); ++i) {
    const double eta = d.offset[i] + d.x[3 * i] * theta[0] + d.x[3 * i + 1] * theta[1] + d.x[3 * i + 2] * theta[2];
    sum += d.y[i] * eta - std::exp(eta) - std::lgamma(d.y[i] + 1.0);
  }
  return sum;
}

TEST(PoissonFeatureProblemTest, LogLikelihoodAndDerivativesAgainstTheFormula) {
  const Data d;
  const ObservationLayout layout(30, 3, 0, d.x.data(), nullptr, d.offset.data());
  PoissonFeatureProblem problem(layout);
  problem.SetFeature(d.y.data());
  for (const std::vector<double>& theta :
       {std::vector<double>{1.3, -0.4, 0.2}, {-12.0, 3.0, -1.0}, {4.0, -0.1, 2.5}, {-30.0, -25.0, 0.0}}) {
    double gradient[3], hessian[9];
    const double loglik = problem.Evaluate(theta.data(), gradient, hessian);
    EXPECT_NEAR(loglik, DirectLogLikelihood(d, theta), 1e-10 * (1.0 + std::abs(loglik)));
    EXPECT_EQ(problem.LogLikelihood(theta.data()), loglik);
    for (int j = 0; j < 3; ++j) {
      const double h = 1e-5;
      std::vector<double> up = theta, down = theta;
      up[static_cast<std::size_t>(j)] += h;
      down[static_cast<std::size_t>(j)] -= h;
      const double numeric = (problem.LogLikelihood(up.data()) - problem.LogLikelihood(down.data())) / (2 * h);
      EXPECT_NEAR(gradient[j], numeric, 1e-6 * (1.0 + std::abs(numeric))) << "theta " << theta[0] << " j " << j;
      double g_up[3], g_down[3];
      problem.Evaluate(up.data(), g_up, nullptr);
      problem.Evaluate(down.data(), g_down, nullptr);
      for (int l = 0; l < 3; ++l) {
        const double second = (g_up[l] - g_down[l]) / (2 * h);
        EXPECT_NEAR(hessian[3 * l + j], second, 1e-6 * (1.0 + std::abs(second)));
        EXPECT_EQ(hessian[3 * l + j], hessian[3 * j + l]);
      }
    }
    double score[3], information[9];
    problem.EvaluateLocationFisher(theta.data(), score, information);
    for (int j = 0; j < 9; ++j) EXPECT_EQ(information[j], -hessian[j]);
  }
  const PredictorExtremes extremes = problem.Extremes(std::vector<double>{0.0, -2.0, 0.0}.data());
  EXPECT_TRUE(std::isinf(extremes.min_zeta) && extremes.min_zeta > 0);
  EXPECT_TRUE(std::isinf(extremes.max_zeta) && extremes.max_zeta < 0);
}

TEST(PoissonFeatureProblemTest, EqualsTheNegativeBinomialAtThePoissonLimit) {
  const Data d;
  const std::vector<double> ones(30, 1.0);
  const ObservationLayout poisson_layout(30, 3, 0, d.x.data(), nullptr, d.offset.data());
  const ObservationLayout nb_layout(30, 3, 1, d.x.data(), ones.data(), d.offset.data());
  PoissonFeatureProblem poisson(poisson_layout);
  FeatureProblem nb(nb_layout);
  poisson.SetFeature(d.y.data());
  nb.SetFeature(d.y.data());
  const std::vector<double> theta = {1.1, -0.3, 0.4};
  const std::vector<double> theta_nb = {1.1, -0.3, 0.4, kPoissonLimitLogSize};
  double g_poisson[3], g_nb[4], h_poisson[9], h_nb[16];
  const double l_poisson = poisson.Evaluate(theta.data(), g_poisson, h_poisson);
  const double l_nb = nb.Evaluate(theta_nb.data(), g_nb, h_nb);
  EXPECT_NEAR(l_poisson, l_nb, 1e-12 * std::abs(l_nb));
  for (int j = 0; j < 3; ++j) {
    EXPECT_NEAR(g_poisson[j], g_nb[j], 1e-10 * (1.0 + std::abs(g_nb[j])));
    for (int l = 0; l < 3; ++l) EXPECT_NEAR(h_poisson[3 * j + l], h_nb[4 * j + l], 1e-10 * (1.0 + std::abs(h_nb[4 * j + l])));
  }
}

TEST(PoissonFeatureProblemTest, RefusesALayoutWithAScale) {
  const Data d;
  const std::vector<double> ones(30, 1.0);
  const ObservationLayout layout(30, 3, 1, d.x.data(), ones.data(), d.offset.data());
  EXPECT_THROW(PoissonFeatureProblem problem(layout), InputError);
}

}  // namespace
}  // namespace nbglm
