// Size factors (docs/formats.md "Size factors", docs/cli.md `fit --size-factors`):
// ratio / poscounts / total against hand-computed values, in memory and
// chunked through a CountReader; the file reader's and validator's rules.
#include "nbglm/size_factors.h"

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_runner.h"
#include "temp_dir_fixture.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {


std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

std::vector<double> AsStd(const Vector& v) { return std::vector<double>(v.begin(), v.end()); }

// Features × observations a, b, c. Genes g1, g2 give log ratios −log 2, 0,
// log 2; g3 gives 0, 0, 0; g4 has a zero (left out of "ratio").
CountMatrix ThreeObservations() {
  return CountMatrix::FromDense(Matrix{{1, 2, 4}, {1, 2, 4}, {2, 2, 2}, {0, 3, 5}}, {"g1", "g2", "g3", "g4"},
                                {"a", "b", "c"});
}

// Two observations: g1 = (1, 4) in both methods; g2 = (0, 2) only in poscounts.
CountMatrix TwoObservations() {
  return CountMatrix::FromDense(Matrix{{1, 4}, {0, 2}}, {"g1", "g2"}, {"a", "b"});
}

TEST(SizeFactorsUnitTest, RatioIsTheMedianOfRatiosOverAllPositiveGenes) {
  // Medians: a {−l2, −l2, 0} → ½; b {0, 0, 0} → 1; c {l2, l2, 0} → 2.
  const std::vector<double> s = AsStd(ComputeSizeFactors(ThreeObservations(), "ratio"));
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[0], 0.5);
  EXPECT_DOUBLE_EQ(s[1], 1.0);
  EXPECT_DOUBLE_EQ(s[2], 2.0);
  // Not renormalised: an even count of genes takes the mean of the middle two.
  const std::vector<double> two = AsStd(ComputeSizeFactors(TwoObservations(), "ratio"));
  EXPECT_DOUBLE_EQ(two[0], 0.5);
  EXPECT_DOUBLE_EQ(two[1], 2.0);
  const CountMatrix even = CountMatrix::FromDense(Matrix{{1, 4}, {1, 1}}, {}, {"a", "b"});
  // a: {−l2, 0} → median −l2/2; b: {l2, 0} → l2/2.
  const std::vector<double> halves = AsStd(ComputeSizeFactors(even, "ratio"));
  EXPECT_DOUBLE_EQ(halves[0], std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(halves[1], std::sqrt(2.0));
}

TEST(SizeFactorsUnitTest, PoscountsUsesPositiveCountsAndGeometricMeanOne) {
  // g2's log geometric mean is log 2 / 2 (divided by n = 2): b's ratios are
  // {l2, l2/2} → 2^0.75, a's {−l2} → 2^−1; normalised by 2^−0.125.
  const std::vector<double> s = AsStd(ComputeSizeFactors(TwoObservations(), "poscounts"));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s[0], std::pow(2.0, -0.875));
  EXPECT_DOUBLE_EQ(s[1], std::pow(2.0, 0.875));
  EXPECT_DOUBLE_EQ(s[0] * s[1], 1.0);
  // With g4: a {−l2, −l2, 0} → ½; b {0, 0, 0, log 3 − log 15 / 3} → 0 → 1;
  // c {l2, l2, 0, log 5 − log 15 / 3} → median l2 → 2; geometric mean 1.
  const std::vector<double> three = AsStd(ComputeSizeFactors(ThreeObservations(), "poscounts"));
  EXPECT_DOUBLE_EQ(three[0], 0.5);
  EXPECT_DOUBLE_EQ(three[1], 1.0);
  EXPECT_DOUBLE_EQ(three[2], 2.0);
}

TEST(SizeFactorsUnitTest, TotalIsColumnTotalsOverTheirGeometricMean) {
  // Totals 1 and 6: factors 1/√6 and √6.
  const std::vector<double> s = AsStd(ComputeSizeFactors(TwoObservations(), "total"));
  EXPECT_DOUBLE_EQ(s[0], 1.0 / std::sqrt(6.0));
  EXPECT_DOUBLE_EQ(s[1], std::sqrt(6.0));
  // One observation: its factor is 1 whatever its total.
  const CountMatrix one = CountMatrix::FromDense(Matrix{{7}, {0}}, {}, {"only"});
  EXPECT_DOUBLE_EQ(ComputeSizeFactors(one, "total")(0), 1.0);
  EXPECT_DOUBLE_EQ(ComputeSizeFactors(one, "ratio")(0), 1.0);
}

