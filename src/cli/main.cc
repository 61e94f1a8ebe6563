// Entry point of the `nbglm` tool: dispatches to the subcommands of
// docs/cli.md and maps caller mistakes to exit status 2 with one line.
#include <exception>
#include <functional>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "nbglm/error.h"
#include "nbglm/version.h"
#ifdef NBGLM_WITH_MPI
#include "distributed/mpi_run.h"
#endif

int main(int argc, char** argv) {
  nbglm::cli::SetCommandLine(argc, argv);
  // Under mpirun with several ranks `nbglm fit` is split across them
  // (docs/distributed.md). `fail(status, "error: …")` prints "nbglm: error: …"
  // and returns the status; under mpirun every rank takes part in one status
  // exchange instead, and rank 0 prints the first failed rank's line.
  nbglm::cli::FitDistributor distribute;
  bool speaks = true;
  std::function<int(int, const std::string&)> fail = [](int status, const std::string& message) {
    std::cerr << "nbglm: " << message << "\n";
    return status;
  };
#ifdef NBGLM_WITH_MPI
  const nbglm::distributed::MpiSession mpi(&argc, &argv);
  if (mpi.distributed()) {
    distribute = [&mpi](const nbglm::cli::FitCommandSteps& steps) {
      return nbglm::distributed::RunFitOverMpi(steps, mpi);
    };
    fail = [&mpi](int status, const std::string& message) {
      return nbglm::distributed::FailOverMpi(mpi, status, message);
    };
    speaks = mpi.rank() == 0;
  }
#endif
  CLI::App app{"nbglm: negative-binomial location-scale GLMs with constraints"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("nbglm ") + nbglm::Version());
  std::vector<nbglm::cli::Action> actions;
  actions.push_back(nbglm::cli::AddCheckDesignCommand(app));
  actions.push_back(nbglm::cli::AddSimulateCommand(app));
  actions.push_back(nbglm::cli::AddFitCommand(app, distribute));
  actions.push_back(nbglm::cli::AddTestCommand(app));
  actions.push_back(nbglm::cli::AddDesignCommand(app));
  actions.push_back(nbglm::cli::AddDeCommand(app));
  actions.push_back(nbglm::cli::AddPseudobulkCommand(app));
  actions.push_back(nbglm::cli::AddConvertCommand(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return speaks ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    // One line, naming the option and the rule, then exit 2 (docs/cli.md).
    // CLI11 checks required options before it reports arguments it does not
    // know; an unknown argument is the likelier mistake, so it is named first.
    const std::vector<std::string> unknown = app.remaining(true);
    if (!unknown.empty()) {
      return fail(2, "error: " + unknown.front() + ": unknown " +
                         (unknown.front().rfind("-", 0) == 0 ? "option" : "subcommand or argument") +
                         " (see nbglm --help)");
    }
    return fail(2, std::string("error: ") + e.what() + " (see nbglm --help)");
  }
  if (distribute && !app.got_subcommand("fit")) {
    return fail(2, "error: " + app.get_subcommands().front()->get_name() +
                       ": runs in one process, not under mpirun with several ranks (only fit is distributed: "
                       "docs/distributed.md)");
  }
  try {
    for (const auto& action : actions) {
      const int status = action();
      if (status >= 0) return status;
    }
  } catch (const nbglm::InputError& e) {
    return fail(2, std::string("error: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail(1, "error: out of memory (a smaller --memory-budget, fewer --threads or a feature range "
                   "with --features holds less)");
  } catch (const std::exception& e) {
    return fail(1, std::string("internal error: ") + e.what());
  }
  return 2;
}
