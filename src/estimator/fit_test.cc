// The parallel loop's contract: no exception escapes a fitting thread, a
// cancelled fit returns control (FitCancelled), results independent of the
// thread count.
#include "nbglm/fit.h"

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <new>
#include <random>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace nbglm {
namespace {

struct Problem {
  CountMatrix counts;
  NbGlmModel model;
};

Problem RandomProblem(Index features, Index n) {
  std::mt19937_64 rng(5);
  std::poisson_distribution<int> poisson(6.0);
  Matrix y = Matrix::from_shape({static_cast<std::size_t>(features), static_cast<std::size_t>(n)});
  for (double& v : y) v = poisson(rng);
  const Design intercept = InterceptDesign(DefaultObservationNames(n));
  const LinearPredictor predictor = MakeLinearPredictor(intercept, ConstraintBasis::Identity({"(Intercept)"}), "m");
  return {CountMatrix::FromDense(y), MakeModel(predictor, predictor)};
}

TEST(FitLoopTest, ExceptionsFromAnyThreadReachTheCaller) {
  const Problem problem = RandomProblem(400, 10);
  for (int threads : {1, 2, 4}) {
    FitOptions options;
    options.num_threads = threads;
    options.progress = [](Index done, Index) {
      if (done >= 64) throw std::runtime_error("progress callback failed");
    };
    EXPECT_THROW(Fit(problem.counts, problem.model, Vector(), options), std::runtime_error) << threads;
    // An allocation failure inside a worker, injected through the callback
    // (which runs on the worker threads).
    options.progress = [](Index done, Index) {
      if (done >= 32) throw std::bad_alloc();
    };
    EXPECT_THROW(Fit(problem.counts, problem.model, Vector(), options), std::bad_alloc) << threads;
  }
}

TEST(FitLoopTest, CancellationStopsTheFit) {
  const Problem problem = RandomProblem(2000, 10);
  std::atomic<Index> polls{0};
  FitOptions options;
  options.num_threads = 2;
  options.cancel = [&polls]() { return polls.fetch_add(1) >= 5; };
  EXPECT_THROW(Fit(problem.counts, problem.model, Vector(), options), FitCancelled);
  // Never cancelled: the fit completes, equal to one without the hook.
  options.cancel = []() { return false; };
  const FitResult with_hook = Fit(problem.counts, problem.model, Vector(), options);
  options.cancel = nullptr;
  options.num_threads = 1;
  const FitResult plain = Fit(problem.counts, problem.model, Vector(), options);
  ASSERT_EQ(with_hook.num_features(), 2000);
  for (std::size_t f = 0; f < 2000; ++f) EXPECT_EQ(with_hook.loglik[f], plain.loglik[f]);
}

TEST(FitResultTest, ResultsByNameWithQualifiedNames) {
  const Problem problem = RandomProblem(5, 10);  // location and scale both "(Intercept)"
  FitOptions options;
  options.num_threads = 1;
  const FitResult fit = Fit(problem.counts, problem.model, Vector(), options);
  for (Index f = 0; f < 5; ++f) {
    const std::size_t r = static_cast<std::size_t>(f);
    EXPECT_EQ(fit.Coefficient(f, "(Intercept)"), fit.location_coef(r, 0));  // location first
    EXPECT_EQ(fit.Coefficient(f, "loc:(Intercept)"), fit.location_coef(r, 0));
    EXPECT_TRUE(std::isnan(fit.Coefficient(f, "scale:(Intercept)")) ||
                fit.Coefficient(f, "scale:(Intercept)") == fit.scale_coef(r, 0));
    EXPECT_EQ(std::isnan(fit.StandardError(f, "scale:(Intercept)")), std::isnan(fit.scale_se(r, 0)));
    EXPECT_EQ(fit.StandardError(f, "(Intercept)"), fit.location_se(r, 0));
  }
  EXPECT_THROW(fit.Coefficient(0, "condition"), InputError);
  EXPECT_THROW(fit.Coefficient(0, "scale:condition"), InputError);
  EXPECT_THROW(fit.Coefficient(5, "(Intercept)"), InputError);
  try {
    fit.Coefficient(0, "x");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("loc:(Intercept), scale:(Intercept)"), std::string::npos) << e.what();
  }
}

TEST(FitLoopTest, OptionsTheFitCannotHonourAreRefused) {
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

// The ceres estimator's own verdict is kept per feature beside the status;
// newton and irls leave it empty.
TEST(FitLoopTest, CeresTerminationIsKeptPerFeature) {
  const Problem problem = RandomProblem(20, 10);
  FitOptions options;
  options.num_threads = 2;
  options.algorithm = Algorithm::kCeres;
  const FitResult fit = Fit(problem.counts, problem.model, Vector(), options);
  ASSERT_EQ(fit.solver_termination.size(), 20u);
  for (Index f = 0; f < fit.num_features(); ++f) {
    const std::string& termination = fit.solver_termination[static_cast<std::size_t>(f)];
    if (fit.status[static_cast<std::size_t>(f)] == FeatureStatus::kConverged) {
      EXPECT_EQ(termination, "CONVERGENCE") << f;
    }
  }
  options.max_iterations = 1;
  const FitResult stopped = Fit(problem.counts, problem.model, Vector(), options);
  int no_convergence = 0;
  for (const std::string& termination : stopped.solver_termination) no_convergence += termination == "NO_CONVERGENCE";
  EXPECT_GT(no_convergence, 0);
  options.algorithm = Algorithm::kNewton;
  for (const std::string& termination : Fit(problem.counts, problem.model, Vector(), options).solver_termination) {
    EXPECT_EQ(termination, "");
  }
}

}  // namespace
}  // namespace nbglm
