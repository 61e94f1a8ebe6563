// nbglm check-design: the rank check of docs/model.md §2 for the location and
// (optional) scale designs under their constraints. Exit 0 whether or not the
// model is identifiable; 2 on bad input.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_options.h"

namespace nbglm::cli {

Action AddCheckDesignCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("check-design", "rank check of designs under constraints");
  struct Options {
    ModelOptions model;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  options->model.Register(*command);
  command->add_flag("--json", options->json, "print one JSON object");
  return [command, options]() {
    if (!command->parsed()) return -1;
    const NbGlmModel model = options->model.Build(/*require_identifiable=*/false);
    if (options->json) {
      nlohmann::ordered_json json;
      json["loc"] = nlohmann::ordered_json::parse(model.location.identifiability.ToJson());
      if (options->model.has_scale_design()) {
        json["scale"] = nlohmann::ordered_json::parse(model.scale.identifiability.ToJson());
      }
      std::cout << json.dump() << "\n";
    } else {
      std::cout << model.location.identifiability.Report("location");
      if (options->model.has_scale_design()) std::cout << model.scale.identifiability.Report("scale");
    }
    return 0;
  };
}

}  // namespace nbglm::cli
