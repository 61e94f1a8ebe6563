// Counts from text (src/io/count_text.h): the token and count parsers, the
// MatrixMarket header and entry parsers with every rule and message, and a
// dense table cell. End-to-end reading is in counts_io_test.cc.
#include "io/count_text.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace nbglm::count_text {
namespace {

TEST(CountTextTest, TokensSplitOnBlanks) {
  std::string_view rest = "  12\t 7\r 3.5  ";
  EXPECT_EQ(NextToken(&rest), "12");
  EXPECT_EQ(NextToken(&rest), "7");
  EXPECT_EQ(NextToken(&rest), "3.5");
  EXPECT_EQ(NextToken(&rest), "");
  EXPECT_EQ(NextToken(&rest), "");
  EXPECT_TRUE(IsBlankLine(""));
  EXPECT_TRUE(IsBlankLine(" \t\r"));
  EXPECT_FALSE(IsBlankLine(" x "));
  EXPECT_EQ(Show(""), "''");
  EXPECT_EQ(Show("a b"), "a b");
  EXPECT_EQ(Lowercase("MatrixMarket Coordinate"), "matrixmarket coordinate");
}

TEST(CountTextTest, IntegersAndCounts) {
  std::int64_t integer = 0;
  EXPECT_TRUE(ParseInteger("+42", &integer));
  EXPECT_EQ(integer, 42);
  EXPECT_TRUE(ParseInteger("-3", &integer));
  EXPECT_EQ(integer, -3);
  EXPECT_FALSE(ParseInteger("", &integer));
  EXPECT_FALSE(ParseInteger("+", &integer));
  EXPECT_FALSE(ParseInteger("4x", &integer));
  EXPECT_FALSE(ParseInteger("99999999999999999999", &integer));  // out of int64

  double value = -1.0;
  std::string rule;
  for (const auto& [token, expected] : std::vector<std::pair<std::string, double>>{
           {"0", 0.0}, {"17", 17.0}, {"+5", 5.0}, {"3.0", 3.0}, {"1e3", 1000.0}, {"2147483647", 2147483647.0}}) {
    EXPECT_TRUE(ParseCount(token, &value, &rule)) << token << ": " << rule;
    EXPECT_EQ(value, expected) << token;
  }
  for (const auto& [token, broken] : std::vector<std::pair<std::string, std::string>>{
           {"1.5", "counts must be non-negative integers"},
           {"-1", "counts must be non-negative integers"},
           {"", "counts must be non-negative integers"},
           {"abc", "counts must be non-negative integers"},
           {"nan", "counts must be non-negative integers"},
           {"inf", "counts must be non-negative integers"},
           {"2147483648", "counts must not exceed 2147483647"}}) {
    rule.clear();
    EXPECT_FALSE(ParseCount(token, &value, &rule)) << token;
    EXPECT_EQ(rule, broken) << token;
  }
}

std::string HeaderError(const std::string& text) {
  StringLineSource lines(text, "m.mtx");
  try {
    ReadMatrixMarketHeader("m.mtx", &lines);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CountTextTest, MatrixMarketHeader) {
  const std::string text = "%%MatrixMarket MATRIX coordinate Integer GENERAL\n% comment\n\n3 4 5\n1 1 2\n";
  StringLineSource lines(text, "m.mtx");  // holds a reference to the text
  const MatrixMarketHeader header = ReadMatrixMarketHeader("m.mtx", &lines);
  EXPECT_EQ(header.num_rows, 3);
  EXPECT_EQ(header.num_columns, 4);
  EXPECT_EQ(header.num_entries, 5);
  std::string_view next;
  ASSERT_TRUE(lines.Next(&next));
  EXPECT_EQ(next, "1 1 2");  // left at the first entry line

  EXPECT_EQ(HeaderError(""), "m.mtx: empty file: a MatrixMarket file starts with a %%MatrixMarket line");
  EXPECT_NE(HeaderError("%%MatrixMarket vector coordinate integer general\n1 1 1\n").find("object 'vector'"),
            std::string::npos);
  EXPECT_NE(HeaderError("%%MatrixMarket matrix array integer general\n1 1\n").find("format 'array'"),
            std::string::npos);
  EXPECT_NE(HeaderError("%%MatrixMarket matrix coordinate complex general\n1 1 1\n").find("field 'complex'"),
            std::string::npos);
  EXPECT_NE(HeaderError("%%MatrixMarket matrix coordinate integer symmetric\n1 1 1\n").find("symmetry 'symmetric'"),
            std::string::npos);
  EXPECT_EQ(HeaderError("%%MatrixMarket matrix coordinate integer general\n"),
            "m.mtx: no size line: file ends before 'rows columns entries'");
  EXPECT_EQ(HeaderError("%%MatrixMarket matrix coordinate integer general\n3 x 1\n"),
            "m.mtx:2: x: the size line holds rows, columns and entries as non-negative integers (columns)");
  EXPECT_EQ(HeaderError("%%MatrixMarket matrix coordinate integer general\n0 4 0\n"),
            "m.mtx:2: 0 x 4: a count matrix needs at least one feature and one observation");
  EXPECT_NE(HeaderError("%%MatrixMarket matrix coordinate integer general\n200000000 4 0\n").find("at most 100000000"),
            std::string::npos);
  EXPECT_EQ(HeaderError("%%MatrixMarket matrix coordinate integer general\n2 2 5\n"),
            "m.mtx:2: 5 entries: more than rows x columns = 4");
}

using Entry = std::tuple<std::int64_t, std::int64_t, std::int64_t, double>;

std::vector<Entry> Entries(const std::string& body, std::string* error) {
  const std::string text = "%%MatrixMarket matrix coordinate real general\n3 2 3\n" + body;
  StringLineSource lines(text, "m.mtx");
  const MatrixMarketHeader header = ReadMatrixMarketHeader("m.mtx", &lines);
  std::vector<Entry> entries;
  try {
    ParseMatrixMarketEntries("m.mtx", header, &lines, [&](std::int64_t line, std::int64_t row, std::int64_t column,
                                                          double value) {
      entries.emplace_back(line, row, column, value);
      return true;
    });
  } catch (const InputError& e) {
    *error = e.what();
  }
  return entries;
}

TEST(CountTextTest, MatrixMarketEntries) {
  std::string error;
  const std::vector<Entry> entries = Entries("3 2 4\n\n1 1 2.0\n% late comment\n2 1 1e1\n", &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(entries, (std::vector<Entry>{{3, 2, 1, 4.0}, {5, 0, 0, 2.0}, {7, 1, 0, 10.0}}));  // 0-based

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"x 1 1\n", "m.mtx:3: x: a row index must be an integer"},
      {"1 1\n", "m.mtx:3: entry (1, 1): no value: an entry line holds row, column and value"},
      {"1 1 1 1\n", "m.mtx:3: entry (1, 1): '1 1 1 1': an entry line holds exactly row, column and value"},
      {"4 1 1\n", "m.mtx:3: entry (4, 1): row 4: must lie in 1..3"},
      {"1 0 1\n", "m.mtx:3: entry (1, 0): column 0: must lie in 1..2"},
      {"1 1 0.5\n", "m.mtx:3: entry (1, 1): 0.5: counts must be non-negative integers"},
      {"1 1 1\n", "m.mtx: 1 entries: the size line declares 3 (file truncated?)"},
      {"1 1 1\n1 2 1\n2 1 1\n2 2 1\n", "m.mtx:6: entry (2, 2): extra entry: the size line declares 3 entries"},
  };
  for (const auto& [body, message] : cases) {
    error.clear();
    Entries(body, &error);
    EXPECT_EQ(error, message) << body;
  }
}

TEST(CountTextTest, DuplicateLinesAreFoundOnTheErrorPath) {
  const std::string text = "%%MatrixMarket matrix coordinate integer general\n2 2 4\n1 1 1\n2 2 3\n% c\n2 2 4\n1 2 1\n";
  StringLineSource lines(text, "m.mtx");
  ReadMatrixMarketHeader("m.mtx", &lines);
  EXPECT_EQ(FindDuplicateLines("m.mtx", &lines, 1, 1), (std::pair<std::int64_t, std::int64_t>{4, 6}));
}

TEST(CountTextTest, DenseCellsAreTrimmedAndNamed) {
  const std::string text = "feature\ta\tb\ng1\t 3 \tx\n";
  StringLineSource lines(text, "d.tsv");
  std::string_view line;
  lines.Next(&line);
  lines.Next(&line);
  const std::vector<std::string> header = {"feature", "a", "b"};
  const std::vector<std::string> fields = {"g1", " 3 ", "x"};
  std::string rule;
  EXPECT_EQ(DenseCount(fields, 0, header, &lines, &rule), 3.0);
  try {
    DenseCount(fields, 1, header, &lines, &rule);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "d.tsv:2: column 'b': x: counts must be non-negative integers");
  }
}

}  // namespace
}  // namespace nbglm::count_text
