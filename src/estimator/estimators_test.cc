// The newton and irls estimators (estimators.h, docs/model.md §4): they reach
// maxima known in closed form or computed independently (group means, a 1-D
// profile in log r by bisection, MASS::glm.nb), and the stopping rules, bound
// checks and statuses (max_iterations, at_bound, numerical_failure) behave.
#include "estimator/estimators.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "estimator_test_problems.h"

namespace nbglm {
namespace {

using testing::CovariateWithSizeFactors;
using testing::InterceptOnly;
using testing::MassReference;
using testing::Mean;
using testing::NbLogLikelihood;
using testing::OneFeature;
using testing::ProfileLogSize;
using testing::TwoGroups;

using Estimator = std::function<EstimatorOutcome(FeatureProblem&, double*, bool, const FitOptions&,
                                                 EstimatorWorkspace*)>;
struct Named {
  const char* name;
  Estimator run;
};
const std::vector<Named>& Estimators() {
  static const std::vector<Named> estimators = {
      {"newton", [](FeatureProblem& p, double* t, bool l, const FitOptions& o,
                    EstimatorWorkspace* w) { return RunNewton(p, t, l, o, w); }},
      {"irls", RunIrls}};
  return estimators;
}

// A converged θ satisfies the scaled-gradient rule |g_k|·SE_k ≤ tol, so its
// distance to the maximum, J⁻¹g, is at most Σ_k SE_j·SE_k·|g_k| ≤ m·tol·SE_j
// in θ_j (Cauchy–Schwarz on J⁻¹); 1e-12 allows for the reference's rounding.
void ExpectNearMaximum(OneFeature& f, const std::vector<double>& theta, const std::vector<double>& expected,
                       const FitOptions& options) {
  const std::vector<double> se = f.StandardErrors(theta);
  const double m = static_cast<double>(theta.size());
  for (std::size_t j = 0; j < theta.size(); ++j) {
    EXPECT_NEAR(theta[j], expected[j], m * options.gradient_tolerance * se[j] + 1e-12) << "θ_" << j;
  }
}

// Overdispersed counts (mean 5.58, sample variance 43.2).
const std::vector<double> kCounts = {0, 3, 1, 8, 2, 14, 5, 0, 7, 22, 4, 1};
const std::vector<double> kGroupA = {2, 9, 0, 5, 14, 3};
const std::vector<double> kGroupB = {20, 7, 41, 15, 3, 28};

TEST(EstimatorsTest, InterceptOnlyReachesTheMeanAndTheProfileMaximum) {
  // With one size factor s the location MLE is e^a = ȳ/s for every r.
  const double s = 2.0;
  const double log_size = ProfileLogSize({kCounts});
  ASSERT_TRUE(std::isfinite(log_size));
  const double mean = Mean(kCounts);
  const double maximum = NbLogLikelihood(kCounts, mean, std::exp(log_size));
  const FitOptions options;
  for (const Named& estimator : Estimators()) {
    SCOPED_TRACE(estimator.name);
    OneFeature f = InterceptOnly(kCounts, s);
    std::vector<double> theta = {std::log(mean / s) + 0.7, log_size - 1.5};
    const EstimatorOutcome outcome = estimator.run(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kConverged);
    EXPECT_GT(outcome.iterations, 0);
    ExpectNearMaximum(f, theta, {std::log(mean / s), log_size}, options);
    EXPECT_NEAR(outcome.loglik, maximum, options.function_tolerance * (1.0 + std::abs(maximum)));
    EXPECT_EQ(outcome.loglik, f.problem.LogLikelihood(theta.data()));  // ℓ at the returned θ
  }
}

TEST(EstimatorsTest, GroupDesignReachesTheGroupMeans) {
  // Location (1, [B]) with one size factor per group: μ̂_g = ȳ_g, so
  // a = (log(ȳ_A/s_A), log(ȳ_B/s_B) − log(ȳ_A/s_A)), r̂ from the joint profile.
  const double s_a = 1.0, s_b = 1.5;
  const double alpha_a = std::log(Mean(kGroupA) / s_a);
  const double alpha_b = std::log(Mean(kGroupB) / s_b);
  const double log_size = ProfileLogSize({kGroupA, kGroupB});
  ASSERT_TRUE(std::isfinite(log_size));
  const double maximum = NbLogLikelihood(kGroupA, Mean(kGroupA), std::exp(log_size)) +
                         NbLogLikelihood(kGroupB, Mean(kGroupB), std::exp(log_size));
  const FitOptions options;
  for (const Named& estimator : Estimators()) {
    SCOPED_TRACE(estimator.name);
    OneFeature f = TwoGroups(kGroupA, kGroupB, s_a, s_b);
    std::vector<double> theta = {0.0, 0.0, 0.0};
    const EstimatorOutcome outcome = estimator.run(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kConverged);
    ExpectNearMaximum(f, theta, {alpha_a, alpha_b - alpha_a, log_size}, options);
    EXPECT_NEAR(outcome.loglik, maximum, options.function_tolerance * (1.0 + std::abs(maximum)));

    // train_location = false: the exact location is kept bit for bit, the
    // scale alone reaches the same r̂.
    OneFeature g = TwoGroups(kGroupA, kGroupB, s_a, s_b);
    std::vector<double> exact = {alpha_a, alpha_b - alpha_a, 0.0};
    const std::vector<double> location = {exact[0], exact[1]};
    EXPECT_EQ(estimator.run(g.problem, exact.data(), false, options, &g.work).status, FeatureStatus::kConverged);
    EXPECT_EQ(exact[0], location[0]);
    EXPECT_EQ(exact[1], location[1]);
    EXPECT_NEAR(exact[2], log_size, options.gradient_tolerance * g.StandardErrors(exact)[2] + 1e-12);
  }
}

// The covariate problem of tests/estimator_test_problems.h (a glm.nb maximum).
TEST(EstimatorsTest, CovariateMaximumAgreesWithMassGlmNb) {
  const MassReference reference = CovariateWithSizeFactors();
  const std::vector<double>& y = reference.y;
  const std::vector<double>& expected = reference.expected;
  const double maximum = reference.maximum;
  const FitOptions options;
  for (const Named& estimator : Estimators()) {
    SCOPED_TRACE(estimator.name);
    OneFeature f = reference.Feature();
    std::vector<double> theta = {std::log(Mean(y)), 0.0, 0.0};
    const EstimatorOutcome outcome = estimator.run(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kConverged);
    ExpectNearMaximum(f, theta, expected, options);
    EXPECT_NEAR(outcome.loglik, maximum, options.function_tolerance * (1.0 + std::abs(maximum)));
  }
}

TEST(EstimatorsTest, MaxIterationsStopsAfterThatManyAscentSteps) {
  FitOptions options;
  options.max_iterations = 1;
  for (const Named& estimator : Estimators()) {
    SCOPED_TRACE(estimator.name);
    OneFeature f = TwoGroups(kGroupA, kGroupB, 1.0, 1.5);
    std::vector<double> theta = {3.0, -2.0, 4.0};
    const double start = f.problem.LogLikelihood(theta.data());
    const EstimatorOutcome outcome = estimator.run(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kMaxIterations);
    EXPECT_EQ(outcome.iterations, 1);
    EXPECT_GT(outcome.loglik, start);
    EXPECT_EQ(outcome.loglik, f.problem.LogLikelihood(theta.data()));
  }
}

TEST(EstimatorsTest, GroupOfZerosEndsAtTheLocationBound) {
  // Group B all zero: μ_B → 0 (no finite MLE), while group A keeps μ̂_A = ȳ_A
  // and r̂ is group A's own profile maximum (zeros at μ = 0 add nothing to ℓ
  // or to its r-score). ℓ approaches its supremum ℓ_A(ȳ_A, r̂) from below.
  const std::vector<double> zeros(6, 0.0);
  const double log_size = ProfileLogSize({kGroupA});
  ASSERT_TRUE(std::isfinite(log_size));
  const double supremum = NbLogLikelihood(kGroupA, Mean(kGroupA), std::exp(log_size));
  const FitOptions options;
  for (const Named& estimator : Estimators()) {
    SCOPED_TRACE(estimator.name);
    OneFeature f = TwoGroups(kGroupA, zeros, 1.0, 1.0);
    std::vector<double> theta = {std::log(Mean(kGroupA)), std::log(0.1 / 6.0) - std::log(Mean(kGroupA)), 1.0};
    const EstimatorOutcome outcome = estimator.run(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kAtBound);
    EXPECT_TRUE(CheckBounds(f.problem, theta.data(), options, 1.0, &f.work).location);
    EXPECT_FALSE(CheckBounds(f.problem, theta.data(), options, 1.0, &f.work).scale);
    EXPECT_LT(theta[0] + theta[1], std::log(options.min_mean));
    // The estimable block: its standard errors from the group-A problem.
    OneFeature a = InterceptOnly(kGroupA, 1.0);
    const std::vector<double> se = a.StandardErrors({theta[0], theta[2]});
    EXPECT_NEAR(theta[0], std::log(Mean(kGroupA)), 2.0 * options.gradient_tolerance * se[0] + 1e-12);
    EXPECT_NEAR(theta[2], log_size, 2.0 * options.gradient_tolerance * se[1] + 1e-12);
    // The tail ℓ∞ − ℓ ≈ Σ_B μ (the zeros' log P(0) ≈ −μ) is below min_mean·n.
    EXPECT_LE(outcome.loglik, supremum + 1e-12 * std::abs(supremum));
    EXPECT_GE(outcome.loglik, supremum - 6.0 * options.min_mean - 1e-12 * std::abs(supremum));
  }
}

TEST(EstimatorsTest, UnderdispersedCountsEndAtThePoissonLimit) {
  // Variance 0.49 < mean 5.1: the r-score n(ȳ − s²)/(2r²) + O(r⁻³) stays
  // positive, the supremum is r → ∞ with ℓ → the Poisson ℓ at μ = ȳ.
  const std::vector<double> y = {5, 6, 4, 5, 5, 6, 4, 5, 6, 5};
  const double mean = Mean(y);
  double poisson = 0.0;
  for (double v : y) poisson += v * std::log(mean) - mean - std::lgamma(v + 1.0);
  const FitOptions options;
  for (const Named& estimator : Estimators()) {
    SCOPED_TRACE(estimator.name);
    OneFeature f = InterceptOnly(y, 1.0);
    std::vector<double> theta = {std::log(mean) + 0.2, 2.0};
    const EstimatorOutcome outcome = estimator.run(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kAtBound);
    EXPECT_GT(theta[1], std::log(options.max_size));
    EXPECT_TRUE(CheckBounds(f.problem, theta.data(), options, 1.0, &f.work).scale);
    // At μ = ȳ, ℓ_NB = ℓ_Poisson − (Σy − Σ(y − ȳ)²)/(2r) + O(r⁻²), with
    // Σy − Σ(y − ȳ)² = 51 − 4.9.
    const double r = std::exp(theta[1]);
    EXPECT_NEAR(outcome.loglik, poisson - 46.1 / (2.0 * r), options.function_tolerance * (1.0 + std::abs(poisson)));
    // The location converged to the Poisson (and every-r) MLE log ȳ, within
    // the rule's bound on its block.
    const double se = 1.0 / std::sqrt(mean * static_cast<double>(y.size()));
    EXPECT_NEAR(theta[0], std::log(mean), 2.0 * options.gradient_tolerance * se + 1e-12);
  }
}

TEST(EstimatorsTest, NewtonHoldsTheScaleWhenAsked) {
  // scale_held: the location is trained at the given r, which is kept bit for
  // bit; an interior r (scale gradient inward) gives converged, a scale
  // beyond max_size heading out (underdispersed counts) gives at_bound.
  const FitOptions options;
  OneFeature f = InterceptOnly(kCounts, 2.0);
  std::vector<double> theta = {0.0, 0.5};
  EXPECT_EQ(RunNewton(f.problem, theta.data(), true, options, &f.work, true).status, FeatureStatus::kConverged);
  EXPECT_EQ(theta[1], 0.5);
  const double se = f.StandardErrors(theta)[0];
  EXPECT_NEAR(theta[0], std::log(Mean(kCounts) / 2.0), options.gradient_tolerance * se + 1e-12);

  const std::vector<double> y = {5, 6, 4, 5, 5, 6, 4, 5, 6, 5};
  OneFeature g = InterceptOnly(y, 1.0);
  const double beyond = std::log(2.0 * options.max_size);
  std::vector<double> held = {0.0, beyond};
  EXPECT_EQ(RunNewton(g.problem, held.data(), true, options, &g.work, true).status, FeatureStatus::kAtBound);
  EXPECT_EQ(held[1], beyond);
  // abandon_heading_out: from an interior start, stop at_bound once the scale
  // is beyond max_size heading out, in no more iterations than a full fit.
  OneFeature h = InterceptOnly(y, 1.0);
  std::vector<double> full = {std::log(Mean(y)) + 0.2, 2.0}, abandoned = full;
  const EstimatorOutcome complete = RunNewton(h.problem, full.data(), true, options, &h.work);
  const EstimatorOutcome early = RunNewton(h.problem, abandoned.data(), true, options, &h.work, false, true);
  EXPECT_EQ(early.status, FeatureStatus::kAtBound);
  EXPECT_GT(abandoned[1], std::log(options.max_size));
  EXPECT_LE(early.iterations, complete.iterations);
}

TEST(EstimatorsTest, NonFiniteStartIsANumericalFailure) {
  const FitOptions options;
  for (const Named& estimator : Estimators()) {
    SCOPED_TRACE(estimator.name);
    OneFeature f = InterceptOnly(kCounts, 1.0);
    std::vector<double> theta = {std::numeric_limits<double>::quiet_NaN(), 0.0};
    const EstimatorOutcome outcome = estimator.run(f.problem, theta.data(), true, options, &f.work);
    EXPECT_EQ(outcome.status, FeatureStatus::kNumericalFailure);
    EXPECT_EQ(outcome.iterations, 0);
  }
}

// HasConverged on a gradient and Hessian set by hand (m = 2, ℓ = −10, so the
// function rule's threshold is 1e-12·11): rule (b) scales g_j by
// sqrt((J⁻¹)_jj), rule (a) takes the larger of |Δℓ| and gᵀJ⁻¹g/2.
TEST(EstimatorsTest, HasConvergedAppliesBothStoppingRules) {
  FitOptions options;
  EstimatorWorkspace work(1, 1);
  const auto converged = [&](double g0, double g1, double j00, double j01, double j11, double last_change,
                             bool train_location = true, double loglik = -10.0) {
    work.gradient << g0, g1;
    work.hessian << -j00, -j01, -j01, -j11;
    return HasConverged(loglik, last_change, train_location, options, &work);
  };
  EXPECT_TRUE(converged(0.0, 0.0, 1.0, 0.0, 1.0, 0.0));
  EXPECT_TRUE(converged(0.9e-8, 0.0, 1.0, 0.0, 1.0, 0.0));
  EXPECT_FALSE(converged(1.1e-8, 0.0, 1.0, 0.0, 1.0, 0.0));
  EXPECT_TRUE(converged(0.0, 3.6e-8, 1.0, 0.0, 16.0, 0.0));   // 3.6e-8/4
  EXPECT_FALSE(converged(0.0, 4.4e-8, 1.0, 0.0, 16.0, 0.0));  // 4.4e-8/4
  // Correlated parameters: (J⁻¹)_00 = 1/(1 − 0.81), not 1/J_00.
  EXPECT_TRUE(converged(4.0e-9, 0.0, 1.0, 0.9, 1.0, 0.0));   // 9.2e-9
  EXPECT_FALSE(converged(4.5e-9, 0.0, 1.0, 0.9, 1.0, 0.0));  // 1.03e-8
  // Rule (a): the last change, then the predicted gain.
  EXPECT_TRUE(converged(0.0, 0.0, 1.0, 0.0, 1.0, 1.0e-11));
  EXPECT_FALSE(converged(0.0, 0.0, 1.0, 0.0, 1.0, -1.2e-11));
  options.gradient_tolerance = 1.0;
  EXPECT_TRUE(converged(4.6e-6, 0.0, 1.0, 0.0, 1.0, 0.0));   // gain 1.06e-11
  EXPECT_FALSE(converged(4.8e-6, 0.0, 1.0, 0.0, 1.0, 0.0));  // gain 1.15e-11
  EXPECT_TRUE(converged(4.8e-6, 0.0, 1.0, 0.0, 1.0, 0.0, true, -12.0));  // threshold 1.3e-11
  options.gradient_tolerance = 1e-8;
  // Not a maximum: J not positive definite.
  EXPECT_FALSE(converged(0.0, 0.0, -1.0, 0.0, 1.0, 0.0));
  EXPECT_FALSE(converged(0.0, 0.0, 1.0, 2.0, 1.0, 0.0));
  // train_location = false: the scale block alone.
  EXPECT_TRUE(converged(1.0, 0.0, -1.0, 0.0, 1.0, 0.0, false));
  EXPECT_FALSE(converged(0.0, 1.1e-8, 1.0, 0.0, 1.0, 0.0, false));
}

TEST(EstimatorsTest, CheckBoundsComparesThePredictorsWithTheOptions) {
  // Size factor 2: η = log 2 + θ_loc, ζ = θ_scale.
  const FitOptions options;
  OneFeature f = InterceptOnly(kCounts, 2.0);
  const double log_min_mean = std::log(options.min_mean);
  const auto check = [&](double eta, double zeta, double slack) {
    const std::vector<double> theta = {eta - std::log(2.0), zeta};
    return CheckBounds(f.problem, theta.data(), options, slack, &f.work);
  };
  EXPECT_FALSE(check(0.0, 0.0, 1.0).any());
  EXPECT_TRUE(check(log_min_mean - 0.01, 0.0, 1.0).location);
  EXPECT_FALSE(check(log_min_mean - 0.01, 0.0, 1.0).scale);
  EXPECT_FALSE(check(log_min_mean + 0.01, 0.0, 1.0).location);
  EXPECT_FALSE(check(log_min_mean - 0.01, 0.0, 1.1).location);  // log 1.1 = 0.095 of slack
  EXPECT_TRUE(check(0.0, std::log(options.max_size) + 0.01, 1.0).scale);
  EXPECT_FALSE(check(0.0, std::log(options.max_size) - 0.01, 1.0).scale);
  EXPECT_FALSE(check(0.0, std::log(options.max_size) + 0.01, 1.1).scale);
  EXPECT_TRUE(check(0.0, std::log(options.min_size) - 0.01, 1.0).scale);
  EXPECT_FALSE(check(0.0, std::log(options.min_size) - 0.01, 1.1).scale);
  EXPECT_FALSE(check(0.0, std::log(options.min_size) - 0.01, 1.0).location);
}

}  // namespace
}  // namespace nbglm
