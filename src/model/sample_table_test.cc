// Sample sheets typed as R's read.delim types them (nbglm/sample_table.h).
#include "nbglm/sample_table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

SampleTable Parse(const std::string& text, const std::string& path = "samples.tsv") {
  return MakeSampleTable(ParseTextTable(text, path));
}

std::string ErrorOf(const std::string& text) {
  try {
    Parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(SampleTableTest, TypesColumnsLikeReadDelim) {
  const SampleTable samples = Parse(
      "sample\tcount\tratio\tflag\tshort\tname\tmixed\thex\tgap\n"
      "s1\t6\t1.5\tTRUE\tT\tb\t1\t0x10\tNA\n"
      "s2\t-7\t2e3\tFALSE\tF\tB\tx\t 2 \t\n"
      "s3\t+4\tInf\tTRUE\tT\t_x\t3\t-1.5e-2\t3\n");
  EXPECT_EQ(samples.name_column, "sample");
  EXPECT_EQ(samples.observation_names, (std::vector<std::string>{"s1", "s2", "s3"}));
  EXPECT_EQ(samples.line_numbers, (std::vector<std::size_t>{2, 3, 4}));

  const SampleColumn& count = samples.Get("count", "test");
  EXPECT_EQ(count.type, SampleColumnType::kNumeric);
  EXPECT_TRUE(count.is_integer);
  EXPECT_EQ(count.numbers, (std::vector<double>{6, -7, 4}));

  const SampleColumn& ratio = samples.Get("ratio", "test");
  EXPECT_EQ(ratio.type, SampleColumnType::kNumeric);
  EXPECT_FALSE(ratio.is_integer);
  EXPECT_EQ(ratio.numbers[1], 2000.0);
  EXPECT_TRUE(std::isinf(ratio.numbers[2]));

  for (const char* name : {"flag", "short"}) {
    const SampleColumn& flag = samples.Get(name, "test");
    EXPECT_EQ(flag.type, SampleColumnType::kLogical) << name;
    EXPECT_EQ(flag.levels, (std::vector<std::string>{"FALSE", "TRUE"}));
    EXPECT_EQ(flag.level_codes, (std::vector<int>{1, 0, 1}));
  }

  // Byte order: upper case before '_' before lower case (R in the C locale).
  const SampleColumn& name = samples.Get("name", "test");
  EXPECT_EQ(name.type, SampleColumnType::kFactor);
  EXPECT_EQ(name.levels, (std::vector<std::string>{"B", "_x", "b"}));
  EXPECT_EQ(name.level_codes, (std::vector<int>{2, 0, 1}));

  const SampleColumn& mixed = samples.Get("mixed", "test");
  EXPECT_EQ(mixed.type, SampleColumnType::kFactor);
  EXPECT_EQ(mixed.levels, (std::vector<std::string>{"1", "3", "x"}));

  const SampleColumn& hex = samples.Get("hex", "test");
  EXPECT_EQ(hex.type, SampleColumnType::kNumeric);
  EXPECT_FALSE(hex.is_integer);
  EXPECT_EQ(hex.numbers, (std::vector<double>{16, 2, -0.015}));

  // NA and empty fields are missing; the rest decides the type.
  const SampleColumn& gap = samples.Get("gap", "test");
  EXPECT_EQ(gap.type, SampleColumnType::kNumeric);
  EXPECT_EQ(gap.missing, (std::vector<bool>{true, true, false}));
  EXPECT_EQ(gap.numbers[2], 3.0);
}

TEST(SampleTableTest, AllMissingIsLogicalAndTextWithNaIsAFactor) {
  const SampleTable samples = Parse("id\tnone\tword\nA\tNA\tx\nB\t\tNA\n");
  EXPECT_EQ(samples.Get("none", "t").type, SampleColumnType::kLogical);
  const SampleColumn& word = samples.Get("word", "t");
  EXPECT_EQ(word.type, SampleColumnType::kFactor);
  EXPECT_EQ(word.levels, (std::vector<std::string>{"x"}));
  EXPECT_EQ(word.level_codes, (std::vector<int>{0, -1}));
}

TEST(SampleTableTest, NumbersAsFactorsAreLabelledAsR) {
  // R: levels(factor(c(10, 9, 1e5))) is "9" "10" "1e+05"; for an integer
  // column as.character(100000L) is "100000".
  const SampleTable samples = Parse("id\tdbl\tint\nA\t10\t10\nB\t9.0\t9\nC\t1e5\t100000\nD\t10\t10\n");
  const FactorLevels doubles = AsFactor(samples.Get("dbl", "t"));
  EXPECT_EQ(doubles.levels, (std::vector<std::string>{"9", "10", "1e+05"}));
  EXPECT_EQ(doubles.codes, (std::vector<int>{1, 0, 2, 1}));
  const FactorLevels integers = AsFactor(samples.Get("int", "t"));
  EXPECT_EQ(integers.levels, (std::vector<std::string>{"9", "10", "100000"}));
}

TEST(SampleTableTest, DoubleLabelsEqualRAsCharacter) {
  // Expected strings printed by R 4.2: as.character(c(...)).
  const std::vector<std::pair<double, std::string>> cases = {
      {1e5, "1e+05"},          {123456, "123456"},           {0.1 + 0.2, "0.3"},
      {1e-4, "1e-04"},         {0.001, "0.001"},             {1e15, "1e+15"},
      {1e16, "1e+16"},         {123456789.123, "123456789.123"}, {1.0 / 3, "0.333333333333333"},
      {2.0 / 3 * 1e10, "6666666666.66667"}, {-0.5, "-0.5"},  {100, "100"},
      {1e-20, "1e-20"},        {3.14159265358979, "3.14159265358979"}, {2.5, "2.5"},
      {0, "0"}};
  for (const auto& [value, label] : cases) EXPECT_EQ(RDoubleLabel(value), label) << value;
}

TEST(SampleTableTest, RejectsBadSheetsWithOneClearLine) {
  EXPECT_EQ(ErrorOf("id\tx\na\t1\nb\t2\na\t3\n"),
            "samples.tsv:4: 'a': duplicate observation name in column 1 (first on line 2)");
  EXPECT_EQ(ErrorOf("id\tx\na\t1\nb\n"), "samples.tsv:3: 1 fields: expected 2 (as many as the header)");
  EXPECT_EQ(ErrorOf("id\tx\n"), "samples.tsv: no rows: a sample sheet needs at least one observation");
  EXPECT_EQ(ErrorOf("id\tx\tx\na\t1\t2\n"), "samples.tsv:1: 'x': duplicate column name (columns 2 and 3)");
  EXPECT_EQ(ErrorOf("id\tx\n\t1\n"), "samples.tsv:2: '': an observation name (column 1) must be non-empty");
  const SampleTable samples = Parse("id\tcondition\ttype\na\tx\ty\n");
  try {
    samples.Get("cond", "--loc");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--loc: 'cond': unknown column of samples.tsv (columns: condition, type)");
  }
}

TEST(SampleTableTest, SelectObservationsReordersByName) {
  const SampleTable samples = Parse("id\tx\na\t1\nb\t2\nc\t3\n");
  const SampleTable picked = SelectObservations(samples, {"c", "a", "b"}, "--samples");
  EXPECT_EQ(picked.observation_names, (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(picked.Get("x", "t").numbers, (std::vector<double>{3, 1, 2}));
  EXPECT_EQ(picked.line_numbers, (std::vector<std::size_t>{4, 2, 3}));
  EXPECT_THROW(SelectObservations(samples, {"c", "a", "z"}, "--samples"), InputError);
  try {
    SelectObservations(samples, {"c", "a"}, "--samples");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--samples: sample-sheet rows b: are not observations of the design");
  }
}

}  // namespace
}  // namespace nbglm
