// FitResult: results by parameter name (qualified or not), status counts and
// the brief report.
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "nbglm/error.h"
#include "nbglm/fit.h"

namespace nbglm {
namespace {

// Two features; location (Intercept), treated; scale (Intercept).
FitResult TwoFeatures() {
  FitResult fit;
  fit.feature_names = {"g1", "g2"};
  fit.location_names = {"(Intercept)", "treated"};
  fit.scale_names = {"(Intercept)"};
  fit.location_coef = Matrix({{1.0, 0.5}, {2.0, -0.25}});
  fit.location_se = Matrix({{0.1, 0.2}, {0.3, 0.4}});
  fit.scale_coef = Matrix({{3.0}, {std::numeric_limits<double>::infinity()}});
  fit.scale_se = Matrix({{0.7}, {std::nan("")}});
  fit.status = {FeatureStatus::kConverged, FeatureStatus::kAtBound};
  fit.loglik = {-10.0, -12.0};
  fit.iterations = {5, 7};
  fit.algorithm = Algorithm::kNewton;
  fit.num_threads = 1;
  fit.wall_seconds = 0.5;
  return fit;
}

TEST(FitResultTest, ResultsByNameWithQualifiedNames) {
  const FitResult fit = TwoFeatures();
  EXPECT_EQ(fit.Coefficient(0, "(Intercept)"), 1.0);  // location first
  EXPECT_EQ(fit.Coefficient(0, "loc:(Intercept)"), 1.0);
  EXPECT_EQ(fit.Coefficient(0, "scale:(Intercept)"), 3.0);
  EXPECT_EQ(fit.Coefficient(1, "treated"), -0.25);
  EXPECT_EQ(fit.Coefficient(1, "scale:(Intercept)"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(fit.StandardError(1, "loc:treated"), 0.4);
  EXPECT_TRUE(std::isnan(fit.StandardError(1, "scale:(Intercept)")));
  EXPECT_THROW(fit.Coefficient(0, "condition"), InputError);
  EXPECT_THROW(fit.Coefficient(0, "scale:treated"), InputError);
  EXPECT_THROW(fit.Coefficient(2, "(Intercept)"), InputError);
  EXPECT_THROW(fit.StandardError(-1, "(Intercept)"), InputError);
  try {
    fit.Coefficient(0, "x");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("loc:(Intercept), loc:treated, scale:(Intercept)"), std::string::npos)
        << e.what();
  }
}

TEST(FitResultTest, StatusCountsAndBriefReport) {
  const FitResult fit = TwoFeatures();
  const std::vector<Index> counts = fit.StatusCounts();
  ASSERT_EQ(counts.size(), 5u);
  EXPECT_EQ(counts[static_cast<std::size_t>(FeatureStatus::kConverged)], 1);
  EXPECT_EQ(counts[static_cast<std::size_t>(FeatureStatus::kAtBound)], 1);
  EXPECT_EQ(fit.BriefReport(),
            "2 features fitted (newton, 1 thread, 0.5 s): converged 1 max_iterations 0 numerical_failure 0 "
            "all_zero 0 at_bound 1");
  EXPECT_EQ(FormatFitReport(10, Algorithm::kIrls, 2, 1.25, {10, 0, 0, 0, 0}, 3),
            "10 features fitted (irls, 2 threads, 1.25 s, 3 chunks): converged 10 max_iterations 0 "
            "numerical_failure 0 all_zero 0 at_bound 0");
  EXPECT_STREQ(ToString(FeatureStatus::kNumericalFailure), "numerical_failure");
}

}  // namespace
}  // namespace nbglm
