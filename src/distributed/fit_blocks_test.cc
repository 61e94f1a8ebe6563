#include "distributed/fit_blocks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nbglm/design.h"
#include "nbglm/error.h"
#include "nbglm/model.h"
#include "same_fit.h"

namespace nbglm::distributed {
namespace {

// 6 features × 4 observations; non-zeros per feature 4, 0, 1, 4, 2, 1.
const char kMtx[] =
    "%%MatrixMarket matrix coordinate integer general\n"
    "6 4 12\n"
    "1 1 3\n1 2 5\n1 3 2\n1 4 9\n"
    "3 2 1\n"
    "4 1 7\n4 2 4\n4 3 6\n4 4 8\n"
    "5 1 2\n5 4 1\n"
    "6 3 1\n";

CountReader Reader() { return CountReader(kMtx, "counts.mtx", /*matrix_market=*/true); }

TEST(BalancedBlocksTest, SplitsByNonzerosNotFeatureCount) {
  const CountReader reader = Reader();
  // Work (non-zeros + 1): 5 1 2 5 3 2, total 18; work before each feature
  // 0 5 6 8 13 16 (18 at the end). Halves: of 8 and 13, 8 is nearer to 9.
  EXPECT_EQ(BalancedBlocks(reader, 0, 6, 2), (std::vector<Index>{0, 3, 6}));
  // Thirds: nearest to 6 and 12 are 6 (feature 2) and 13 (feature 4).
  EXPECT_EQ(BalancedBlocks(reader, 0, 6, 3), (std::vector<Index>{0, 2, 4, 6}));
  EXPECT_EQ(BalancedBlocks(reader, 0, 6, 1), (std::vector<Index>{0, 6}));
  // Features 3..5 (work 5 3 2): half of 10 is 5, one feature | two.
  EXPECT_EQ(BalancedBlocks(reader, 3, 6, 2), (std::vector<Index>{3, 4, 6}));
  // Features 0..1 (work 5 1) over 4 ranks: quarters nearest 0, 5, 5.
  EXPECT_EQ(BalancedBlocks(reader, 0, 2, 4), (std::vector<Index>{0, 0, 1, 1, 2}));
  EXPECT_EQ(BalancedBlocks(reader, 3, 3, 2), (std::vector<Index>{3, 3, 3}));
  EXPECT_THROW(BalancedBlocks(reader, 0, 6, 0), InputError);
}

TEST(BalancedBlocksTest, CoverTheRangeInOrderForAnyRankCount) {
  const CountReader reader = Reader();
  for (int ranks = 1; ranks <= 9; ++ranks) {
    const std::vector<Index> b = BalancedBlocks(reader, 1, 6, ranks);
    ASSERT_EQ(b.size(), static_cast<std::size_t>(ranks) + 1);
    EXPECT_EQ(b.front(), 1);
    EXPECT_EQ(b.back(), 6);
    for (std::size_t r = 0; r + 1 < b.size(); ++r) EXPECT_LE(b[r], b[r + 1]) << ranks;
  }
}

FitResult FitOf(Index begin, Index end) {
  const CountReader reader = Reader();
  const Design design = InterceptDesign(reader.observation_names());
  const NbGlmModel model =
      MakeModel(MakeLinearPredictor(design, ConstraintBasis::Identity(design.parameter_names), "location"),
                MakeLinearPredictor(design, ConstraintBasis::Identity(design.parameter_names), "scale"));
  FitOptions options;
  options.num_threads = 1;
  FitResult result = Fit(reader.Read(begin, end), model, Vector(), options);
  result.feature_begin = begin;
  return result;
}

TEST(FitResultBytesTest, RoundTripIsBitExactNanIncluded) {
  const FitResult a = FitOf(0, 4), b = FitOf(4, 6);  // feature 1 is all zero: NaN estimates
  ASSERT_EQ(a.status[1], FeatureStatus::kAllZero);
  std::string bytes;
  AppendFitResult(a, &bytes);
  AppendFitResult(b, &bytes);
  const std::vector<FitResult> back = ReadFitResults(bytes, "rank 1's results");
  ASSERT_EQ(back.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    const FitResult& want = k == 0 ? a : b;
    const FitResult& got = back[k];
    testing::ExpectSameFit(got, want);
    EXPECT_EQ(got.solver_termination, want.solver_termination);
    EXPECT_EQ(got.wall_seconds, want.wall_seconds);
  }
  EXPECT_TRUE(ReadFitResults("", "nothing").empty());
}

TEST(FitResultBytesTest, TruncatedBytesNameWhatAndWhere) {
  std::string bytes;
  AppendFitResult(FitOf(0, 2), &bytes);
  for (const std::size_t keep : {std::size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    try {
      ReadFitResults(bytes.substr(0, keep), "rank 2's results");
      FAIL() << keep;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("rank 2's results: byte "), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace nbglm::distributed
