// The corpus of malformed inputs (tests/data/bad/, issue 6): every case of
// tests/data/bad/cases.tsv runs the `nbglm` tool on a bad file or option and
// must exit with status 2 (not a crash, not 1), print exactly one line on
// stderr, "nbglm: error: " followed by the expected message (which names the
// file and line or the option, the value and the rule), and write nothing.
//
// cases.tsv: name, arguments, expected — with {BAD} the corpus directory,
// {OUT} an output path that must not appear, {FIT} a good fit directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

using testing::MakeTempDir;
using testing::RunCli;

std::string Substitute(std::string text, const std::string& key, const std::string& value) {
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
  return text;
}

TEST(BadInputsTest, EveryMalformedInputExitsTwoWithOneClearLineAndWritesNothing) {
  const std::string bad = std::string(NBGLM_SOURCE_DIR) + "/tests/data/bad";
  const TextTable cases = ReadTextTable(bad + "/cases.tsv");
  ASSERT_EQ(cases.header, (std::vector<std::string>{"name", "arguments", "expected"}));
  EXPECT_GE(cases.rows.size(), 40u);
  const std::string dir = MakeTempDir("bad");
  const std::string fit = dir + "/fit";
  const auto good = RunCli("fit --quiet --counts " + bad + "/ok_counts.tsv --loc-design " + bad +
                           "/ok_design.tsv --out " + fit);
  ASSERT_EQ(good.exit_status, 0) << good.err;
  for (const auto& row : cases.rows) {
    SCOPED_TRACE(row[0]);
    const std::string out = dir + "/out_" + row[0];
    const auto resolve = [&](const std::string& text) {
      return Substitute(Substitute(Substitute(text, "{BAD}", bad), "{OUT}", out), "{FIT}", fit);
    };
    const auto result = RunCli(resolve(row[1]));
    EXPECT_EQ(result.exit_status, 2);
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_EQ(result.err, "nbglm: error: " + resolve(row[2]) + "\n");
    EXPECT_FALSE(std::filesystem::exists(out)) << "output written for a bad input";
  }
}

}  // namespace
}  // namespace nbglm
