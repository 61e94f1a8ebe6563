// Fit / FitCoxReid over a CountReader: chunked fits equal the fit of all the
// counts bit for bit (any chunk size, any feature range), progress counts over
// the whole range, cancellation and caller mistakes reach the caller.
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/count_view.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "same_fit.h"

namespace nbglm {
namespace {

using testing::ExpectSameBits;
using testing::ExpectSameFit;
using testing::SameBits;

// Counts of two groups of observations, held as the caller's dense
// observations × features array (numpy C order), and the model ~ group.
struct Problem {
  Index features = 0;
  Index n = 0;
  std::vector<std::int32_t> values;  // n × features
  NbGlmModel model;
  Vector size_factors;

  CountArrayView View() const {
    CountArrayView view;
    view.layout = CountArrayView::Layout::kDenseObservationRows;
    view.num_features = features;
    view.num_observations = n;
    view.values = values.data();
    view.value_type = ElementType::kInt32;
    return view;
  }
  CountMatrix AsCountMatrix() const {
    nbglm::Matrix y = nbglm::Matrix::from_shape({static_cast<std::size_t>(features), static_cast<std::size_t>(n)});
    for (Index i = 0; i < n; ++i) {
      for (Index f = 0; f < features; ++f) y(f, i) = values[static_cast<std::size_t>(i * features + f)];
    }
    return CountMatrix::FromDense(y);
  }
};

Problem MakeProblem(Index features, Index n) {
  Problem problem;
  problem.features = features;
  problem.n = n;
  std::mt19937_64 rng(11);
  problem.values.resize(static_cast<std::size_t>(features * n));
  for (Index f = 0; f < features; ++f) {
    // Means 0.5 … 40 and sizes 0.5 … 20; every 7th feature all zero in group 1.
    const double mean = 0.5 + 40.0 * static_cast<double>(f % 13) / 12.0;
    const double size = 0.5 + 20.0 * static_cast<double>(f % 5) / 4.0;
    std::gamma_distribution<double> gamma(size, mean / size);
    for (Index i = 0; i < n; ++i) {
      std::poisson_distribution<int> poisson(gamma(rng));
      const bool zero = f % 7 == 0 && i % 2 == 1;
      problem.values[static_cast<std::size_t>(i * features + f)] = zero ? 0 : poisson(rng);
    }
  }
  nbglm::Matrix x = xt::zeros<double>({static_cast<std::size_t>(n), std::size_t{2}});
  for (Index i = 0; i < n; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = i % 2 == 1 ? 1.0 : 0.0;
  }
  const Design location = MakeDesign(x, {"(Intercept)", "group"}, DefaultObservationNames(n));
  const Design scale = InterceptDesign(location.observation_names);
  problem.model = MakeModel(MakeLinearPredictor(location, ConstraintBasis::Identity(location.parameter_names), "loc"),
                            MakeLinearPredictor(scale, ConstraintBasis::Identity(scale.parameter_names), "scale"));
  problem.size_factors = Vector::from_shape({static_cast<std::size_t>(n)});
  for (Index i = 0; i < n; ++i) problem.size_factors(i) = 0.6 + 0.1 * static_cast<double>(i % 9);
  return problem;
}

TEST(FitReaderTest, ChunkedFitsEqualTheWholeFitBitForBit) {
  const Problem problem = MakeProblem(60, 12);
  const CountReader reader(problem.View());
  FitOptions options;
  options.num_threads = 2;
  const FitResult whole = Fit(problem.AsCountMatrix(), problem.model, problem.size_factors, options);
  // At least one fewer status than all converged: the all-zero groups are at a bound.
  EXPECT_GT(whole.StatusCounts()[static_cast<int>(FeatureStatus::kAtBound)], 0);
  const std::int64_t feature_bytes = reader.BytesToRead(0, 1);
  for (const std::int64_t chunk_bytes : {std::int64_t{1}, 7 * feature_bytes, kDefaultFitChunkBytes}) {
    SCOPED_TRACE(chunk_bytes);
    ExpectSameFit(Fit(reader, problem.model, problem.size_factors, options, chunk_bytes), whole);
  }
}

TEST(FitReaderTest, AFeatureRangeIsTheRangeOfTheWholeFit) {
  const Problem problem = MakeProblem(40, 10);
  const CountReader reader(problem.View());
  FitOptions options;
  options.num_threads = 1;
  options.feature_begin = 13;
  options.feature_end = 31;
  const FitResult whole = Fit(problem.AsCountMatrix(), problem.model, Vector(), options);
  ASSERT_EQ(whole.num_features(), 18);
  ExpectSameFit(Fit(reader, problem.model, Vector(), options, 5 * reader.BytesToRead(0, 1)), whole);
  // Past the end: clamped as Fit clamps, an empty result of the right shape.
  options.feature_begin = 45;
  options.feature_end = -1;
  const FitResult empty = Fit(reader, problem.model, Vector(), options);
  EXPECT_EQ(empty.num_features(), 0);
  EXPECT_EQ(empty.location_coef.shape(1), 2u);
  ExpectSameFit(empty, Fit(problem.AsCountMatrix(), problem.model, Vector(), options));
}

TEST(FitReaderTest, CoxReidChunkedEqualsWhole) {
  const Problem problem = MakeProblem(30, 8);
  const CountReader reader(problem.View());
  FitOptions options;
  options.num_threads = 2;
  ExpectSameFit(FitCoxReid(reader, problem.model, problem.size_factors, options, 4 * reader.BytesToRead(0, 1)),
                FitCoxReid(problem.AsCountMatrix(), problem.model, problem.size_factors, options));
}

TEST(FitReaderTest, ProgressCountsOverTheWholeRange) {
  const Problem problem = MakeProblem(50, 6);
  const CountReader reader(problem.View());
  FitOptions options;
  options.num_threads = 1;  // one thread: calls arrive in order
  std::vector<Index> done;
  options.progress = [&done](Index d, Index total) {
    EXPECT_EQ(total, 50);
    done.push_back(d);
  };
  Fit(reader, problem.model, Vector(), options, 10 * reader.BytesToRead(0, 1));
  ASSERT_FALSE(done.empty());
  for (std::size_t k = 1; k < done.size(); ++k) EXPECT_GE(done[k], done[k - 1]);
  EXPECT_EQ(done.back(), 50);
  EXPECT_GT(done.size(), 1u);
}

TEST(FitReaderTest, CancellationAndCallbackExceptionsReachTheCaller) {
  const Problem problem = MakeProblem(50, 6);
  const CountReader reader(problem.View());
  FitOptions options;
  options.num_threads = 2;
  options.cancel = [] { return true; };
  EXPECT_THROW(Fit(reader, problem.model, Vector(), options, reader.BytesToRead(0, 3)), FitCancelled);
  options.cancel = nullptr;
  options.progress = [](Index done, Index) {
    if (done > 20) throw std::runtime_error("progress failed");
  };
  EXPECT_THROW(Fit(reader, problem.model, Vector(), options, reader.BytesToRead(0, 3)), std::runtime_error);
}

TEST(FitReaderTest, CallerMistakesThrowBeforeFitting) {
  const Problem problem = MakeProblem(10, 6);
  const CountReader reader(problem.View());
  const auto message = [&](const Problem& p, const Vector& size_factors, const FitOptions& options,
                           std::int64_t chunk_bytes) {
    try {
      Fit(reader, p.model, size_factors, options, chunk_bytes);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  FitOptions options;
  EXPECT_NE(message(problem, Vector(), options, 0).find("chunk_bytes: 0: must be positive"), std::string::npos);
  const Problem other = MakeProblem(10, 8);
  EXPECT_NE(message(other, Vector(), options, 1 << 20).find("counts: 6 observations: expected 8"),
            std::string::npos);
  Vector bad = problem.size_factors;
  bad(2) = -1.0;
  EXPECT_NE(message(problem, bad, options, 1 << 20).find("size factors"), std::string::npos);
  options.max_iterations = 0;
  EXPECT_NE(message(problem, Vector(), options, 1 << 20).find("max_iterations"), std::string::npos);
}

}  // namespace
}  // namespace nbglm
