// Micro-benchmarks of one feature's objective (issue 5, item 2): the cost of
// one evaluation of ℓ + gradient + Hessian (FeatureProblem::Evaluate, the
// unit of work of every estimator iteration), reported per observation, by
// number of observations n, location parameters p and data kind; and the
// per-observation kernel NbEvaluate for comparison (what an evaluation would
// cost without grouping and count tables).
//
// Data kinds (argument "kind"): 1 — single-cell-like (mean 0.05 per cell,
// size r = 3, log-normal size factors: ~95% zeros); 0 — bulk-like, mean 500,
// r = 20; 2 — large counts like the notebook simulation, mean 5000, r = 5
// (nearly every count distinct: the count terms are computed per
// observation).
// Designs: p − 1 treatment-coded groups (a factor with p levels), so the
// observations form p location groups; intercept-only scale.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "estimator/feature_problem.h"
#include "model/observation_layout.h"
#include "nbglm/negative_binomial.h"

namespace nbglm {
namespace {

struct Feature {
  Index n = 0, q = 0;
  std::vector<double> x, z, offset, y, theta;
};

enum Kind { kBulk = 0, kSingleCell = 1, kLargeCounts = 2 };

Feature MakeFeature(Index n, Index q, int kind) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(0.0, 1.0);
  Feature f;
  f.n = n;
  f.q = q;
  const double mean = kind == kSingleCell ? 0.05 : kind == kBulk ? 500.0 : 5000.0;
  const double size = kind == kSingleCell ? 3.0 : kind == kBulk ? 20.0 : 5.0;
  for (Index i = 0; i < n; ++i) {
    const Index level = i % q;
    for (Index j = 0; j < q; ++j) f.x.push_back(j == 0 ? 1.0 : (level == j ? 1.0 : 0.0));
    f.z.push_back(1.0);
    const double s = std::exp(0.6 * normal(rng));
    f.offset.push_back(std::log(s));
    std::gamma_distribution<double> gamma(size, s * mean / size);
    std::poisson_distribution<long> poisson(gamma(rng));
    f.y.push_back(static_cast<double>(poisson(rng)));
  }
  f.theta.assign(static_cast<std::size_t>(q + 1), 0.0);
  f.theta[0] = std::log(mean);
  f.theta[static_cast<std::size_t>(q)] = std::log(size);
  return f;
}

// One full evaluation (ℓ, gradient, Hessian) at a new θ each time: a new
// location (the count tables of the size are reused), or with
// "new_size" a new scale too, so every count term is recomputed (what an
// iteration that moves the scale costs).
void BM_FeatureEvaluate(benchmark::State& state) {
  const Index n = state.range(0);
  const Index q = state.range(1);
  const int kind = static_cast<int>(state.range(2));
  const bool new_size = state.range(3) != 0;
  Feature f = MakeFeature(n, q, kind);
  ObservationLayout layout(n, q, 1, f.x.data(), f.z.data(), f.offset.data());
  FeatureProblem problem(layout);
  problem.SetFeature(f.y.data());
  const Index m = q + 1;
  std::vector<double> gradient(static_cast<std::size_t>(m)), hessian(static_cast<std::size_t>(m * m));
  double shift = 0.0;
  for (auto _ : state) {
    shift = shift == 0.0 ? 1e-9 : 0.0;  // defeat the cache of the last θ
    f.theta[0] += shift;
    if (new_size) f.theta[static_cast<std::size_t>(q)] += shift;
    benchmark::DoNotOptimize(problem.Evaluate(f.theta.data(), gradient.data(), hessian.data()));
  }
  state.counters["ns_per_obs"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(n),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(kind == kSingleCell ? "single-cell-like" : kind == kBulk ? "bulk-like" : "large counts");
}

// Setting a feature (copy into position order, count tables).
void BM_SetFeature(benchmark::State& state) {
  const Index n = state.range(0);
  Feature f = MakeFeature(n, 2, static_cast<int>(state.range(1)));
  ObservationLayout layout(n, 2, 1, f.x.data(), f.z.data(), f.offset.data());
  FeatureProblem problem(layout);
  for (auto _ : state) problem.SetFeature(f.y.data());
  state.counters["ns_per_obs"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(n),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The per-observation kernel alone, from (y, η, ζ): what every observation
// would cost without the grouping and the count tables.
void BM_NbEvaluatePerObservation(benchmark::State& state) {
  Feature f = MakeFeature(4000, 2, static_cast<int>(state.range(0)));
  const double zeta = f.theta[2];
  for (auto _ : state) {
    for (Index i = 0; i < f.n; ++i) {
      benchmark::DoNotOptimize(NbEvaluate(f.y[static_cast<std::size_t>(i)], f.offset[static_cast<std::size_t>(i)] + f.theta[0], zeta));
    }
  }
  state.counters["ns_per_obs"] = benchmark::Counter(static_cast<double>(state.iterations()) * 4000.0,
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_FeatureEvaluate)
    ->ArgNames({"n", "p", "kind", "new_size"})
    ->ArgsProduct({{100, 1000, 4000, 10000}, {1, 2, 6}, {kSingleCell}, {0, 1}})
    ->ArgsProduct({{12, 100, 4000}, {2, 6}, {kBulk}, {0, 1}})
    ->ArgsProduct({{2000}, {4}, {kLargeCounts}, {0, 1}});
BENCHMARK(BM_SetFeature)->ArgNames({"n", "kind"})->ArgsProduct({{4000}, {kBulk, kSingleCell, kLargeCounts}});
BENCHMARK(BM_NbEvaluatePerObservation)->ArgNames({"kind"})->Arg(kSingleCell)->Arg(kBulk)->Arg(kLargeCounts);

}  // namespace
}  // namespace nbglm

BENCHMARK_MAIN();
