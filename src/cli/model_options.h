// Options shared by commands that build a model (check-design, fit): the
// location and scale designs and their constraints.
#ifndef NBGLM_SRC_CLI_MODEL_OPTIONS_H_
#define NBGLM_SRC_CLI_MODEL_OPTIONS_H_

#include <string>

#include <CLI/CLI.hpp>

#include "nbglm/model.h"

namespace nbglm::cli {

struct ModelOptions {
  std::string loc_design;
  std::string loc_constraints;
  std::string scale_design;
  std::string scale_constraints;

  void Register(CLI::App& command);
  // Reads the files and builds both predictors. The scale design defaults to
  // an intercept-only design over the location design's observations.
  NbGlmModel Build(bool require_identifiable) const;
  bool has_scale_design() const { return !scale_design.empty(); }
};

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_MODEL_OPTIONS_H_
