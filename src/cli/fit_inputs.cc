#include "cli/fit_inputs.h"

#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <xtensor/xview.hpp>

#include "cli/commands.h"
#include "nbglm/error.h"
#include "nbglm/sample_table.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm::cli {

namespace {
std::string& CommandLineStorage() {
  static std::string line;
  return line;
}
}  // namespace

void AddCountsOptions(CLI::App& command, std::string* counts, std::string* layer, const std::string& columns) {
  command
      .add_option("--counts", *counts,
                  "counts: .mtx[.gz], 10x directory, TSV/CSV (features x " + columns + "), .h5ad or 10x .h5")
      ->required()
      ->check(CLI::ExistingPath);
  command.add_option("--layer", *layer, "AnnData layer to read instead of X (e.g. counts)");
}

void SetCommandLine(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string argument = argv[i];
    const bool plain = !argument.empty() && argument.find_first_of(" \t\n'\"\\$`!*?~;&|<>()[]{}#") == std::string::npos;
    if (!plain) {
      std::string quoted = "'";
      for (char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      argument = quoted + "'";
    }
    if (i > 0) line += ' ';
    line += argument;
  }
  CommandLineStorage() = line;
}

const std::string& CommandLine() { return CommandLineStorage(); }

Vector ResolveSizeFactors(const std::string& value, const ModelOptions& options, const CountReader& counts,
                          std::int64_t max_bytes, const NbGlmModel& model) {
  const std::string& samples = options.samples;
  if (value.empty()) return Vector();
  if (value == "ratio" || value == "poscounts" || value == "total") return ComputeSizeFactors(counts, value, max_bytes);
  std::error_code error;
  if (std::filesystem::is_regular_file(value, error)) {
    return ReadSizeFactors(value, model.location.design.observation_names);
  }
  if (!samples.empty()) {
    const SampleTable sheet = options.ReadAllSamples();
    if (const SampleColumn* column = sheet.Find(value)) {
      if (column->type != SampleColumnType::kNumeric) {
        throw InputError("--size-factors", value,
                         "column of " + samples + " is " + SampleColumnTypeName(column->type) +
                             ": size factors must be numbers > 0");
      }
      const std::vector<std::string>& names = model.location.design.observation_names;
      std::unordered_map<std::string, std::size_t> row_of;
      for (std::size_t i = 0; i < sheet.observation_names.size(); ++i) row_of.emplace(sheet.observation_names[i], i);
      Vector factors = Vector::from_shape({names.size()});
      for (std::size_t i = 0; i < names.size(); ++i) {
        const auto it = row_of.find(names[i]);
        if (it == row_of.end()) {
          throw InputError("--size-factors " + value, names[i], "observation missing from " + samples);
        }
        const double factor = column->numbers[it->second];
        if (!(std::isfinite(factor) && factor > 0.0)) {
          throw InputError(sheet.Where(it->second), "column '" + value + "': " + FormatDouble(factor),
                           "size factors must be finite and > 0");
        }
        factors(i) = factor;
      }
      return factors;
    }
  }
  throw InputError("--size-factors", value,
                   "not a file" + std::string(samples.empty() ? "" : ", not a column of " + samples) +
                       ", and not ratio, poscounts or total");
}

