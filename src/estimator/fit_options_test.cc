// FitOptions::IsValid refuses, with one line naming the option, the value
// and the rule, what the fit cannot honour; the estimator names round-trip.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/error.h"
#include "nbglm/fit.h"

namespace nbglm {
namespace {

TEST(FitOptionsTest, OptionsTheFitCannotHonourAreRefused) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::function<void(FitOptions*)>, std::string>> cases = {
      {[](FitOptions* o) { o->max_size = inf; }, "max_size: Inf: must be > min_size and <= 1e100"},
      {[](FitOptions* o) { o->max_size = 1e200; }, "max_size"},
      {[](FitOptions* o) { o->min_size = 0.0; }, "min_size: 0: must be >= 1e-100"},
      {[](FitOptions* o) { o->max_iterations = 2000000000; }, "max_iterations: 2e+09: must be in [1, 100000000]"},
      {[](FitOptions* o) { o->max_iterations = 0; }, "max_iterations"},
      {[](FitOptions* o) { o->function_tolerance = inf; }, "function_tolerance"},
      {[](FitOptions* o) { o->gradient_tolerance = std::nan(""); }, "gradient_tolerance"},
      {[](FitOptions* o) { o->min_mean = 2.0; }, "min_mean"},
  };
  for (const auto& [change, message] : cases) {
    FitOptions options;
    change(&options);
    std::string error;
    EXPECT_FALSE(options.IsValid(&error)) << message;
    EXPECT_NE(error.find(message), std::string::npos) << error;
  }
  std::string error;
  EXPECT_TRUE(FitOptions().IsValid(&error)) << error;
}

TEST(FitOptionsTest, AlgorithmNamesRoundTrip) {
  for (const Algorithm a : {Algorithm::kIrls, Algorithm::kNewton, Algorithm::kCeres}) {
    EXPECT_EQ(ParseAlgorithm(ToString(a)), a);
  }
  try {
    ParseAlgorithm("lbfgs");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--algorithm: lbfgs: must be irls, newton or ceres");
  }
}

}  // namespace
}  // namespace nbglm
