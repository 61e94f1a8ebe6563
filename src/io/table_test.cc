// Text tables (docs/formats.md "Text tables"): field splitting and quoting,
// table parsing with line numbers, gzip, finite-number parsing, atomic writes
// and the shortest round-trip number format.
#include "nbglm/table.h"

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

using ::nbglm::testing::ReadWholeFile;
using ::nbglm::testing::WriteText;

using Fields = std::vector<std::string>;

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

Fields Split(const std::string& line, char delimiter = '\t') {
  Fields fields = {"stale"};
  SplitTableFields(line, delimiter, "t.tsv:7", &fields);
  return fields;
}

using testing::Gzip;

class TableFileTest : public testing::TempDirTest {};

TEST(TableTest, SplitsFieldsOnTheDelimiter) {
  EXPECT_EQ(Split("a\tb\tc"), (Fields{"a", "b", "c"}));
  EXPECT_EQ(Split("a,b\tc"), (Fields{"a,b", "c"}));
  EXPECT_EQ(Split("a,b\tc", ','), (Fields{"a", "b\tc"}));
  // Empty fields anywhere, and an empty line is one empty field.
  EXPECT_EQ(Split("\ta\t\t"), (Fields{"", "a", "", ""}));
  EXPECT_EQ(Split(""), (Fields{""}));
  // Spaces are kept (only ParseFiniteDouble trims them).
  EXPECT_EQ(Split(" a \t b"), (Fields{" a ", " b"}));
}

TEST(TableTest, QuotedFieldsHoldDelimitersAndDoubledQuotes) {
  EXPECT_EQ(Split("\"a,b\",c", ','), (Fields{"a,b", "c"}));
  EXPECT_EQ(Split("\"say \"\"hi\"\"\"\tx"), (Fields{"say \"hi\"", "x"}));
  EXPECT_EQ(Split("\"\"\t\"\""), (Fields{"", ""}));
  EXPECT_EQ(Split("x\t\"\"\"\""), (Fields{"x", "\""}));
  // A quote inside an unquoted field is text.
  EXPECT_EQ(Split("5\"\tb"), (Fields{"5\"", "b"}));
  EXPECT_EQ(Message([] { Split("a\t\"open"); }),
            "t.tsv:7: unterminated quoted field: a quote opened must be closed on the same line");
  EXPECT_EQ(Message([] { Split("\"a\"b\tc"); }),
            "t.tsv:7: text after a closing quote: a quoted field must end at a delimiter");
  EXPECT_EQ(Message([] { Split("\""); }),
            "t.tsv:7: unterminated quoted field: a quote opened must be closed on the same line");
}

TEST(TableTest, DelimiterFollowsTheName) {
  EXPECT_EQ(TableDelimiter("x.csv"), ',');
  EXPECT_EQ(TableDelimiter("dir.d/x.csv.gz"), ',');
  EXPECT_EQ(TableDelimiter("x.tsv"), '\t');
  EXPECT_EQ(TableDelimiter("x.tsv.gz"), '\t');
  EXPECT_EQ(TableDelimiter("x.txt"), '\t');
  EXPECT_EQ(TableDelimiter("csv"), '\t');
  EXPECT_EQ(TableDelimiter("x.csv.bak"), '\t');
}

