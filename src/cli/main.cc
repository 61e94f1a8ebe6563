// Entry point of the `nbglm` tool: dispatches to the subcommands of
// docs/cli.md and maps caller mistakes to exit status 2 with one line.
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "nbglm/error.h"
#include "nbglm/version.h"

int main(int argc, char** argv) {
  nbglm::cli::SetCommandLine(argc, argv);
  CLI::App app{"nbglm: negative-binomial location-scale GLMs with constraints"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("nbglm ") + nbglm::Version());
  std::vector<nbglm::cli::Action> actions;
  actions.push_back(nbglm::cli::AddCheckDesignCommand(app));
  actions.push_back(nbglm::cli::AddSimulateCommand(app));
  actions.push_back(nbglm::cli::AddFitCommand(app));
  actions.push_back(nbglm::cli::AddTestCommand(app));
  actions.push_back(nbglm::cli::AddDesignCommand(app));
  actions.push_back(nbglm::cli::AddDeCommand(app));
  actions.push_back(nbglm::cli::AddPseudobulkCommand(app));
  actions.push_back(nbglm::cli::AddConvertCommand(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, naming the option and the rule, then exit 2 (docs/cli.md).
    // CLI11 checks required options before it reports arguments it does not
    // know; an unknown argument is the likelier mistake, so it is named first.
    const std::vector<std::string> unknown = app.remaining(true);
    if (!unknown.empty()) {
      std::cerr << "nbglm: error: " << unknown.front() << ": unknown "
                << (unknown.front().rfind("-", 0) == 0 ? "option" : "subcommand or argument") << " (see nbglm --help)\n";
      return 2;
    }
    std::cerr << "nbglm: error: " << e.what() << " (see nbglm --help)\n";
    return 2;
  }
  try {
    for (const auto& action : actions) {
      const int status = action();
      if (status >= 0) return status;
    }
  } catch (const nbglm::InputError& e) {
    std::cerr << "nbglm: error: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "nbglm: error: out of memory (a smaller --memory-budget, fewer --threads or a feature range "
                 "with --features holds less)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "nbglm: internal error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
