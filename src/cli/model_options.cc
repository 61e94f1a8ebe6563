#include "cli/model_options.h"

#include <algorithm>
#include <map>
#include <optional>

#include "io/hdf5_counts.h"
#include "nbglm/error.h"
#include "nbglm/formula.h"

namespace nbglm::cli {
namespace {

// One side of the model (location or scale) as the options give it.
struct PredictorOptions {
  std::string model;              // "location model" / "scale model"
  std::string design_option;      // "--loc-design"
  std::string formula_option;     // "--loc"
  std::string nested_option;      // "--loc-nested"
  std::string design_path;
  std::string formula;
  std::string constraints_path;
  std::vector<std::string> nested;
};

std::string Describe(const PredictorOptions& side) {
  return side.model + " (" + (side.formula.empty() ? side.design_path : side.formula) + ")";
}

Design BuildDesign(const PredictorOptions& side, const std::optional<SampleTable>& samples,
                   const std::map<std::string, std::string>& reference_levels) {
  if (!side.formula.empty()) {
    FormulaOptions options;
    options.reference_levels = reference_levels;
    for (const std::string& spec : side.nested) {
      options.indicator_factors.push_back(ParseNesting(spec, side.nested_option).nested);
    }
    return BuildFormulaDesign(*samples, side.formula, options, side.formula_option);
  }
  return ReadDesign(side.design_path);
}

LinearPredictor BuildPredictor(const PredictorOptions& side, const Design& design,
                               const std::optional<SampleTable>& samples, bool require_identifiable) {
  ConstraintSet set(design.parameter_names);
  if (!side.constraints_path.empty()) {
    AddConstraintTable(ReadConstraintTable(side.constraints_path, design.parameter_names), side.constraints_path, &set);
  }
  for (const std::string& spec : side.nested) {
    AddNestingConstraints(*samples, ParseNesting(spec, side.nested_option), side.nested_option + " " + spec, &set);
  }
  return MakeLinearPredictor(design, set.Build(), Describe(side), require_identifiable);
}

}  // namespace

void ModelOptions::Register(CLI::App& command) {
  command.add_option("--loc-design", loc_design, "location design TSV (observations x parameters)")
      ->check(CLI::ExistingFile);
  command.add_option("--loc", loc_formula, "location formula on --samples, e.g. \"~ type + condition\"");
  command.add_option("--loc-constraints", loc_constraints, "constraints on the location parameters (TSV)")
      ->check(CLI::ExistingFile);
  command.add_option("--loc-nested", loc_nested, "F:G: factor F nested in G, sum-to-zero within G (repeatable)");
  command.add_option("--scale-design", scale_design, "scale design TSV (default: intercept only)")
      ->check(CLI::ExistingFile);
  command.add_option("--scale", scale_formula, "scale formula on --samples (default: ~ 1)");
  command.add_option("--scale-constraints", scale_constraints, "constraints on the scale parameters (TSV)")
      ->check(CLI::ExistingFile);
  command.add_option("--scale-nested", scale_nested, "F:G nesting for the scale model (repeatable)");
  command.add_option("--samples", samples, "sample sheet TSV (observation names, then variables); default: the obs of a .h5ad --counts")
      ->check(CLI::ExistingFile);
  command.add_option("--ref", reference_levels, "FACTOR=LEVEL: reference level of a factor (repeatable)");
}

SampleTable ModelOptions::ReadSamples() const {
  if (samples.empty()) throw InputError("--samples", "missing", "a sample sheet is needed here");
  SampleSheetText sheet = sample_sheet ? *sample_sheet : ReadSampleSheetText(samples);
  if (subset.empty()) return MakeSampleTable(sheet);
  TextTable& table = sheet.table;
  for (const std::string& spec : subset) {
    const std::size_t equals = spec.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw InputError("--subset", spec, "must be COLUMN=VALUE");
    }
    const std::string column = spec.substr(0, equals);
    const std::string value = spec.substr(equals + 1);
    const auto found = std::find(table.header.begin() + 1, table.header.end(), column);
    if (table.header.empty() || found == table.header.end()) {
      throw InputError("--subset", spec, "'" + column + "' is not a column of " + samples);
    }
    const std::size_t c = static_cast<std::size_t>(found - table.header.begin());
    TextTable kept = table;
    kept.rows.clear();
    kept.line_numbers.clear();
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      if (table.rows[r][c] == value) {
        kept.rows.push_back(table.rows[r]);
        kept.line_numbers.push_back(table.line_numbers[r]);
      }
    }
    if (kept.rows.empty()) throw InputError("--subset", spec, "selects no row of " + samples);
    table = std::move(kept);
  }
  return MakeSampleTable(sheet);
}