TEST(TableTest, ParseKeepsHeaderRowsAndFileLineNumbers) {
  const TextTable table = ParseTextTable("\xEF\xBB\xBFid\tvalue\r\n\r\na\t1\r\n   \nb\t\"2\"\n", "t.tsv");
  EXPECT_EQ(table.path, "t.tsv");
  EXPECT_EQ(table.header, (Fields{"id", "value"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (Fields{"a", "1"}));
  EXPECT_EQ(table.rows[1], (Fields{"b", "2"}));
  EXPECT_EQ(table.line_numbers, (std::vector<std::size_t>{3, 5}));
  EXPECT_EQ(table.Where(1), "t.tsv:5");
  EXPECT_THROW(table.Where(2), std::out_of_range);
  // Header only; CSV by name; lines counted from first_line_number.
  EXPECT_TRUE(ParseTextTable("a\tb", "h.tsv").rows.empty());
  const TextTable csv = ParseTextTable("a,b\n1,\"x,y\"\n", "c.csv", 10);
  EXPECT_EQ(csv.rows[0], (Fields{"1", "x,y"}));
  EXPECT_EQ(csv.Where(0), "c.csv:11");
}

TEST(TableTest, ParseErrorsNameFileLineAndRule) {
  EXPECT_EQ(Message([] { ParseTextTable("", "e.tsv"); }), "e.tsv: empty file: a table needs a header line");
  EXPECT_EQ(Message([] { ParseTextTable("\n  \r\n\n", "e.tsv"); }), "e.tsv: empty file: a table needs a header line");
  EXPECT_EQ(Message([] { ParseTextTable("a\tb\n1\t2\n\n1\t2\t3\n", "r.tsv"); }),
            "r.tsv:4: 3 fields: expected 2 (as many as the header)");
  EXPECT_EQ(Message([] { ParseTextTable("a\tb\n1\n", "r.tsv", 20); }),
            "r.tsv:21: 1 fields: expected 2 (as many as the header)");
  EXPECT_EQ(Message([] { ParseTextTable("a\tb\n1\t\"2\n", "q.tsv", 5); }),
            "q.tsv:6: unterminated quoted field: a quote opened must be closed on the same line");
  EXPECT_EQ(Message([] { ParseTextTable(std::string("a\tb\n1\t2\0\n", 9), "n.tsv"); }),
            "n.tsv:2: NUL byte: a text table cannot contain binary data");
}

TEST(TableTest, ParsesFiniteNumbersOnly) {
  EXPECT_EQ(ParseFiniteDouble("1", "w", "x"), 1.0);
  EXPECT_EQ(ParseFiniteDouble("-2.5e3", "w", "x"), -2500.0);
  EXPECT_EQ(ParseFiniteDouble("+3", "w", "x"), 3.0);
  EXPECT_EQ(ParseFiniteDouble("  4.25 ", "w", "x"), 4.25);
  EXPECT_EQ(ParseFiniteDouble(" +.5", "w", "x"), 0.5);
  EXPECT_EQ(ParseFiniteDouble("0.1", "w", "x"), 0.1);
  EXPECT_EQ(ParseFiniteDouble("1.7976931348623157e308", "w", "x"), std::numeric_limits<double>::max());
  EXPECT_EQ(Message([] { ParseFiniteDouble("NA", "f.tsv:3", "column 'x'"); }),
            "f.tsv:3: 'NA': column 'x' must be a finite number");
  // Blank text is shown as ''.
  EXPECT_EQ(Message([] { ParseFiniteDouble("", "w", "x"); }), "w: '': x must be a finite number");
  EXPECT_EQ(Message([] { ParseFiniteDouble("   ", "w", "x"); }), "w: '': x must be a finite number");
  for (const char* bad : {"+", "NaN", "nan", "Inf", "-inf", "infinity", "1e400", "-1e400", "1.5x", "1 2",
                          "0x10", "--1", "++1", "+-1", "+ 1", "1,5", "\t1"}) {
    EXPECT_EQ(Message([&] { ParseFiniteDouble(bad, "w", "x"); }), std::string("w: '") + bad + "': x must be a finite number")
        << "'" << bad << "'";
  }
}

TEST(TableTest, FormatsShortestRoundTripNumbers) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatDouble(1.0), "1");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDouble(1e21), "1e+21");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(FormatDouble(std::nan("")), "NaN");
  EXPECT_EQ(FormatDouble(-std::nan("")), "NaN");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "Inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-Inf");
  // Every finite value reads back to itself.
  for (const double v : {1.0 / 3.0, -2.5e-300, 6.02214076e23, 123456789.125, 1e-7}) {
    EXPECT_EQ(ParseFiniteDouble(FormatDouble(v), "w", "x"), v);
  }
  std::string out = "x=";
  AppendFormattedDouble(2.5, &out);
  AppendFormattedDouble(-std::numeric_limits<double>::infinity(), &out);
  EXPECT_EQ(out, "x=2.5-Inf");
}

