// src/cli/fit_run.h: the feature range and chunks of `nbglm fit` (docs/cli.md
// "fit", "Memory"), size factors, and that fits collected over chunks equal
// one fit over the range.
#include "cli/fit_run.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.h"
#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

using Chunks = std::vector<std::pair<Index, Index>>;

constexpr const char* kCounts =
    "gene\to1\to2\to3\to4\to5\to6\n"
    "g0\t5\t7\t6\t30\t41\t35\ng1\t0\t0\t0\t0\t0\t0\ng2\t10\t12\t9\t14\t11\t13\n"
    "g3\t1\t3\t2\t8\t4\t9\ng4\t20\t25\t22\t10\t12\t9\n";

class FitRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("fit_run");
    // Rows in another order than the counts' columns.
    testing::WriteText(dir_ + "/design.tsv",
                       "observation\t(Intercept)\tb\no4\t1\t1\no5\t1\t1\no6\t1\t1\no1\t1\t0\no2\t1\t0\no3\t1\t0\n");
    request_.model.loc_design = dir_ + "/design.tsv";
    request_.fit.num_threads = 1;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  FitRun Prepare() const { return PrepareFit(request_, request_.model.Build(true), reader_, "--counts c.tsv"); }
  std::string dir_;
  FitRequest request_;
  CountReader reader_{kCounts, "c.tsv", false};
};

TEST_F(FitRunTest, PrepareAlignsTheModelAndPlansOneChunk) {
  const FitRun run = Prepare();
  EXPECT_EQ(run.model.location.design.observation_names,
            (std::vector<std::string>{"o1", "o2", "o3", "o4", "o5", "o6"}));
  EXPECT_EQ(run.begin, 0);
  EXPECT_EQ(run.end, 5);
  EXPECT_EQ(run.chunks, (Chunks{{0, 5}}));
  EXPECT_EQ(run.size_factors.size(), 0u);
}

TEST_F(FitRunTest, FeatureRangeIsClampedToTheCounts) {
  request_.fit.feature_begin = 2;
  request_.fit.feature_end = 99;
  FitRun run = Prepare();
  EXPECT_EQ(run.begin, 2);
  EXPECT_EQ(run.end, 5);
  EXPECT_EQ(run.chunks, (Chunks{{2, 5}}));
  request_.fit.feature_begin = 7;
  run = Prepare();
  EXPECT_EQ(run.begin, 5);
  EXPECT_TRUE(run.chunks.empty());
  EXPECT_EQ(CollectFit(run, request_, reader_, nullptr).num_features(), 0);
}

TEST_F(FitRunTest, SmallChunksCoverTheRangeInOrder) {
  request_.fit.feature_begin = 1;
  request_.chunk_bytes = reader_.BytesToRead(0, 2);  // two features of dense counts
  const FitRun run = Prepare();
  EXPECT_EQ(run.chunks, (Chunks{{1, 3}, {3, 5}}));
  std::vector<Index> begins;
  FitChunks(run, request_, reader_, nullptr, [&](FitResult& chunk) {
    begins.push_back(chunk.feature_begin);
    EXPECT_EQ(chunk.num_features(), 2);
  });
  EXPECT_EQ(begins, (std::vector<Index>{1, 3}));
}

TEST_F(FitRunTest, SizeFactorsGivenOrResolved) {
  request_.size_factors = "total";
  const FitRun computed = Prepare();
  ASSERT_EQ(computed.size_factors.size(), 6u);
  // Given factors win over --size-factors and are used as they are.
  request_.given_size_factors = Vector::from_shape({6});
  for (std::size_t i = 0; i < 6; ++i) request_.given_size_factors(i) = 1.0 + static_cast<double>(i);
  const FitRun given = Prepare();
  ASSERT_EQ(given.size_factors.size(), 6u);
  EXPECT_EQ(given.size_factors(5), 6.0);
  request_.given_size_factors = Vector();
  request_.size_factors = "nonsense";
  EXPECT_THROW(Prepare(), InputError);
}

TEST_F(FitRunTest, CountsWithOtherObservationsAreRefusedNamingThem) {
  const CountReader other("gene\to1\to2\to3\to4\to5\tx\ng0\t1\t2\t3\t4\t5\t6\n", "c.tsv", false);
  try {
    PrepareFit(request_, request_.model.Build(true), other, "--counts c.tsv");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--counts c.tsv: 6 observations: observations 'x' are not in --loc-design " +
                                              dir_ + "/design.tsv",
                                          0),
              0u)
        << e.what();
  }
}

TEST_F(FitRunTest, CollectedChunksEqualOneFitOverTheRange) {
  request_.fit.feature_begin = 1;
  request_.size_factors = "ratio";
  const FitRun whole = Prepare();
  // One Fit over features 1…4 of all the counts (feature_begin = 1).
  const FitResult expected = Fit(reader_.Read(0, 5), whole.model, whole.size_factors, request_.fit);
  request_.chunk_bytes = reader_.BytesToRead(0, 1);  // one feature per chunk
  const FitRun run = Prepare();
  ASSERT_EQ(run.chunks.size(), 4u);
  Index last_done = -1, last_total = -1;
  const FitResult all = CollectFit(run, request_, reader_, [&](Index done, Index total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  });
  EXPECT_EQ(last_done, 4);
  EXPECT_EQ(last_total, 4);
  EXPECT_EQ(all.feature_begin, 1);
  EXPECT_EQ(all.feature_names, (std::vector<std::string>{"g1", "g2", "g3", "g4"}));
  EXPECT_EQ(all.feature_names, expected.feature_names);
  EXPECT_EQ(all.location_names, expected.location_names);
  EXPECT_EQ(all.status, expected.status);
  EXPECT_EQ(all.iterations, expected.iterations);
  const auto same = [](const auto& a, const auto& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double x = *(a.begin() + i), y = *(b.begin() + i);
      if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
    }
    return true;
  };
  EXPECT_TRUE(same(all.location_coef, expected.location_coef));
  EXPECT_TRUE(same(all.scale_coef, expected.scale_coef));
  EXPECT_TRUE(same(all.location_se, expected.location_se));
  EXPECT_TRUE(same(all.reduced_covariance, expected.reduced_covariance));
  EXPECT_TRUE(same(all.loglik, expected.loglik));
}

}  // namespace
}  // namespace nbglm::cli
