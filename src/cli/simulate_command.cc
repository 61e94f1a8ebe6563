// nbglm simulate: batchglm's Simulator from the command line (docs/cli.md "simulate").
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "nbglm/design.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/simulator.h"
#include "nbglm/size_factors.h"

namespace nbglm::cli {

Action AddSimulateCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("simulate", "simulate NB counts from designs with known truth");
  struct Options {
    long long features = 0;
    std::string loc_design, scale_design, size_factors, out;
    unsigned long long seed = 0;
    int threads = 1;
  };
  auto options = std::make_shared<Options>();
  command->add_option("--features", options->features, "number of features to simulate")->required();
  command->add_option("--loc-design", options->loc_design, "location design TSV")->required()->check(CLI::ExistingFile);
  command->add_option("--scale-design", options->scale_design, "scale design TSV (default: intercept only)")
      ->check(CLI::ExistingFile);
  command->add_option("--size-factors", options->size_factors, "size factors TSV (observation, size_factor)")
      ->check(CLI::ExistingFile);
  command->add_option("--seed", options->seed, "random seed (output depends on it alone)");
  command->add_option("--threads", options->threads, "threads (the output does not depend on it)");
  command->add_option("--out", options->out, "output directory")->required();
  return [command, options]() {
    if (!command->parsed()) return -1;
    if (options->features <= 0) {
      throw InputError("--features", std::to_string(options->features), "must be a positive integer");
    }
    if (options->features > kMaxCountDimension) {
      throw InputError("--features", std::to_string(options->features),
                       "must be at most " + std::to_string(kMaxCountDimension));
    }
    if (options->threads <= 0) throw InputError("--threads", std::to_string(options->threads), "must be a positive integer");
    Design location = ReadDesign(options->loc_design);
    Design scale = options->scale_design.empty() ? InterceptDesign(location.observation_names)
                                                 : ReadDesign(options->scale_design);
    Vector size_factors;
    if (!options->size_factors.empty()) size_factors = ReadSizeFactors(options->size_factors, location.observation_names);
    SimulatorOptions simulator_options;
    simulator_options.seed = options->seed;
    simulator_options.num_threads = options->threads;
    Simulator simulator(static_cast<Index>(options->features), std::move(location), std::move(scale), size_factors,
                        simulator_options);
    simulator.GenerateParams();
    simulator.GenerateData();
    WriteSimulation(options->out, simulator);
    return 0;
  };
}

}  // namespace nbglm::cli