TEST(TableTest, DecompressesGzipMembersAndRefusesDamage) {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i) + "\n";  // > one 64 KiB buffer
  EXPECT_EQ(DecompressGzip(Gzip(big), "z"), big);
  EXPECT_EQ(DecompressGzip(Gzip(""), "z"), "");
  // Concatenated members (`cat a.gz b.gz`) read as one text.
  EXPECT_EQ(DecompressGzip(Gzip("a\tb\n") + Gzip("1\t2\n"), "z"), "a\tb\n1\t2\n");
  const std::string whole = Gzip(big);
  EXPECT_EQ(Message([&] { DecompressGzip(whole.substr(0, whole.size() / 2), "c.tsv.gz"); }),
            "c.tsv.gz: truncated gzip data: file ends inside the stream");
  EXPECT_EQ(Message([] { DecompressGzip("", "c.tsv.gz"); }), "c.tsv.gz: truncated gzip data: file ends inside the stream");
  EXPECT_EQ(Message([] { DecompressGzip("plain text, not gzip", "c.tsv.gz"); }),
            "c.tsv.gz: corrupt gzip data: incorrect header check");
  std::string corrupt = whole;
  corrupt[corrupt.size() - 5] ^= 0x5A;  // inside the CRC-32 / length trailer
  EXPECT_NE(Message([&] { DecompressGzip(corrupt, "c.tsv.gz"); }).find("c.tsv.gz: corrupt gzip data: "),
            std::string::npos);
}

TEST_F(TableFileTest, ReadsPlainAndGzippedFiles) {
  const std::string text = "a,b\n1,2\n";
  WriteText(dir_ + "/t.csv.gz", Gzip(text));
  const TextTable gz = ReadTextTable(dir_ + "/t.csv.gz");
  EXPECT_EQ(gz.header, (Fields{"a", "b"}));
  EXPECT_EQ(gz.rows, (std::vector<Fields>{{"1", "2"}}));
  EXPECT_EQ(gz.Where(0), dir_ + "/t.csv.gz:2");
  EXPECT_EQ(ReadFileContents(dir_ + "/t.csv.gz"), text);
  EXPECT_EQ(ReadFileContents(Write("raw.bin", std::string("x\0y", 3))), std::string("x\0y", 3));
  EXPECT_EQ(ReadTextTable(Write("t.tsv", "a\tb\n1\t2")).rows[0], (Fields{"1", "2"}));
  const std::string missing = dir_ + "/missing.tsv";
  EXPECT_EQ(Message([&] { ReadTextTable(missing); }), missing + ": cannot open: No such file or directory");
  EXPECT_EQ(Message([&] { ReadTextTable(missing + ".gz"); }), missing + ".gz: cannot open: No such file or directory");
  const std::string bad_gz = Write("bad.tsv.gz", "not gzip");
  EXPECT_EQ(Message([&] { ReadTextTable(bad_gz); }), bad_gz + ": corrupt gzip data: incorrect header check");
}

TEST_F(TableFileTest, WritesAtomically) {
  const std::string path = dir_ + "/out.tsv";
  WriteFileAtomically(path, "first\n");
  EXPECT_EQ(ReadWholeFile(path), "first\n");
  WriteFileAtomically(path, std::string("second\0", 7));  // replaces, binary-safe
  EXPECT_EQ(ReadWholeFile(path), std::string("second\0", 7));
  WriteFileAtomically(path, "");
  EXPECT_EQ(ReadWholeFile(path), "");
  // Only the file is left behind: no temporary.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
  const std::string nowhere = dir_ + "/no/such/dir/out.tsv";
  EXPECT_EQ(Message([&] { WriteFileAtomically(nowhere, "x"); }), nowhere + ": cannot write: No such file or directory");
  // A directory in the way: the rename fails and the temporary is removed.
  std::filesystem::create_directory(dir_ + "/taken");
  std::filesystem::create_directory(dir_ + "/taken/child");
  EXPECT_NE(Message([&] { WriteFileAtomically(dir_ + "/taken", "x"); }).find("taken: cannot rename into place: "),
            std::string::npos);
  entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 2);
}

}  // namespace
}  // namespace nbglm
