// nbglm pseudobulk: single-cell counts summed per sample (and cluster) into
// DIR/counts.tsv and DIR/samples.tsv, the inputs of `nbglm de` (docs/de.md
// "Pseudobulk", docs/cli.md). Both files appear together or not at all.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "io/hdf5_counts.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/pseudobulk.h"
#include "nbglm/sample_table.h"
#include "nbglm/table.h"

namespace nbglm::cli {

Action AddPseudobulkCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("pseudobulk", "sum single-cell counts per sample (and cluster)");
  struct Options {
    std::string counts, layer, samples, by, out;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  AddCountsOptions(*command, &options->counts, &options->layer, "cells");
  command->add_option("--samples", options->samples,
                      "one row per cell: name, then columns (e.g. sample_id, cluster_id); default: the obs of a .h5ad --counts")
      ->check(CLI::ExistingFile);
  command->add_option("--by", options->by, "comma-separated columns whose value combinations are the groups")
      ->required();
  command->add_flag("--quiet", options->quiet, "no summary on stderr");
  command->add_option("--out", options->out, "output directory (counts.tsv, samples.tsv)")->required();
  return [command, options]() {
    if (!command->parsed()) return -1;
    std::vector<std::string> by;
    std::stringstream stream(options->by);
    for (std::string name; std::getline(stream, name, ',');) {
      if (name.empty()) throw InputError("--by", options->by, "an empty column name");
      by.push_back(name);
    }
    if (options->samples.empty() && !IsAnnDataPath(options->counts)) {
      throw InputError("--samples", "missing", "pseudobulk needs one row per cell (or --counts DATA.h5ad, whose obs it reads)");
    }
    const SampleTable samples = ReadSampleTable(options->samples.empty() ? options->counts : options->samples);
    const CountReader reader(options->counts, CountFormat::kDetect, options->layer);
    const CountMatrix counts = reader.Read(0, reader.num_features());
    const PseudobulkResult result = Pseudobulk(counts, samples, by);

    const std::string& dir = options->out;
    std::error_code error;
    const bool created = !std::filesystem::exists(dir, error);
    std::filesystem::create_directories(dir, error);
    if (error) throw InputError("--out", dir, "cannot create the output directory: " + error.message());
    // Staged, then renamed into place: both files or neither.
    const std::string stage = dir + "/.nbglm_partial_" + std::to_string(::getpid());
    std::filesystem::create_directories(stage, error);
    try {
      WriteFileAtomically(stage + "/counts.tsv", CountsToTsv(result.counts));
      WriteFileAtomically(stage + "/samples.tsv", result.SamplesTsv());
      for (const char* name : {"counts.tsv", "samples.tsv"}) {
        std::filesystem::rename(stage + "/" + name, dir + "/" + name, error);
        if (error) throw InputError(dir + "/" + name, "cannot rename into place", error.message());
      }
    } catch (...) {
      std::filesystem::remove_all(stage, error);
      if (created) std::filesystem::remove_all(dir, error);
      throw;
    }
    std::filesystem::remove_all(stage, error);
    if (!options->quiet) {
      std::cerr << "pseudobulk: " << counts.num_observations() << " cells in " << result.counts.num_observations()
                << " groups by " << options->by << ", " << counts.num_features() << " features";
      if (!result.dropped_columns.empty()) {
        std::cerr << "; columns not constant within groups, left out:";
        for (const std::string& name : result.dropped_columns) std::cerr << " " << name;
      }
      std::cerr << "\n";
    }
    return 0;
  };
}

}  // namespace nbglm::cli
