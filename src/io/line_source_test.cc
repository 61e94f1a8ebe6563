// Line sources (docs/formats.md "Text tables"): lines and 1-based numbers from
// memory and from plain or gzip files (buffer growth, rewinding, damaged
// streams), and NextTableRow's BOM / CR / blank-line / NUL rules.
#include "io/line_source.h"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
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

// Every line of `source` with its number as "n:text".
std::vector<std::string> Lines(LineSource* source) {
  std::vector<std::string> out;
  std::string_view line;
  while (source->Next(&line)) out.push_back(std::to_string(source->line_number()) + ":" + std::string(line));
  return out;
}

using testing::Gzip;

class LineSourceFileTest : public testing::TempDirTest {};

TEST(StringLineSourceTest, SplitsOnNewlinesKeepingCarriageReturns) {
  const std::string text = "a\r\n\nlast";
  StringLineSource source(text, "mem.tsv");
  EXPECT_EQ(source.name(), "mem.tsv");
  EXPECT_EQ(source.line_number(), 0);
  EXPECT_EQ(Lines(&source), (std::vector<std::string>{"1:a\r", "2:", "3:last"}));
  // At the end it stays at the end.
  std::string_view line;
  EXPECT_FALSE(source.Next(&line));
  EXPECT_EQ(source.line_number(), 3);
  source.Rewind();
  EXPECT_EQ(source.line_number(), 0);
  EXPECT_EQ(Lines(&source).size(), 3u);
  // A final newline ends the last line without adding an empty one.
  const std::string ended = "x\ny\n";
  StringLineSource two(ended, "t");
  EXPECT_EQ(Lines(&two), (std::vector<std::string>{"1:x", "2:y"}));
  const std::string empty;
  StringLineSource none(empty, "t");
  EXPECT_TRUE(Lines(&none).empty());
  const std::string newline = "\n";
  StringLineSource one_empty(newline, "t");
  EXPECT_EQ(Lines(&one_empty), (std::vector<std::string>{"1:"}));
}

TEST_F(LineSourceFileTest, ReadsPlainAndGzipFilesAlike) {
  const std::string text = "h1\th2\r\n\na\tb";
  const std::vector<std::string> expected = {"1:h1\th2\r", "2:", "3:a\tb"};
  FileLineSource plain(Write("t.tsv", text));
  EXPECT_EQ(Lines(&plain), expected);
  FileLineSource gz(Write("t.tsv.gz", Gzip(text)));
  EXPECT_EQ(Lines(&gz), expected);
  // The name does not decide: gzip content under a plain name is decompressed.
  FileLineSource disguised(Write("t.txt", Gzip(text)));
  EXPECT_EQ(Lines(&disguised), expected);
  FileLineSource empty(Write("empty.tsv", ""));
  EXPECT_TRUE(Lines(&empty).empty());
  // Rewind reads it all again from line 1.
  gz.Rewind();
  EXPECT_EQ(gz.line_number(), 0);
  EXPECT_EQ(Lines(&gz), expected);
}

TEST_F(LineSourceFileTest, LinesAcrossAndBeyondTheBuffer) {
  // ~1.3 MB of short lines cross the 1 MiB buffer; a 1.5 MiB line outgrows it.
  std::string text;
  for (int i = 0; i < 120000; ++i) text += "row " + std::to_string(i) + "\n";
  const std::string long_line(3 << 19, 'x');
  text += long_line + "\nafter";
  for (const std::string& name : {std::string("big.tsv"), std::string("big.tsv.gz")}) {
    SCOPED_TRACE(name);
    FileLineSource source(Write(name, name == "big.tsv" ? text : Gzip(text)));
    std::string_view line;
    for (int i = 0; i < 120000; ++i) {
      ASSERT_TRUE(source.Next(&line));
      ASSERT_EQ(line, "row " + std::to_string(i));
    }
    ASSERT_TRUE(source.Next(&line));
    EXPECT_EQ(line.size(), long_line.size());
    EXPECT_EQ(line, long_line);
    ASSERT_TRUE(source.Next(&line));
    EXPECT_EQ(line, "after");
    EXPECT_EQ(source.line_number(), 120002);
    EXPECT_FALSE(source.Next(&line));
  }
}

