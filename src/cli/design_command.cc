// nbglm design: prints the design a formula builds on a sample sheet, as TSV
// (header "observation" + R's column names), so users can inspect it before
// fitting (docs/cli.md).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "nbglm/design.h"
#include "nbglm/formula.h"
#include "nbglm/sample_table.h"

namespace nbglm::cli {

Action AddDesignCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("design", "print the design of a formula on a sample sheet (TSV)");
  struct Options {
    std::string samples, formula;
    std::vector<std::string> reference_levels;
  };
  auto options = std::make_shared<Options>();
  command->add_option("--samples", options->samples, "sample sheet TSV (observation names, then variables)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--formula", options->formula, "formula, e.g. \"~ type + condition\"")->required();
  command->add_option("--ref", options->reference_levels, "FACTOR=LEVEL: reference level of a factor (repeatable)");
  return [command, options]() {
    if (!command->parsed()) return -1;
    FormulaOptions formula_options;
    formula_options.reference_levels = ParseReferenceLevels(options->reference_levels, "--ref");
    const Design design =
        BuildFormulaDesign(ReadSampleTable(options->samples), options->formula, formula_options, "--formula");
    std::cout << DesignToTsv(design);
    return 0;
  };
}

}  // namespace nbglm::cli
