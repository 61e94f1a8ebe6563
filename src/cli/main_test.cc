// The dispatcher of the `nbglm` tool (src/cli/main.cc) through the built
// binary: --version, --help, no or unknown subcommand or option (exit 2, one
// line "nbglm: error: …"), input errors (2) and internal errors (1), docs/cli.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli_runner.h"

namespace nbglm::testing {
namespace {

int Lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

TEST(MainTest, VersionPrintsTheVersionAndExitsZero) {
  const CliResult r = RunCli("--version");
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, "nbglm 0.1.0\n");
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(MainTest, HelpListsEverySubcommand) {
  const CliResult r = RunCli("--help");
  EXPECT_EQ(r.exit_status, 0);
  for (const char* command : {"check-design", "simulate", "fit", "test", "design", "de", "pseudobulk"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command;
  }
  // A subcommand's --help lists its options (docs/cli.md "Conventions").
  const CliResult fit = RunCli("fit --help");
  EXPECT_EQ(fit.exit_status, 0);
  EXPECT_NE(fit.out.find("--memory-budget"), std::string::npos) << fit.out;
}

TEST(MainTest, NoSubcommandExitsTwoWithOneLine) {
  const CliResult r = RunCli("");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err, "nbglm: error: A subcommand is required (see nbglm --help)\n");
}

TEST(MainTest, UnknownSubcommandOrOptionExitsTwoWithOneLine) {
  for (const std::string& args : {std::string("no-such-command"), std::string("--no-such-option"),
                                  std::string("design --no-such-option")}) {
    SCOPED_TRACE(args);
    const CliResult r = RunCli(args);
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(Lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("nbglm: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(" (see nbglm --help)\n"), std::string::npos) << r.err;
  }
}

TEST(MainTest, UnknownOptionIsNamedOnceTheRequiredOnesAreGiven) {
  // CLI11 checks required options before unexpected ones, so a missing
  // required option is what an otherwise complete command line reports first.
  const std::string samples = SourcePath("tests/data/formula/toy_samples.tsv");
  const CliResult r = RunCli("design --samples " + samples + " --formula '~ a' --no-such-option");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err, "nbglm: error: The following argument was not expected: --no-such-option (see nbglm --help)\n");
}

TEST(MainTest, MissingRequiredOptionExitsTwoNamingIt) {
  const CliResult r = RunCli("simulate --features 3");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--loc-design is required"), std::string::npos) << r.err;
}

TEST(MainTest, InputErrorsExitTwoWithTheirOneLineMessage) {
  // A caller mistake found after parsing (nbglm::InputError).
  const std::string dir = MakeTempDir("main");
  WriteText(dir + "/d.tsv", "observation\t(Intercept)\no1\t1\no2\t1\n");
  const CliResult r = RunCli("simulate --features 2 --threads 0 --loc-design " + dir + "/d.tsv --out " + dir + "/sim");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err, "nbglm: error: --threads: 0: must be a positive integer\n");
  EXPECT_FALSE(std::filesystem::exists(dir + "/sim"));
  std::filesystem::remove_all(dir);
}

TEST(MainTest, OtherExceptionsAreInternalErrorsWithExitOne) {
  // 10^18 features is more than a std::vector can hold: the library throws
  // std::length_error before allocating anything, which is not an
  // InputError, so main() reports an internal error (exit 1, docs/cli.md).
  const std::string dir = MakeTempDir("main");
  WriteText(dir + "/d.tsv", "observation\t(Intercept)\no1\t1\no2\t1\n");
  const CliResult r =
      RunCli("simulate --features 1000000000000000000 --loc-design " + dir + "/d.tsv --out " + dir + "/sim");
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_EQ(r.err.rfind("nbglm: internal error: ", 0), 0u) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/sim"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nbglm::testing
