// Options shared by commands that build a model (check-design, fit): the
// location and scale designs, given as design files or as formulas on a
// sample sheet, and their constraints (tables and nesting shorthands).
#ifndef NBGLM_SRC_CLI_MODEL_OPTIONS_H_
#define NBGLM_SRC_CLI_MODEL_OPTIONS_H_

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "nbglm/model.h"
#include "nbglm/sample_table.h"

namespace nbglm::cli {

struct ModelOptions {
  std::string loc_design;     // --loc-design D.tsv
  std::string loc_formula;    // --loc "~ …" (needs --samples); exactly one of the two
  std::string loc_constraints;
  std::vector<std::string> loc_nested;  // --loc-nested F:G …
  std::string scale_design;   // --scale-design S.tsv
  std::string scale_formula;  // --scale "~ …"; default: intercept only
  std::string scale_constraints;
  std::vector<std::string> scale_nested;
  std::string samples;                   // --samples S.tsv
  // A sample sheet held in memory (the Python module's obs); when set,
  // `samples` only names it in messages.
  std::shared_ptr<const SampleSheetText> sample_sheet;
  std::vector<std::string> reference_levels;  // --ref FACTOR=LEVEL …
  // --subset COLUMN=VALUE …: only the sheet's rows with these values (all
  // must hold), typed after the selection so that levels without rows
  // vanish. Registered by the commands that support it (de).
  std::vector<std::string> subset;
  // How messages name the model options: "--" gives --loc, --loc-design, …;
  // `nbglm test` uses "--reduced-" for the reduced model it builds.
  std::string option_prefix = "--";

  void Register(CLI::App& command);
  // Reads the files and builds both predictors. The scale design defaults to
  // an intercept-only design over the location design's observations.
  // Formula designs have the sample sheet's observations in sheet order;
  // with a design file as well, the sheet is matched to the file's rows by
  // name.
  NbGlmModel Build(bool require_identifiable) const;
  bool has_scale_design() const { return !scale_design.empty() || !scale_formula.empty(); }
  bool has_samples() const { return !samples.empty(); }
  // Where the observations of the model come from, for messages:
  // "--loc-design D.tsv" or "--samples S.tsv".
  std::string ObservationSource() const {
    return !loc_design.empty() ? option_prefix + "loc-design " + loc_design : "--samples " + samples;
  }
  // The sample sheet (--samples), its --subset rows, typed; throws
  // InputError when absent, or for a subset naming an unknown column or
  // selecting no row.
  SampleTable ReadSamples() const;
  // The whole sheet, --subset not applied.
  SampleTable ReadAllSamples() const;
  // With no --samples, counts in an AnnData file (.h5ad) and formulas,
  // nesting or --subset that need a sheet, the file's obs is the sample
  // sheet (docs/cli.md "HDF5 inputs").
  void DefaultSamplesToCounts(const std::string& counts);
};

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_MODEL_OPTIONS_H_
