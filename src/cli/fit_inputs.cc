#include "cli/fit_inputs.h"

#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <xtensor/xview.hpp>

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

Vector ResolveSizeFactors(const std::string& value, const std::string& samples, const CountMatrix& counts,
                          const NbGlmModel& model) {
  if (value.empty()) return Vector();
  if (value == "ratio" || value == "poscounts" || value == "total") return ComputeSizeFactors(counts, value);
  std::error_code error;
  if (std::filesystem::is_regular_file(value, error)) {
    return ReadSizeFactors(value, model.location.design.observation_names);
  }
  if (!samples.empty()) {
    const SampleTable sheet = ReadSampleTable(samples);
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

void AlignObservations(const CountMatrix& counts, const std::string& counts_what, NbGlmModel* model) {
  const auto& count_names = counts.observation_names();
  const auto& design_names = model->location.design.observation_names;
  if (count_names.size() != design_names.size()) {
    throw InputError(counts_what, std::to_string(count_names.size()) + " observations",
                     "expected " + std::to_string(design_names.size()) + " (the design's rows)");
  }
  if (count_names == design_names) return;
  bool generic = true;
  for (std::size_t i = 0; i < count_names.size() && generic; ++i)
    generic = count_names[i] == "obs_" + std::to_string(i);
  if (generic) return;
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < design_names.size(); ++i) row_of.emplace(design_names[i], i);
  std::vector<std::size_t> order;
  std::string missing;
  for (const std::string& name : count_names) {
    const auto found = row_of.find(name);
    if (found == row_of.end()) {
      if (missing.size() < 200) missing += (missing.empty() ? "" : ", ") + name;
      continue;
    }
    order.push_back(found->second);
  }
  if (!missing.empty()) {
    throw InputError(counts_what, "observations " + missing, "are not rows of the design (names must match)");
  }
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