std::string AbsolutePath(const std::string& path) {
  if (path.empty()) return path;
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

void RecordModelInputs(const ModelOptions& options, FitRunInfo* info) {
  info->inputs.emplace_back(kInputLocDesign, AbsolutePath(options.loc_design));
  info->inputs.emplace_back(kInputLocFormula, options.loc_formula);
  info->inputs.emplace_back(kInputLocConstraints, AbsolutePath(options.loc_constraints));
  info->inputs.emplace_back(kInputScaleDesign, AbsolutePath(options.scale_design));
  info->inputs.emplace_back(kInputScaleFormula, options.scale_formula);
  info->inputs.emplace_back(kInputScaleConstraints, AbsolutePath(options.scale_constraints));
  info->inputs.emplace_back(kInputSamples, AbsolutePath(options.samples));
  info->input_lists.emplace_back(kInputLocNested, options.loc_nested);
  info->input_lists.emplace_back(kInputScaleNested, options.scale_nested);
  info->input_lists.emplace_back(kInputReferenceLevels, options.reference_levels);
}

ModelOptions ModelOptionsFromInputs(const FitRunInfo& info) {
  ModelOptions options;
  options.loc_design = info.Input(kInputLocDesign);
  options.loc_formula = info.Input(kInputLocFormula);
  options.loc_constraints = info.Input(kInputLocConstraints);
  options.loc_nested = info.InputList(kInputLocNested);
  options.scale_design = info.Input(kInputScaleDesign);
  options.scale_formula = info.Input(kInputScaleFormula);
  options.scale_constraints = info.Input(kInputScaleConstraints);
  options.scale_nested = info.InputList(kInputScaleNested);
  options.samples = info.Input(kInputSamples);
  options.reference_levels = info.InputList(kInputReferenceLevels);
  return options;
}

void AlignObservations(const std::vector<std::string>& count_names, const std::string& counts_what,
                       const std::string& design_what, NbGlmModel* model) {
  const auto& design_names = model->location.design.observation_names;
  bool generic = true;
  for (std::size_t i = 0; i < count_names.size() && generic; ++i) generic = count_names[i] == "obs_" + std::to_string(i);
  if (generic) {
    // No observation names in the counts (a bare .mtx): matched by position.
    if (count_names.size() != design_names.size()) {
      throw InputError(counts_what, std::to_string(count_names.size()) + " observations",
                       design_what + " has " + std::to_string(design_names.size()) +
                           " (counts without observation names are matched by position)");
    }
    return;
  }
  if (count_names == design_names) return;
  // Matched by name: list what is missing on either side.
  const auto list_missing = [](const std::vector<std::string>& names, const std::vector<std::string>& in) {
    std::unordered_map<std::string, int> present;
    for (const std::string& name : in) present.emplace(name, 0);
    std::string list;
    std::size_t count = 0;
    for (const std::string& name : names) {
      if (present.count(name) != 0) continue;
      if (++count <= 5) list += (list.empty() ? "'" : ", '") + name + "'";
    }
    if (count > 5) list += " and " + std::to_string(count - 5) + " more";
    return list;
  };
  const std::string not_in_design = list_missing(count_names, design_names);
  const std::string not_in_counts = list_missing(design_names, count_names);
  if (!not_in_design.empty() || !not_in_counts.empty()) {
    std::string rule;
    if (!not_in_design.empty()) rule = "observations " + not_in_design + " are not in " + design_what;
    if (!not_in_counts.empty()) {
      rule += (rule.empty() ? "" : "; ") + design_what + " has " + not_in_counts + ", not in the counts";
    }
    throw InputError(counts_what, std::to_string(count_names.size()) + " observations",
                     rule + " (observations are matched by name)");
  }
  if (count_names.size() != design_names.size()) {
    throw InputError(counts_what, std::to_string(count_names.size()) + " observations",
                     design_what + " has " + std::to_string(design_names.size()) + " (a name is repeated)");
  }
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < design_names.size(); ++i) row_of.emplace(design_names[i], i);
  std::vector<std::size_t> order;
  for (const std::string& name : count_names) order.push_back(row_of.at(name));
  auto reorder = [&](LinearPredictor* predictor) {
    Design& d = predictor->design;
    Matrix values = Matrix::from_shape(d.values.shape());
    Matrix reduced = Matrix::from_shape(predictor->reduced_design.shape());
    std::vector<std::string> names;
    for (std::size_t i = 0; i < order.size(); ++i) {
      xt::view(values, i, xt::all()) = xt::view(d.values, order[i], xt::all());
      xt::view(reduced, i, xt::all()) = xt::view(predictor->reduced_design, order[i], xt::all());
      names.push_back(d.observation_names[order[i]]);
    }
    d.values = std::move(values);
    d.observation_names = std::move(names);
    predictor->reduced_design = std::move(reduced);
  };
  reorder(&model->location);
  reorder(&model->scale);
}

}  // namespace nbglm::cli
