// The per-feature objective (feature_problem.h): the grouped evaluation
// equals a direct one (η, ζ and NbEvaluate per observation) on grouped and
// numeric designs, with zeros, repeated and large counts and offsets; the
// predictors, feature reuse, empty blocks, observation order, bad arguments.
// The chain rule against finite differences is in
// feature_problem_chain_rule_test.cc; the kernels' routes in cell_kernels_test.cc.
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
}  // namespace feature_problem_test
}  // namespace nbglm