TEST(SizeFactorsUnitTest, ComputedFactorErrorsNameTheObservation) {
  EXPECT_EQ(Message([] { ComputeSizeFactors(TwoObservations(), "median"); }),
            "--size-factors: median: must be a file, a sample-sheet column, ratio, poscounts or total");
  const CountMatrix empty_b = CountMatrix::FromDense(Matrix{{1, 0, 3}, {2, 0, 1}}, {}, {"a", "b", "c"});
  EXPECT_EQ(Message([&] { ComputeSizeFactors(empty_b, "total"); }),
            "--size-factors total: observation 'b' has total count 0: total size factors need every observation to "
            "have counts");
  EXPECT_EQ(Message([&] { ComputeSizeFactors(empty_b, "poscounts"); }),
            "--size-factors poscounts: observation 'b': has no positive count, so no size factor");
  // No gene is positive everywhere (each has a zero somewhere): the first observation is named.
  const CountMatrix sparse = CountMatrix::FromDense(Matrix{{1, 0}, {0, 1}}, {}, {"x", "y"});
  EXPECT_EQ(Message([&] { ComputeSizeFactors(sparse, "ratio"); }),
            "--size-factors ratio: observation 'x': no gene has a positive count in every observation (try "
            "poscounts)");
  // poscounts handles it: x {log 1 − 0} → 1, y likewise.
  const std::vector<double> s = AsStd(ComputeSizeFactors(sparse, "poscounts"));
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], 1.0);
}

TEST(SizeFactorsUnitTest, ReaderInChunksGivesTheInMemoryFactors) {
  const std::string table = "gene\ta\tb\tc\ng1\t1\t2\t4\ng2\t1\t2\t4\ng3\t2\t2\t2\ng4\t0\t3\t5\n";
  const CountReader reader(table, "counts.tsv", false);
  const CountMatrix all = reader.Read(0, reader.num_features());
  for (const char* method : {"ratio", "poscounts", "total"}) {
    SCOPED_TRACE(method);
    const std::vector<double> expected = AsStd(ComputeSizeFactors(all, method));
    // One feature per chunk, and everything at once: bit-identical.
    EXPECT_EQ(AsStd(ComputeSizeFactors(reader, method, 1)), expected);
    EXPECT_EQ(AsStd(ComputeSizeFactors(reader, method, std::int64_t{1} << 30)), expected);
  }
  EXPECT_EQ(Message([&] { ComputeSizeFactors(reader, "Ratio", 1); }),
            "--size-factors: Ratio: must be a file, a sample-sheet column, ratio, poscounts or total");
  const CountReader zero_column("gene\ta\tb\ng1\t0\t1\n", "z.tsv", false);
  EXPECT_EQ(Message([&] { ComputeSizeFactors(zero_column, "total", 1); }),
            "--size-factors total: observation 'a' has total count 0: total size factors need every observation to "
            "have counts");
}

TEST(SizeFactorsUnitTest, ValidateSizeFactorsChecksLengthAndPositivity) {
  const std::vector<std::string> names = {"a", "b", "c"};
  EXPECT_NO_THROW(ValidateSizeFactors(Vector{0.5, 1.0, std::numeric_limits<double>::denorm_min()}, 3, "sf", names));
  EXPECT_EQ(Message([&] { ValidateSizeFactors(Vector{1.0, 1.0}, 3, "sf", names); }),
            "sf: 2 size factors: expected 3 (one per observation)");
  EXPECT_EQ(Message([&] { ValidateSizeFactors(Vector{1.0, 0.0, 1.0}, 3, "sf", names); }),
            "sf: observation 'b' = 0: size factors must be finite and > 0");
  EXPECT_EQ(Message([&] { ValidateSizeFactors(Vector{1.0, 1.0, -2.5}, 3, "sf", names); }),
            "sf: observation 'c' = -2.5: size factors must be finite and > 0");
  EXPECT_EQ(Message([&] { ValidateSizeFactors(Vector{std::nan(""), 1.0, 1.0}, 3, "sf", names); }),
            "sf: observation 'a' = NaN: size factors must be finite and > 0");
  EXPECT_EQ(Message([&] { ValidateSizeFactors(Vector{1.0, std::numeric_limits<double>::infinity(), 1.0}, 3, "sf",
                                              names); }),
            "sf: observation 'b' = Inf: size factors must be finite and > 0");
  // Without names the position stands in.
  EXPECT_EQ(Message([] { ValidateSizeFactors(Vector{1.0, -1.0}, 2, "sf", {}); }),
            "sf: observation '1' = -1: size factors must be finite and > 0");
}

