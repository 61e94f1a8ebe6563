// The closed-form starting values of docs/model.md §3 (initializer.h): group
// means Σy/Σs solved exactly or by group-size-weighted least squares, when the
// location is the exact MLE, zero groups, and the method-of-moments size with
// its n/(n − q) correction, clipping and the underdispersed start.
#include "init/initializer.h"

#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "estimator/feature_problem.h"
#include "model/observation_layout.h"

namespace nbglm {
namespace {

// A layout with its arrays (row-major designs, size factors).
struct Designs {
  Designs(Index q_in, std::vector<double> x_in, Index q_s_in, std::vector<double> z_in, const std::vector<double>& s)
      : x(std::move(x_in)), z(std::move(z_in)), q(q_in), q_s(q_s_in) {
    for (double v : s) offset.push_back(std::log(v));
    layout = std::make_unique<ObservationLayout>(static_cast<Index>(s.size()), q, q_s, x.data(), z.data(),
                                                 offset.data());
  }
  std::vector<double> x, z, offset;
  Index q, q_s;
  std::unique_ptr<ObservationLayout> layout;
};

std::vector<double> Ones(std::size_t n) { return std::vector<double>(n, 1.0); }

// Method-of-moments size over the observations `in` of y with means mu:
// r = Σμ² / Σ(c(y − μ)² − μ).
double MomentSize(const std::vector<double>& y, const std::vector<double>& mu, double c,
                  const std::vector<std::size_t>& in) {
  double numerator = 0.0, denominator = 0.0;
  for (std::size_t i : in) {
    numerator += mu[i] * mu[i];
    denominator += c * (y[i] - mu[i]) * (y[i] - mu[i]) - mu[i];
  }
  return numerator / denominator;
}

std::vector<std::size_t> Range(std::size_t begin, std::size_t end) {
  std::vector<std::size_t> r;
  for (std::size_t i = begin; i < end; ++i) r.push_back(i);
  return r;
}

// Groups A (observations 0–5, size factors 1, 1, …) and B (6–11, 1.5 each)
// of the location (1, [B]); the scale intercept-only.
const std::vector<double> kY = {2, 9, 0, 5, 14, 3, 20, 7, 41, 15, 3, 28};

Designs TwoGroupDesigns(const std::vector<double>& s) {
  std::vector<double> x;
  for (std::size_t i = 0; i < s.size(); ++i) x.insert(x.end(), {1.0, i < 6 ? 0.0 : 1.0});
  return Designs(2, x, 1, Ones(s.size()), s);
}

TEST(InitializerTest, SaturatedGroupsWithOneSizeFactorEachAreTheExactMle) {
  const std::vector<double> s = {1, 1, 1, 1, 1, 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5};
  const Designs setup = TwoGroupDesigns(s);
  const Initializer initializer(*setup.layout);
  EXPECT_TRUE(initializer.location_can_be_exact());
  InitWorkspace work = initializer.MakeWorkspace();
  double location[2], scale[1];
  EXPECT_TRUE(initializer.Initialize(kY.data(), location, scale, &work));
  const double alpha_a = std::log(33.0 / 6.0), alpha_b = std::log(114.0 / 9.0);  // Σy/Σs
  EXPECT_DOUBLE_EQ(location[0], alpha_a);
  EXPECT_DOUBLE_EQ(location[1], alpha_b - alpha_a);
  // Moments at μ_i = s_i·e^{α_g}, c = n/(n − q) = 12/10.
  std::vector<double> mu;
  for (std::size_t i = 0; i < 12; ++i) mu.push_back(i < 6 ? 33.0 / 6.0 : 1.5 * 114.0 / 9.0);
  EXPECT_NEAR(scale[0], std::log(MomentSize(kY, mu, 1.2, Range(0, 12))), 1e-14);
  // Exact: the location score vanishes there, whatever r.
  FeatureProblem problem(*setup.layout);
  problem.SetFeature(kY.data());
  for (double log_size : {-3.0, scale[0], 5.0}) {
    const double theta[3] = {location[0], location[1], log_size};
    double gradient[3];
    problem.Evaluate(theta, gradient, nullptr);
    EXPECT_NEAR(gradient[0], 0.0, 1e-13 * 147.0) << log_size;  // Σy = 147
    EXPECT_NEAR(gradient[1], 0.0, 1e-13 * 114.0) << log_size;
  }
}

TEST(InitializerTest, SizeFactorsOrScaleRowsVaryingWithinAGroupAreNotExact) {
  // Different size factors within group A: the group MLE of the mean is no
  // longer Σy/Σs, though that is still the start.
  std::vector<double> s = {0.5, 1, 2, 1, 1, 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5};
  const Designs varying = TwoGroupDesigns(s);
  const Initializer initializer(*varying.layout);
  EXPECT_FALSE(initializer.location_can_be_exact());
  InitWorkspace work = initializer.MakeWorkspace();
  double location[2], scale[1];
  EXPECT_FALSE(initializer.Initialize(kY.data(), location, scale, &work));
  EXPECT_DOUBLE_EQ(location[0], std::log(33.0 / 6.5));
  EXPECT_DOUBLE_EQ(location[1], std::log(114.0 / 9.0) - std::log(33.0 / 6.5));

  // One location group, two scale groups (observations 0–5 and 6–11): the
  // scale rows vary within the location group. Each scale group has its own
  // moments (c = 12/11), θ_scale = (log r_A, log r_B − log r_A).
  std::vector<double> z;
  for (std::size_t i = 0; i < 12; ++i) z.insert(z.end(), {1.0, i < 6 ? 0.0 : 1.0});
  const Designs scale_groups(1, Ones(12), 2, z, Ones(12));
  const Initializer by_scale(*scale_groups.layout);
  EXPECT_FALSE(by_scale.location_can_be_exact());
  InitWorkspace work2 = by_scale.MakeWorkspace();
  double location2[1], scale2[2];
  EXPECT_FALSE(by_scale.Initialize(kY.data(), location2, scale2, &work2));
  EXPECT_DOUBLE_EQ(location2[0], std::log(147.0 / 12.0));
  const std::vector<double> mu(12, 147.0 / 12.0);
  const double log_a = std::log(MomentSize(kY, mu, 12.0 / 11.0, Range(0, 6)));
  const double log_b = std::log(MomentSize(kY, mu, 12.0 / 11.0, Range(6, 12)));
  EXPECT_NEAR(scale2[0], log_a, 1e-14);
  EXPECT_NEAR(scale2[1], log_b - log_a, 1e-14);
}

TEST(InitializerTest, UnsaturatedDesignFitsTheGroupLogMeansByWeightedLeastSquares) {
  // Location (1, t) with t ∈ {0, 1, 3}: three groups of sizes 2, 3, 1 for
  // two parameters. θ is the regression of the group log means on t with
  // weights n_g: slope = Σw(t − t̄)(l − l̄)/Σw(t − t̄)², intercept l̄ − slope·t̄.
  const std::vector<double> t = {0, 0, 1, 1, 1, 3};
  const std::vector<double> y = {1, 9, 3, 20, 4, 40};
  std::vector<double> x;
  for (double v : t) x.insert(x.end(), {1.0, v});
  const Designs setup(2, x, 1, Ones(6), Ones(6));
  const Initializer initializer(*setup.layout);
  EXPECT_FALSE(initializer.location_can_be_exact());
  InitWorkspace work = initializer.MakeWorkspace();
  double location[2], scale[1];
  EXPECT_FALSE(initializer.Initialize(y.data(), location, scale, &work));
  const double w[3] = {2, 3, 1}, tg[3] = {0, 1, 3};
  const double l[3] = {std::log(10.0 / 2.0), std::log(27.0 / 3.0), std::log(40.0)};
  const double t_bar = (w[0] * tg[0] + w[1] * tg[1] + w[2] * tg[2]) / 6.0;
  const double l_bar = (w[0] * l[0] + w[1] * l[1] + w[2] * l[2]) / 6.0;
  double sxy = 0.0, sxx = 0.0;
  for (int g = 0; g < 3; ++g) {
    sxy += w[g] * (tg[g] - t_bar) * (l[g] - l_bar);
    sxx += w[g] * (tg[g] - t_bar) * (tg[g] - t_bar);
  }
  EXPECT_NEAR(location[1], sxy / sxx, 1e-14);
  EXPECT_NEAR(location[0], l_bar - sxy / sxx * t_bar, 1e-14);
  // The moments use the fitted (not the group) means, c = 6/4.
  std::vector<double> mu;
  for (double v : t) mu.push_back(std::exp(location[0] + location[1] * v));
  EXPECT_NEAR(scale[0], std::log(MomentSize(y, mu, 1.5, Range(0, 6))), 1e-14);
}

TEST(InitializerTest, AGroupOfZerosStartsAtATenthOverItsSizeFactors) {
  std::vector<double> y = kY;
  for (std::size_t i = 6; i < 12; ++i) y[i] = 0.0;
  const std::vector<double> s = {1, 1, 1, 1, 1, 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5};
  const Designs setup = TwoGroupDesigns(s);
  const Initializer initializer(*setup.layout);
  EXPECT_TRUE(initializer.location_can_be_exact());
  InitWorkspace work = initializer.MakeWorkspace();
  double location[2], scale[1];
  EXPECT_FALSE(initializer.Initialize(y.data(), location, scale, &work));  // trained: no finite MLE
  EXPECT_DOUBLE_EQ(location[0], std::log(33.0 / 6.0));
  EXPECT_DOUBLE_EQ(location[1], std::log(0.1 / 9.0) - std::log(33.0 / 6.0));
}

TEST(InitializerTest, MomentSizesAreClippedAndUnderdispersionGetsItsOwnStart) {
  const auto intercept_only = [](const std::vector<double>& y, double underdispersed_size, double* location,
                                 double* scale) {
    const Designs setup(1, Ones(y.size()), 1, Ones(y.size()), Ones(y.size()));
    const Initializer initializer(*setup.layout, underdispersed_size);
    InitWorkspace work = initializer.MakeWorkspace();
    initializer.Initialize(y.data(), location, scale, &work);
    return initializer.ScaleFromMoments(y.data(), location, scale, &work);
  };
  double location, scale;
  // Σ(c(y − ȳ)² − ȳ) = 1.5·2·1001² − 3e6 = 6003 > 0: r = 3e12/6003 ≈ 5e8,
  // clipped to kMaxInitialSize.
  EXPECT_TRUE(intercept_only({1e6 - 1001, 1e6, 1e6 + 1001}, 7.0, &location, &scale));
  EXPECT_DOUBLE_EQ(location, std::log(1e6));
  EXPECT_DOUBLE_EQ(scale, std::log(Initializer::kMaxInitialSize));
  // 1000 in one of 200 observations: r = 5000/(1e6 − 1000) ≈ 0.005, clipped
  // to kMinInitialSize.
  std::vector<double> single(200, 0.0);
  single[17] = 1000.0;
  EXPECT_TRUE(intercept_only(single, 7.0, &location, &scale));
  EXPECT_DOUBLE_EQ(scale, std::log(Initializer::kMinInitialSize));
  // Σ(c(y − ȳ)² − ȳ) = 1.5·2·999² − 3e6 = −5997: no overdispersion, so r
  // starts at the given underdispersed size (the default kMaxInitialSize).
  EXPECT_FALSE(intercept_only({1e6 - 999, 1e6, 1e6 + 999}, 7.0, &location, &scale));
  EXPECT_DOUBLE_EQ(scale, std::log(7.0));
  EXPECT_FALSE(intercept_only({5, 5, 5, 5}, 2e8, &location, &scale));
  EXPECT_DOUBLE_EQ(scale, std::log(2e8));
  const Designs setup(1, Ones(3), 1, Ones(3), Ones(3));
  const Initializer default_start(*setup.layout);
  InitWorkspace work = default_start.MakeWorkspace();
  const std::vector<double> constant = {4, 4, 4};
  EXPECT_TRUE(default_start.Initialize(constant.data(), &location, &scale, &work));
  EXPECT_DOUBLE_EQ(scale, std::log(Initializer::kMaxInitialSize));
}

TEST(InitializerTest, ScaleAtLogSizeSolvesForEveryScaleGroup) {
  const std::vector<double> zeta_for = {-2.5, 0.0, 3.0};
  // Intercept: θ = ζ.
  const Designs intercept(1, Ones(4), 1, Ones(4), Ones(4));
  double one[1];
  for (double zeta : zeta_for) {
    Initializer(*intercept.layout).ScaleAtLogSize(zeta, one);
    EXPECT_DOUBLE_EQ(one[0], zeta);
  }
  // (1, [B]): θ = (ζ, 0).
  const Designs groups(1, Ones(4), 2, {1, 0, 1, 0, 1, 1, 1, 1}, Ones(4));
  double two[2];
  Initializer(*groups.layout).ScaleAtLogSize(3.0, two);
  EXPECT_NEAR(two[0], 3.0, 1e-15);
  EXPECT_NEAR(two[1], 0.0, 1e-15);
  // A design without the constant, z ∈ {1, 2, 2, 4}: least squares over the
  // groups weighted by their sizes, θ = ζ·Σn_h z_h/Σn_h z_h² = ζ·9/25.
  const Designs slope(1, Ones(4), 1, {1, 2, 2, 4}, Ones(4));
  Initializer(*slope.layout).ScaleAtLogSize(3.0, one);
  EXPECT_NEAR(one[0], 3.0 * 9.0 / 25.0, 1e-15);
}

}  // namespace
}  // namespace nbglm