SampleTable ModelOptions::ReadAllSamples() const {
  if (samples.empty()) throw InputError("--samples", "missing", "a sample sheet is needed here");
  return MakeSampleTable(sample_sheet ? *sample_sheet : ReadSampleSheetText(samples));
}

void ModelOptions::DefaultSamplesToCounts(const std::string& counts) {
  const bool needs_sheet = !loc_formula.empty() || !scale_formula.empty() || !loc_nested.empty() ||
                           !scale_nested.empty() || !subset.empty();
  if (samples.empty() && needs_sheet && IsAnnDataPath(counts)) {
    samples = counts;
  }
}

NbGlmModel ModelOptions::Build(bool require_identifiable) const {
  const std::string& p = option_prefix;
  if (loc_design.empty() == loc_formula.empty()) {
    throw InputError(p + "loc-design / " + p + "loc", loc_design.empty() ? "neither given" : "both given",
                     "give exactly one: a design file (" + p + "loc-design D.tsv) or a formula (--samples S.tsv " + p +
                         "loc \"~ …\")");
  }
  if (!scale_design.empty() && !scale_formula.empty()) {
    throw InputError(p + "scale-design / " + p + "scale", "both given", "give at most one");
  }
  const bool uses_formula = !loc_formula.empty() || !scale_formula.empty();
  if (samples.empty()) {
    const std::string needs = !loc_formula.empty()     ? p + "loc"
                              : !scale_formula.empty() ? p + "scale"
                              : !loc_nested.empty()    ? p + "loc-nested"
                              : !scale_nested.empty()  ? p + "scale-nested"
                                                       : std::string();
    if (!needs.empty()) throw InputError(needs, "without --samples", "formulas and nesting read a sample sheet (--samples S.tsv, or the obs of --counts DATA.h5ad)");
  }
  if (!reference_levels.empty() && !uses_formula) {
    throw InputError("--ref", reference_levels.front(), "reference levels apply to formulas (--loc, --scale) only");
  }
  if (!has_scale_design() && !scale_constraints.empty()) {
    throw InputError(p + "scale-constraints", scale_constraints, "needs " + p + "scale-design or " + p + "scale");
  }
  const std::map<std::string, std::string> references = ParseReferenceLevels(reference_levels, "--ref");

  const PredictorOptions location{"location model", p + "loc-design", p + "loc", p + "loc-nested",
                                  loc_design,       loc_formula,      loc_constraints, loc_nested};
  const PredictorOptions scale{"scale model", p + "scale-design", p + "scale", p + "scale-nested",
                               scale_design,  scale_formula,      scale_constraints, scale_nested};

  std::optional<SampleTable> sheet;
  if (!samples.empty()) sheet = ReadSamples();
  // A design file fixes the observation order; the sheet follows it, so that
  // formula designs and nesting levels line up with the file's rows.
  std::optional<Design> loc_file, scale_file;
  if (!loc_design.empty()) loc_file = ReadDesign(loc_design);
  if (!scale_design.empty()) scale_file = ReadDesign(scale_design);
  if (sheet && (loc_file || scale_file)) {
    const Design& order = loc_file ? *loc_file : *scale_file;
    *sheet = SelectObservations(*sheet, order.observation_names, "--samples " + samples);
  }

  const Design loc_matrix = loc_file ? *loc_file : BuildDesign(location, sheet, references);
  LinearPredictor loc = BuildPredictor(location, loc_matrix, sheet, require_identifiable);
  LinearPredictor sc = [&]() {
    if (!has_scale_design()) {
      return MakeLinearPredictor(InterceptDesign(loc_matrix.observation_names),
                                 ConstraintBasis::Identity({"(Intercept)"}), "scale model (intercept only)",
                                 require_identifiable);
    }
    const Design scale_matrix = scale_file ? *scale_file : BuildDesign(scale, sheet, references);
    return BuildPredictor(scale, scale_matrix, sheet, require_identifiable);
  }();
  return MakeModel(std::move(loc), std::move(sc));
}

}  // namespace nbglm::cli
