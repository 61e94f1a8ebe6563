#include "cli/model_options.h"

#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

LinearPredictor BuildPredictor(const Design& design, const std::string& constraints_path, const std::string& what,
                               bool require_identifiable) {
  ConstraintSet set(design.parameter_names);
  if (!constraints_path.empty()) {
    AddConstraintTable(ReadConstraintTable(constraints_path, design.parameter_names), constraints_path, &set);
  }
  return MakeLinearPredictor(design, set.Build(), what, require_identifiable);
}

}  // namespace

void ModelOptions::Register(CLI::App& command) {
  command.add_option("--loc-design", loc_design, "location design TSV (observations x parameters)")
      ->required()
      ->check(CLI::ExistingFile);
  command.add_option("--loc-constraints", loc_constraints, "constraints on the location parameters (TSV)")
      ->check(CLI::ExistingFile);
  command.add_option("--scale-design", scale_design, "scale design TSV (default: intercept only)")
      ->check(CLI::ExistingFile);
  command.add_option("--scale-constraints", scale_constraints, "constraints on the scale parameters (TSV)")
      ->check(CLI::ExistingFile);
}

NbGlmModel ModelOptions::Build(bool require_identifiable) const {
  const Design location_design = ReadDesign(loc_design);
  const Design scale = scale_design.empty() ? InterceptDesign(location_design.observation_names)
                                            : ReadDesign(scale_design);
  if (scale_design.empty() && !scale_constraints.empty()) {
    throw InputError("--scale-constraints", scale_constraints, "needs --scale-design");
  }
  LinearPredictor loc = BuildPredictor(location_design, loc_constraints, "location model (" + loc_design + ")",
                                       require_identifiable);
  LinearPredictor sc = BuildPredictor(scale, scale_constraints,
                                      scale_design.empty() ? std::string("scale model (intercept only)")
                                                           : "scale model (" + scale_design + ")",
                                      require_identifiable);
  return MakeModel(std::move(loc), std::move(sc));
}

}  // namespace nbglm::cli
