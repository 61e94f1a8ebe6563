// Scale groups at their own Poisson limit (scale_limit.h, docs/model.md
// "Scale, group by group"): the group map of the layout, the reported
// coefficients, and whole fits where one condition is Poisson and the other
// overdispersed — every estimator stops in a few iterations with status
// at_bound, ±Inf along the diverging group and estimates for the rest.
#include "estimator/scale_limit.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/observation_layout.h"
#include "nbglm/fit.h"

namespace nbglm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(ScaleGroupMapTest, FactorScaleDesignIsInvertedAndGroupCoordinatesKeepTheLayout) {
  // Scale ~ condition (treatment coding), location ~ 1; groups in order of
  // first appearance: B (row 0) then A.
  const std::vector<double> x = {1, 1, 1, 1};
  const std::vector<double> z = {1, 1, 1, 0, 1, 0, 1, 1};
  const std::vector<double> offset = {0.1, -0.2, 0.3, 0.0};
  const ObservationLayout layout(4, 1, 2, x.data(), z.data(), offset.data());
  ASSERT_EQ(layout.scale_group_inverse().rows(), 2);
  const Eigen::MatrixXd rows = layout.scale_rows();
  EXPECT_TRUE((rows * layout.scale_group_inverse()).isIdentity(1e-15));

  const ObservationLayout groups = layout.InScaleGroupCoordinates();
  EXPECT_EQ(groups.num_scale(), 2);
  EXPECT_TRUE(Eigen::MatrixXd(groups.scale_rows()).isIdentity(0.0));
  EXPECT_EQ(groups.observation_at(), layout.observation_at());
  EXPECT_EQ(groups.scale_group_of(), layout.scale_group_of());
  EXPECT_EQ(groups.offset_at(), layout.offset_at());
}

TEST(ScaleGroupMapTest, NoMapWhenGroupsDoNotIdentifyTheScale) {
  // A numeric covariate: 4 groups, 2 parameters.
  const std::vector<double> x = {1, 1, 1, 1};
  const std::vector<double> z = {1, 0.5, 1, 1.5, 1, 2.5, 1, 3.5};
  const ObservationLayout layout(4, 1, 2, x.data(), z.data(), nullptr);
  EXPECT_EQ(layout.scale_group_inverse().size(), 0);
}

TEST(ScaleCoefficientTest, LoadingOnALimitGroupGivesInfinityOfItsSignOrNaN) {
  // Groups (A, B) with rows (1, 0) and (1, 1): θ = (β_A, β_B − β_A).
  Eigen::MatrixXd inverse(2, 2);
  inverse << 1, 0, -1, 1;
  const double beta[] = {2.0, 500.0};
  const Eigen::RowVectorXd intercept = Eigen::RowVectorXd::Unit(2, 0);
  const Eigen::RowVectorXd condition = Eigen::RowVectorXd::Unit(2, 1);
  // B at the limit: the intercept (A) is estimated, the effect is +Inf.
  EXPECT_EQ(ScaleCoefficientWithGroupsAtLimit(intercept, inverse, beta, {0, 1}), 2.0);
  EXPECT_EQ(ScaleCoefficientWithGroupsAtLimit(condition, inverse, beta, {0, 1}), kInf);
  // A at the limit: intercept +Inf, effect −Inf.
  const double beta_a[] = {500.0, 2.0};
  EXPECT_EQ(ScaleCoefficientWithGroupsAtLimit(intercept, inverse, beta_a, {1, 0}), kInf);
  EXPECT_EQ(ScaleCoefficientWithGroupsAtLimit(condition, inverse, beta_a, {1, 0}), -kInf);
  // A combination loading on both with opposite signs, both at the limit: NaN.
  const Eigen::RowVectorXd mixed = (Eigen::RowVectorXd(2) << 0.0, 1.0).finished();
  EXPECT_TRUE(std::isnan(ScaleCoefficientWithGroupsAtLimit(mixed, inverse, beta, {1, 1})));
  EXPECT_TRUE(ReducedScaleParameterAtLimit(1, inverse, {0, 1}));
  EXPECT_FALSE(ReducedScaleParameterAtLimit(0, inverse, {0, 1}));
}

// n observations per condition; condition A NB with size r_a, condition B
// Poisson (its MLE of r is +∞ for most seeds), mean `mean` in both; location
// and scale ~ condition. `b_first`: B is the reference level.
struct Problem {
  CountMatrix counts;
  NbGlmModel model;
};

