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

// A Poisson fit is reported at the NB's limit (scale intercept +Inf, its
// standard error NaN), needs an intercept-only scale, and equals the NB fit
// of the same data where that one ends at the Poisson limit.
TEST(FitLoopTest, PoissonFitIsReportedAtTheLimitAndNeedsAnInterceptOnlyScale) {
  const Problem problem = RandomProblem(30, 12);  // Poisson counts, mean 6
  FitOptions options;
  options.num_threads = 1;
  options.noise = Noise::kPoisson;
  const FitResult poisson = Fit(problem.counts, problem.model, Vector(), options);
  options.noise = Noise::kNegativeBinomial;
  const FitResult nb = Fit(problem.counts, problem.model, Vector(), options);
  int compared = 0;
  for (std::size_t f = 0; f < 30; ++f) {
    EXPECT_EQ(poisson.status[f], FeatureStatus::kConverged) << f;
    EXPECT_EQ(poisson.scale_coef(f, 0), std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(poisson.scale_se(f, 0)));
    EXPECT_TRUE(std::isfinite(poisson.location_se(f, 0)));
    EXPECT_EQ(poisson.scale_trained[f], 0);
    EXPECT_GE(nb.loglik[f], poisson.loglik[f] - 1e-9 * std::abs(poisson.loglik[f]));  // the NB nests it
    if (std::isinf(nb.scale_coef(f, 0))) {
      ++compared;
      EXPECT_NEAR(nb.loglik[f], poisson.loglik[f], 1e-10 * std::abs(poisson.loglik[f]));
      EXPECT_NEAR(nb.location_coef(f, 0), poisson.location_coef(f, 0), 1e-8);
    }
  }
  EXPECT_GT(compared, 5);  // Poisson data: many NB fits at the limit

  // Scale ~ x (two parameters) cannot be Poisson.
  Matrix two = Matrix::from_shape({12, 2});
  for (std::size_t i = 0; i < 12; ++i) {
    two(i, 0) = 1.0;
    two(i, 1) = static_cast<double>(i % 3);
  }
  const Design design = MakeDesign(two, {"(Intercept)", "x"}, problem.model.location.design.observation_names);
  const NbGlmModel scaled = MakeModel(problem.model.location,
                                      MakeLinearPredictor(design, ConstraintBasis::Identity({"(Intercept)", "x"}), "s"));
  options.noise = Noise::kPoisson;
  try {
    Fit(problem.counts, scaled, Vector(), options);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("noise: poisson: has no overdispersion to model"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(FitCoxReid(problem.counts, problem.model, Vector(), options), InputError);
}

}  // namespace
}  // namespace nbglm
