// The dispatcher of the `nbglm` tool (src/cli/main.cc) through the built
// binary: --version, --help, no or unknown subcommand or option (exit 2, one
// line "nbglm: error: …") and input errors (2), docs/cli.md. (Exit 1, an
// internal error or out of memory, has no trigger from the command line.)
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
  // The unknown argument is named even when a required option is missing too.
  EXPECT_EQ(RunCli("no-such-command").err,
            "nbglm: error: no-such-command: unknown subcommand or argument (see nbglm --help)\n");
  EXPECT_EQ(RunCli("--no-such-option").err, "nbglm: error: --no-such-option: unknown option (see nbglm --help)\n");
  EXPECT_EQ(RunCli("design --no-such-option").err,
            "nbglm: error: --no-such-option: unknown option (see nbglm --help)\n");
}

TEST(MainTest, UnknownOptionIsNamedOnceTheRequiredOnesAreGiven) {
  // CLI11 checks required options before unexpected ones, so a missing
  // required option is what an otherwise complete command line reports first.
  const std::string samples = SourcePath("tests/data/formula/toy_samples.tsv");
  const CliResult r = RunCli("design --samples " + samples + " --formula '~ a' --no-such-option");
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err, "nbglm: error: --no-such-option: unknown option (see nbglm --help)\n");
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

TEST(MainTest, AnImpossibleFeatureCountIsACallerMistake) {
  // 10^18 features would have reached the library (std::length_error, an
  // internal error); the command refuses it as the readers refuse such sizes.
  const std::string dir = MakeTempDir("main");
  WriteText(dir + "/d.tsv", "observation\t(Intercept)\no1\t1\no2\t1\n");
  const CliResult r =
      RunCli("simulate --features 1000000000000000000 --loc-design " + dir + "/d.tsv --out " + dir + "/sim");
  EXPECT_EQ(r.exit_status, 2) << r.err;
  EXPECT_EQ(r.err, "nbglm: error: --features: 1000000000000000000: must be at most 100000000\n");
  EXPECT_FALSE(std::filesystem::exists(dir + "/sim"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nbglm::testing
