// Extreme data (issue 6): pathological features get a status and honest
// values, never NaN or infinity presented as a converged result, and do not
// change the results of the other features in the same run.
//
// Base: 24 ordinary NB features over 60 observations (two groups, size
// factors), one observation whose counts are all zero. Extremes, inserted
// between them: an all-zero feature, a feature that is zero in one group, a
// single huge count (10^9), under-dispersed counts (the Poisson limit), a feature
// with one non-zero observation, a feature of ones and zeros.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "nbglm/constraints.h"
#include "nbglm/design.h"
#include "nbglm/fit.h"
#include "nbglm/model.h"

namespace nbglm {
namespace {

constexpr std::size_t kObservations = 60;
constexpr std::size_t kBase = 24;

struct ExtremeSetup {
  NbGlmModel model;
  Vector size_factors;
  Matrix base;      // kBase × n
  Matrix extremes;  // 6 × n
  std::vector<std::string> extreme_names;
};

ExtremeSetup MakeSetup() {
  ExtremeSetup s;
  std::vector<std::string> samples;
  Matrix x = Matrix::from_shape({kObservations, 2});
  s.size_factors = Vector::from_shape({kObservations});
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0.0, 0.4);
  for (std::size_t i = 0; i < kObservations; ++i) {
    samples.push_back("s" + std::to_string(i));
    x(i, 0) = 1.0;
    x(i, 1) = i >= kObservations / 2 ? 1.0 : 0.0;
    s.size_factors(i) = std::exp(normal(rng));
  }
  const Design design = MakeDesign(x, {"(Intercept)", "groupB"}, samples);
  const Design intercept = InterceptDesign(samples);
  s.model = MakeModel(MakeLinearPredictor(design, ConstraintBasis::Identity(design.parameter_names), "location"),
                      MakeLinearPredictor(intercept, ConstraintBasis::Identity({"(Intercept)"}), "scale"));
  s.base = Matrix::from_shape({kBase, kObservations});
  for (std::size_t f = 0; f < kBase; ++f) {
    const double mean = std::exp(0.5 + 0.25 * static_cast<double>(f));
    const double size = 0.5 + 0.3 * static_cast<double>(f);
    for (std::size_t i = 0; i < kObservations; ++i) {
      const double mu = s.size_factors(i) * mean * (x(i, 1) == 1.0 ? 1.5 : 1.0);
      std::gamma_distribution<double> gamma(size, mu / size);
      s.base(f, i) = static_cast<double>(std::poisson_distribution<long>(gamma(rng))(rng));
    }
    s.base(f, 7) = 0.0;  // observation 7 is zero in every feature
  }
  s.extremes = Matrix::from_shape({6, kObservations});
  s.extremes.fill(0.0);
  s.extreme_names = {"all_zero", "zero_in_group_b", "huge_count", "poisson", "one_nonzero", "ones"};
  for (std::size_t i = 0; i < kObservations; ++i) {
    const bool group_b = i >= kObservations / 2;
    if (!group_b) s.extremes(1, i) = static_cast<double>(std::poisson_distribution<long>(20.0)(rng));
    s.extremes(2, i) = static_cast<double>(std::poisson_distribution<long>(5.0)(rng));
    // Under-dispersed (binomial: variance ≈ mean/2), mean ∝ size factor.
    s.extremes(3, i) = static_cast<double>(
        std::binomial_distribution<int>(static_cast<int>(std::round(32.0 * s.size_factors(i))), 0.5)(rng));
    s.extremes(5, i) = static_cast<double>(i % 3 == 0);
  }
  s.extremes(2, 11) = 1e9;
  s.extremes(4, 40) = 3.0;
  for (std::size_t e = 0; e < 6; ++e) s.extremes(e, 7) = 0.0;
  return s;
}

bool AllFinite(const Matrix& m, std::size_t row) {
  for (std::size_t j = 0; j < m.shape(1); ++j) {
    if (!std::isfinite(m(row, j))) return false;
  }
  return true;
}

TEST(ExtremeDataTest, PathologicalFeaturesGetStatusesAndLeaveOthersUnchanged) {
  const ExtremeSetup s = MakeSetup();
  // Base alone, and base with the extremes interleaved (every fourth row).
  const FitResult alone = Fit(CountMatrix::FromDense(s.base), s.model, s.size_factors, FitOptions());
  Matrix mixed = Matrix::from_shape({kBase + 6, kObservations});
  std::vector<std::size_t> base_row, extreme_row;
  for (std::size_t r = 0, b = 0, e = 0; r < kBase + 6; ++r) {
    if (r % 4 == 1 && e < 6) {
      xt::view(mixed, r, xt::all()) = xt::view(s.extremes, e++, xt::all());
      extreme_row.push_back(r);
    } else {
      xt::view(mixed, r, xt::all()) = xt::view(s.base, b++, xt::all());
      base_row.push_back(r);
    }
  }
  ASSERT_EQ(extreme_row.size(), 6u);
  for (int threads : {1, 2}) {
    FitOptions options;
    options.num_threads = threads;
    const FitResult fit = Fit(CountMatrix::FromDense(mixed), s.model, s.size_factors, options);
    // The ordinary features: bit-identical to the run without the extremes.
    for (std::size_t b = 0; b < kBase; ++b) {
      const std::size_t r = base_row[b];
      EXPECT_EQ(fit.status[r], alone.status[b]);
      EXPECT_EQ(fit.loglik[r], alone.loglik[b]);
      EXPECT_EQ(xt::view(fit.location_coef, r, xt::all()), xt::view(alone.location_coef, b, xt::all()));
      EXPECT_EQ(xt::view(fit.scale_coef, r, xt::all()), xt::view(alone.scale_coef, b, xt::all()));
      EXPECT_EQ(xt::view(fit.location_se, r, xt::all()), xt::view(alone.location_se, b, xt::all()));
    }
    // No converged feature reports a non-finite estimate, standard error or ℓ.
    for (std::size_t r = 0; r < kBase + 6; ++r) {
      if (fit.status[r] != FeatureStatus::kConverged) continue;
      EXPECT_TRUE(std::isfinite(fit.loglik[r]));
      EXPECT_TRUE(AllFinite(fit.location_coef, r) && AllFinite(fit.scale_coef, r)) << r;
      EXPECT_TRUE(AllFinite(fit.location_se, r) && AllFinite(fit.scale_se, r)) << r;
    }
    const auto& e = extreme_row;
    // All zero: detected, not fitted, NaN throughout.
    EXPECT_EQ(fit.status[e[0]], FeatureStatus::kAllZero);
    EXPECT_TRUE(std::isnan(fit.loglik[e[0]]) && std::isnan(fit.location_coef(e[0], 0)));
    // Zero in group B: the group effect diverges (NaN), group A's mean does not.
    EXPECT_EQ(fit.status[e[1]], FeatureStatus::kAtBound);
    EXPECT_TRUE(std::isnan(fit.location_coef(e[1], 1)) && std::isnan(fit.location_se(e[1], 1)));
    EXPECT_NEAR(std::exp(fit.location_coef(e[1], 0)), 20.0, 3.0);
    EXPECT_TRUE(std::isfinite(fit.location_se(e[1], 0)) && std::isfinite(fit.loglik[e[1]]));
    // One huge count: a finite fit with a strong overdispersion.
    EXPECT_TRUE(fit.status[e[2]] == FeatureStatus::kConverged) << ToString(fit.status[e[2]]);
    EXPECT_LT(fit.scale_coef(e[2], 0), 0.0);
    // Under-dispersed counts: the Poisson limit, r = ∞, the location and its
    // standard errors finite (the Poisson GLM's).
    EXPECT_EQ(fit.status[e[3]], FeatureStatus::kAtBound);
    EXPECT_EQ(fit.scale_coef(e[3], 0), INFINITY);
    EXPECT_TRUE(AllFinite(fit.location_coef, e[3]) && AllFinite(fit.location_se, e[3]));
    // One non-zero observation (group B): group A's mean → 0, so the
    // intercept diverges; nothing infinite is reported as a number.
    EXPECT_EQ(fit.status[e[4]], FeatureStatus::kAtBound);
    EXPECT_TRUE(std::isnan(fit.location_coef(e[4], 0)));
    EXPECT_TRUE(std::isfinite(fit.loglik[e[4]]));
    // Ones and zeros (under-dispersed): the Poisson limit.
    EXPECT_EQ(fit.status[e[5]], FeatureStatus::kAtBound);
    EXPECT_EQ(fit.scale_coef(e[5], 0), INFINITY);
    EXPECT_TRUE(AllFinite(fit.location_coef, e[5]));
  }
}

}  // namespace
}  // namespace nbglm
