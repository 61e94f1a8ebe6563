// The `nbglm` command-line tool (docs/cli.md): one function per subcommand.
// Each registers its options on a CLI11 subcommand and returns the action to
// run after parsing. Caller mistakes throw nbglm::InputError; main() turns
// them into one line on stderr and exit status 2.
#ifndef NBGLM_SRC_CLI_COMMANDS_H_
#define NBGLM_SRC_CLI_COMMANDS_H_

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/fit_run.h"

namespace nbglm::cli {

using Action = std::function<int()>;

// The command line as given (arguments shell-quoted where needed), recorded
// by main() for summary.json.
void SetCommandLine(int argc, char** argv);
const std::string& CommandLine();

// The --counts and --layer options every command that reads counts has
// (docs/cli.md); `columns` names what the columns are ("observations", "cells").
void AddCountsOptions(CLI::App& command, std::string* counts, std::string* layer,
                      const std::string& columns = "observations");

Action AddCheckDesignCommand(CLI::App& app);
Action AddSimulateCommand(CLI::App& app);
// `distribute`, when set, runs the fit split across processes (main() sets
// it under mpirun; docs/distributed.md).
Action AddFitCommand(CLI::App& app, FitDistributor distribute = nullptr);
Action AddTestCommand(CLI::App& app);
Action AddDesignCommand(CLI::App& app);
Action AddDeCommand(CLI::App& app);
Action AddPseudobulkCommand(CLI::App& app);
Action AddConvertCommand(CLI::App& app);

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_COMMANDS_H_