Problem OneConditionPoisson(int features, int n, double mean, double r_a, bool b_first, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> gamma(r_a, mean / r_a);
  Matrix y = Matrix::from_shape({static_cast<std::size_t>(features), static_cast<std::size_t>(2 * n)});
  Matrix design = Matrix::from_shape({static_cast<std::size_t>(2 * n), 2});
  for (int i = 0; i < 2 * n; ++i) {
    const bool in_b = i % 2 == 1;
    design(static_cast<std::size_t>(i), 0) = 1.0;
    design(static_cast<std::size_t>(i), 1) = in_b == b_first ? 0.0 : 1.0;
  }
  for (int g = 0; g < features; ++g) {
    for (int i = 0; i < 2 * n; ++i) {
      const bool in_b = i % 2 == 1;
      std::poisson_distribution<int> poisson(in_b ? mean : gamma(rng));
      y(static_cast<std::size_t>(g), static_cast<std::size_t>(i)) = poisson(rng);
    }
  }
  const Design d = MakeDesign(design, {"(Intercept)", "condition"});
  const LinearPredictor location =
      MakeLinearPredictor(d, ConstraintBasis::Identity({"(Intercept)", "condition"}), "location");
  const LinearPredictor scale = MakeLinearPredictor(d, ConstraintBasis::Identity({"(Intercept)", "condition"}), "scale");
  return {CountMatrix::FromDense(y), MakeModel(location, scale)};
}

class OneConditionAtPoissonLimitTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(OneConditionAtPoissonLimitTest, StopsFastWithInfinityAlongTheLimitGroupOnly) {
  for (const bool b_first : {false, true}) {
    SCOPED_TRACE(b_first ? "Poisson condition is the reference" : "overdispersed condition is the reference");
    const Problem p = OneConditionPoisson(40, 300, 2.0, 1.5, b_first, 11);
    FitOptions options;
    options.algorithm = GetParam();
    options.num_threads = 1;
    const FitResult fit = Fit(p.counts, p.model, Vector(), options);
    int at_limit = 0;
    for (Index g = 0; g < fit.num_features(); ++g) {
      SCOPED_TRACE("feature " + std::to_string(g));
      const FeatureStatus status = fit.status[static_cast<std::size_t>(g)];
      ASSERT_TRUE(status == FeatureStatus::kConverged || status == FeatureStatus::kAtBound);
      const double intercept = fit.scale_coef(static_cast<std::size_t>(g), 0);
      const double effect = fit.scale_coef(static_cast<std::size_t>(g), 1);
      if (status == FeatureStatus::kConverged) {
        EXPECT_TRUE(std::isfinite(intercept) && std::isfinite(effect));
        continue;
      }
      ++at_limit;
      if (options.algorithm != Algorithm::kCeres) {
        EXPECT_LE(fit.iterations[static_cast<std::size_t>(g)], 20);
      }
      // The Poisson condition's size at +∞, the overdispersed one estimated
      // (near log 1.5) with a finite standard error.
      if (b_first) {
        EXPECT_EQ(intercept, kInf);
        EXPECT_EQ(effect, -kInf);
      } else {
        EXPECT_EQ(effect, kInf);
        EXPECT_TRUE(std::isfinite(intercept));
        EXPECT_NEAR(intercept, std::log(1.5), 1.0);
        EXPECT_TRUE(std::isfinite(fit.scale_se(static_cast<std::size_t>(g), 0)));
      }
      EXPECT_TRUE(std::isnan(fit.scale_se(static_cast<std::size_t>(g), 1)));
      // The location is estimated, with standard errors.
      for (std::size_t j = 0; j < 2; ++j) {
        EXPECT_TRUE(std::isfinite(fit.location_coef(static_cast<std::size_t>(g), j)));
        EXPECT_TRUE(std::isfinite(fit.location_se(static_cast<std::size_t>(g), j)));
      }
    }
    // About half: a Poisson sample's r̂ is ∞ when its variance is below its mean.
    EXPECT_GE(at_limit, 10);
  }
}

INSTANTIATE_TEST_SUITE_P(Estimators, OneConditionAtPoissonLimitTest,
                         ::testing::Values(Algorithm::kNewton, Algorithm::kIrls, Algorithm::kCeres));

TEST(OneConditionAtPoissonLimitTest, EstimatorsAgreeOnEveryFeature) {
  const Problem p = OneConditionPoisson(40, 300, 2.0, 1.5, false, 12);
  FitOptions options;
  options.num_threads = 1;
  std::vector<FitResult> fits;
  for (const Algorithm a : {Algorithm::kNewton, Algorithm::kIrls, Algorithm::kCeres}) {
    options.algorithm = a;
    fits.push_back(Fit(p.counts, p.model, Vector(), options));
  }
  for (Index g = 0; g < fits[0].num_features(); ++g) {
    const std::size_t k = static_cast<std::size_t>(g);
    for (std::size_t e = 1; e < fits.size(); ++e) {
      EXPECT_NEAR(fits[e].loglik[k], fits[0].loglik[k], 1e-8 * std::abs(fits[0].loglik[k])) << "feature " << g;
      EXPECT_EQ(fits[e].status[k], fits[0].status[k]) << "feature " << g;
    }
  }
}

}  // namespace
}  // namespace nbglm
