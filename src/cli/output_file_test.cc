// CheckOutputFile (src/cli/output_file.h): the `--out FILE` of `nbglm test`
// and `nbglm de` is refused before any work when it is a directory or its
// directory does not exist (docs/cli.md).
#include "cli/output_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

std::string MessageOf(const std::string& out) {
  try {
    CheckOutputFile(out);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(OutputFileTest, AcceptsAFileInAnExistingDirectory) {
  const std::string dir = testing::MakeTempDir("output_file");
  EXPECT_NO_THROW(CheckOutputFile(dir + "/de.tsv"));
  testing::WriteText(dir + "/old.tsv", "x");
  EXPECT_NO_THROW(CheckOutputFile(dir + "/old.tsv"));  // replaced later
  EXPECT_NO_THROW(CheckOutputFile("relative_name.tsv"));  // the current directory
  // Nothing is created by the check.
  EXPECT_FALSE(std::filesystem::exists(dir + "/de.tsv"));
  std::filesystem::remove_all(dir);
}

TEST(OutputFileTest, RefusesADirectory) {
  const std::string dir = testing::MakeTempDir("output_file");
  EXPECT_EQ(MessageOf(dir), "--out: " + dir + ": is a directory; expected the path of the TSV file to write");
  std::filesystem::remove_all(dir);
}

TEST(OutputFileTest, RefusesAMissingDirectory) {
  const std::string dir = testing::MakeTempDir("output_file");
  const std::string out = dir + "/no/such/de.tsv";
  EXPECT_EQ(MessageOf(out), "--out: " + out + ": its directory " + dir + "/no/such does not exist");
  // A file where the directory should be is not a directory either.
  testing::WriteText(dir + "/plain", "x");
  EXPECT_EQ(MessageOf(dir + "/plain/de.tsv"),
            "--out: " + dir + "/plain/de.tsv: its directory " + dir + "/plain does not exist");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nbglm::cli