TEST_F(LineSourceFileTest, RefusesMissingUnreadableAndDamagedFiles) {
  const std::string missing = dir_ + "/missing.tsv";
  EXPECT_EQ(Message([&] { FileLineSource source(missing); }), missing + ": cannot open: No such file or directory");
  // A directory opens but cannot be read.
  EXPECT_EQ(Message([&] {
              FileLineSource source(dir_);
              Lines(&source);
            }),
            dir_ + ": cannot read: Is a directory");
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i * 7919) + "\n";
  const std::string whole = Gzip(text);
  const std::string truncated = Write("cut.tsv.gz", whole.substr(0, whole.size() / 2));
  EXPECT_EQ(Message([&] {
              FileLineSource source(truncated);
              Lines(&source);
            }),
            truncated + ": truncated gzip data: file ends inside the stream");
  std::string damaged = whole;
  damaged[damaged.size() - 6] ^= 0x33;  // the CRC-32 of the trailer
  const std::string corrupt = Write("bad.tsv.gz", damaged);
  const std::string message = Message([&] {
    FileLineSource source(corrupt);
    Lines(&source);
  });
  // Named once, with zlib's reason (its own "path: " prefix removed).
  EXPECT_EQ(message.rfind(corrupt + ": corrupt gzip data: ", 0), 0u) << message;
  EXPECT_EQ(message.find(corrupt, 1), std::string::npos) << message;
}

TEST(OpenLinesTest, TextInMemoryOrTheFile) {
  const std::string text = "in\nmemory";
  const auto from_text = OpenLines("named.tsv", &text);
  EXPECT_EQ(from_text->name(), "named.tsv");
  EXPECT_EQ(Lines(from_text.get()), (std::vector<std::string>{"1:in", "2:memory"}));
  const std::string missing = "/nonexistent-nbglm-dir/x.tsv";
  EXPECT_EQ(Message([&] { OpenLines(missing, nullptr); }), missing + ": cannot open: No such file or directory");
}

TEST(NextTableRowTest, SkipsBlankLinesAndStripsBomAndCr) {
  const std::string text = "\xEF\xBB\xBF\"id\",x\r\n  \n\r\n\n1,\"a,b\"\r\n\xEF\xBB\xBF" "2,c\n";
  StringLineSource source(text, "t.csv");
  std::string line;
  std::vector<std::string> fields;
  ASSERT_TRUE(NextTableRow(&source, ',', 0, &line, &fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"id", "x"}));
  EXPECT_EQ(source.line_number(), 1);
  ASSERT_TRUE(NextTableRow(&source, ',', 0, &line, &fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"1", "a,b"}));
  EXPECT_EQ(line, "1,\"a,b\"");
  EXPECT_EQ(source.line_number(), 5);
  // A BOM is only removed from the first line.
  ASSERT_TRUE(NextTableRow(&source, ',', 0, &line, &fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"\xEF\xBB\xBF" "2", "c"}));
  EXPECT_FALSE(NextTableRow(&source, ',', 0, &line, &fields));
  // Tabs are not blank: a line of tabs is a row of empty fields.
  const std::string tabs = "\t\n";
  StringLineSource tab_source(tabs, "t.tsv");
  ASSERT_TRUE(NextTableRow(&tab_source, '\t', 0, &line, &fields));
  EXPECT_EQ(fields, (std::vector<std::string>{"", ""}));
}

TEST(NextTableRowTest, ErrorsNameTheLinePlusTheOffset) {
  const std::string nul = std::string("a\tb\n\nx\0y\tz\n", 11);
  StringLineSource source(nul, "n.tsv");
  std::string line;
  std::vector<std::string> fields;
  ASSERT_TRUE(NextTableRow(&source, '\t', 100, &line, &fields));
  EXPECT_EQ(Message([&] { NextTableRow(&source, '\t', 100, &line, &fields); }),
            "n.tsv:103: NUL byte: a text table cannot contain binary data");
  const std::string quote = "a\n\"b\n";
  StringLineSource quoted(quote, "q.tsv");
  ASSERT_TRUE(NextTableRow(&quoted, '\t', -1, &line, &fields));
  EXPECT_EQ(Message([&] { NextTableRow(&quoted, '\t', -1, &line, &fields); }),
            "q.tsv:1: unterminated quoted field: a quote opened must be closed on the same line");
}

}  // namespace
}  // namespace nbglm
