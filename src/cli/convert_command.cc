// `nbglm convert` (docs/cli.md): any counts input written as a feature-major
// AnnData file (docs/formats.md "Feature-major .h5ad"), a chunk of features
// at a time within --memory-budget.
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/output_file.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm::cli {

Action AddConvertCommand(CLI::App& app) {
  CLI::App* command =
      app.add_subcommand("convert", "write counts as a feature-major .h5ad (X as CSC): fast to read, sliceable by feature");
  struct Options {
    std::string counts, layer, out;
    int memory_budget_mb = 4096;
  };
  auto options = std::make_shared<Options>();
  AddCountsOptions(*command, &options->counts, &options->layer);
  command->add_option("--memory-budget", options->memory_budget_mb,
                      "MiB of memory for the counts; larger inputs are converted in chunks of features (default 4096)");
  command->add_option("--out", options->out, "output file (.h5ad)")->required();
  return [command, options]() {
    if (!command->parsed()) return -1;
    if (options->memory_budget_mb < 1) {
      throw InputError("--memory-budget", std::to_string(options->memory_budget_mb), "must be >= 1 (MiB)");
    }
    CheckOutputFile(options->out);
    const CountReader reader(options->counts, CountFormat::kDetect, options->layer);
    WriteFeatureMajorH5ad(reader, options->out, static_cast<std::int64_t>(options->memory_budget_mb) * (1 << 20) / 2);
    std::cerr << "convert: " << reader.num_features() << " features x " << reader.num_observations()
              << " observations written to " << options->out << "\n";
    return 0;
  };
}

}  // namespace nbglm::cli