class SizeFactorFileTest : public testing::TempDirTest {};

TEST_F(SizeFactorFileTest, ReadsInAnyOrderAndRoundTrips) {
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::string path = Write("sf.tsv", "sample\tfactor\nc\t2\na\t0.5\nb\t1e0\n");
  EXPECT_EQ(AsStd(ReadSizeFactors(path, names)), (std::vector<double>{0.5, 1.0, 2.0}));
  const Vector exact = {0.1 + 0.2, 1.0 / 3.0, 1.2361753139970022};
  const std::string text = SizeFactorsToTsv(exact, names);
  EXPECT_EQ(text, "observation\tsize_factor\na\t0.30000000000000004\nb\t0.3333333333333333\nc\t1.2361753139970022\n");
  EXPECT_EQ(AsStd(ReadSizeFactors(Write("round.tsv", text), names)), AsStd(exact));
  EXPECT_EQ(AsStd(ReadSizeFactors(Write("sf.csv", "o,s\nb,2\na,3\n"), {"a", "b"})), (std::vector<double>{3.0, 2.0}));
}

TEST_F(SizeFactorFileTest, FileErrorsNameLineObservationAndRule) {
  const std::vector<std::string> names = {"a", "b"};
  const std::string three = Write("three.tsv", "o\ts\tx\na\t1\t1\n");
  EXPECT_EQ(Message([&] { ReadSizeFactors(three, names); }),
            three + ":1: 3 columns: a size-factor table has two columns: observation, size_factor");
  const std::string unknown = Write("unknown.tsv", "o\ts\na\t1\nz\t1\n");
  EXPECT_EQ(Message([&] { ReadSizeFactors(unknown, names); }),
            unknown + ":3: observation 'z': is not an observation of the counts");
  const std::string twice = Write("twice.tsv", "o\ts\na\t1\n\nb\t1\na\t2\n");
  EXPECT_EQ(Message([&] { ReadSizeFactors(twice, names); }), twice + ":5: observation 'a': appears twice");
  const std::string missing = Write("missing.tsv", "o\ts\nb\t1\n");
  EXPECT_EQ(Message([&] { ReadSizeFactors(missing, names); }),
            missing + ": observation 'a' missing: every observation needs a size factor");
  const std::string text = Write("text.tsv", "o\ts\na\tNA\nb\t1\n");
  EXPECT_EQ(Message([&] { ReadSizeFactors(text, names); }), text + ":2: 'NA': size_factor must be a finite number");
  const std::string zero = Write("zero.tsv", "o\ts\na\t1\nb\t0\n");
  EXPECT_EQ(Message([&] { ReadSizeFactors(zero, names); }),
            zero + ": observation 'b' = 0: size factors must be finite and > 0");
  const std::string negative = Write("negative.tsv", "o\ts\na\t-1\nb\t1\n");
  EXPECT_EQ(Message([&] { ReadSizeFactors(negative, names); }),
            negative + ": observation 'a' = -1: size factors must be finite and > 0");
  const std::string header_only = Write("header.tsv", "o\ts\n");
  EXPECT_EQ(Message([&] { ReadSizeFactors(header_only, names); }),
            header_only + ": observation 'a' missing: every observation needs a size factor");
  EXPECT_TRUE(ReadSizeFactors(header_only, {}).size() == 0);
  EXPECT_NE(Message([&] { ReadSizeFactors(dir_ + "/none.tsv", names); }).find("none.tsv: cannot open: "),
            std::string::npos);
}

}  // namespace
}  // namespace nbglm
