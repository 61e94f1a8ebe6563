#include "nbglm/fit_output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

std::string CoefficientTable(const FitResult& result, const std::vector<std::string>& names, const Matrix& values) {
  std::string text = "feature";
  for (const std::string& name : names) text += "\t" + name;
  text += "\n";
  for (Index f = 0; f < result.num_features(); ++f) {
    text += result.feature_names[static_cast<std::size_t>(f)];
    for (std::size_t j = 0; j < names.size(); ++j) text += "\t" + FormatDouble(values(static_cast<std::size_t>(f), j));
    text += "\n";
  }
  return text;
}

std::string FeatureStats(const FitResult& result) {
  std::string text = "feature\tloglik\tstatus\titerations\tlocation_trained\tscale_trained\n";
  for (Index f = 0; f < result.num_features(); ++f) {
    const std::size_t i = static_cast<std::size_t>(f);
    text += result.feature_names[i] + "\t" + FormatDouble(result.loglik[i]) + "\t" + ToString(result.status[i]) + "\t" +
            std::to_string(result.iterations[i]) + "\t" + (result.location_trained[i] ? "1" : "0") + "\t" +
            (result.scale_trained[i] ? "1" : "0") + "\n";
  }
  return text;
}

std::string CovarianceTable(const FitResult& result, const NbGlmModel& model) {
  std::vector<std::string> names;
  for (const std::string& n : model.location.constraints.reduced_names()) names.push_back("loc:" + n);
  for (const std::string& n : model.scale.constraints.reduced_names()) names.push_back("scale:" + n);
  const std::size_t m = names.size();
  std::string text = "feature";
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t k = j; k < m; ++k) text += "\t" + names[j] + "|" + names[k];
  }
  text += "\n";
  for (Index f = 0; f < result.num_features(); ++f) {
    const std::size_t i = static_cast<std::size_t>(f);
    text += result.feature_names[i];
    for (std::size_t j = 0; j < m; ++j) {
      for (std::size_t k = j; k < m; ++k) text += "\t" + FormatDouble(result.reduced_covariance(i, j, k));
    }
    text += "\n";
  }
  return text;
}

nlohmann::ordered_json PredictorJson(const LinearPredictor& predictor) {
  nlohmann::ordered_json json;
  json["parameters"] = predictor.design.parameter_names;
  json["reduced_parameters"] = predictor.constraints.reduced_names();
  std::vector<std::vector<double>> basis;
  const Matrix& b = predictor.constraints.basis();
  for (std::size_t j = 0; j < b.shape(0); ++j) {
    basis.emplace_back(b.begin() + static_cast<std::ptrdiff_t>(j * b.shape(1)),
                       b.begin() + static_cast<std::ptrdiff_t>((j + 1) * b.shape(1)));
  }
  json["basis"] = basis;
  return json;
}

}  // namespace

void WriteFitOutputs(const std::string& dir, const FitResult& result, const NbGlmModel& model,
                     const FitRunInfo& info) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw InputError("--out", dir, "cannot create the output directory: " + error.message());

  nlohmann::ordered_json summary;
  summary["features"] = result.num_features();
  summary["feature_begin"] = result.feature_begin;
  nlohmann::ordered_json by_status;
  const std::vector<Index> counts = result.StatusCounts();
  for (std::size_t s = 0; s < counts.size(); ++s) by_status[ToString(static_cast<FeatureStatus>(s))] = counts[s];
  summary["status_counts"] = by_status;
  summary["algorithm"] = ToString(result.algorithm);
  summary["threads"] = result.num_threads;
  summary["wall_seconds"] = result.wall_seconds;
  summary["observations"] = model.num_observations();
  summary["counts"] = info.counts_path;
  summary["command_line"] = info.command_line;
  for (const auto& [key, value] : info.extra) summary[key] = value;
  nlohmann::ordered_json inputs = nlohmann::ordered_json::object();
  for (const auto& [key, value] : info.inputs) inputs[key] = value;
  for (const auto& [key, values] : info.input_lists) inputs[key] = values;
  summary["inputs"] = inputs;
  nlohmann::ordered_json model_json;
  model_json["location"] = PredictorJson(model.location);
  model_json["scale"] = PredictorJson(model.scale);

  std::vector<std::pair<std::string, std::string>> files = {
      {"loc_coef.tsv", CoefficientTable(result, result.location_names, result.location_coef)},
      {"scale_coef.tsv", CoefficientTable(result, result.scale_names, result.scale_coef)},
      {"loc_se.tsv", CoefficientTable(result, result.location_names, result.location_se)},
      {"scale_se.tsv", CoefficientTable(result, result.scale_names, result.scale_se)},
      {"feature_stats.tsv", FeatureStats(result)},
      {"reduced_covariance.tsv", CovarianceTable(result, model)},
      {"model.json", model_json.dump(2) + "\n"},
      {"summary.json", summary.dump(2) + "\n"},
  };
  for (const auto& file : info.files) files.push_back(file);
  // Stage every file, then rename them all: a crash or full disk while
  // writing leaves no partial file under a final name.
  const std::string stage = dir + "/.nbglm_partial_" + std::to_string(::getpid());
  std::filesystem::create_directories(stage, error);
  if (error) throw InputError("--out", dir, "cannot write into the output directory: " + error.message());
  try {
    for (const auto& [name, contents] : files) WriteFileAtomically(stage + "/" + name, contents);
    for (const auto& [name, contents] : files) {
      std::filesystem::rename(stage + "/" + name, dir + "/" + name);
    }
  } catch (...) {
    std::filesystem::remove_all(stage, error);
    throw;
  }
  std::filesystem::remove_all(stage, error);
}

std::string FitRunInfo::Input(const std::string& key) const {
  for (const auto& [name, value] : inputs) {
    if (name == key) return value;
  }
  return std::string();
}

std::vector<std::string> FitRunInfo::InputList(const std::string& key) const {
  for (const auto& [name, values] : input_lists) {
    if (name == key) return values;
  }
  return {};
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A value as FormatDouble writes it: the shortest round-trip decimal (so it
// reads back bit for bit), NaN, Inf or -Inf.
double ParseStoredDouble(const std::string& text, const std::string& where, const std::string& what) {
  if (text == "NaN") return kNaN;
  if (text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  char* end = nullptr;
  const double value = text.empty() || std::isspace(static_cast<unsigned char>(text[0])) != 0
                           ? 0.0
                           : std::strtod(text.c_str(), &end);
  if (end == nullptr || end != text.c_str() + text.size()) {
    throw InputError(where, "'" + text + "'", what + " must be a number (NaN, Inf allowed)");
  }
  return value;
}

int ParseStoredInt(const std::string& text, const std::string& where, const std::string& what) {
  char* end = nullptr;
  const long value = text.empty() ? 0 : std::strtol(text.c_str(), &end, 10);
  if (end == nullptr || end != text.c_str() + text.size() || value < 0 ||
      value > std::numeric_limits<int>::max()) {
    throw InputError(where, "'" + text + "'", what + " must be a non-negative integer");
  }
  return static_cast<int>(value);
}

FeatureStatus ParseStatus(const std::string& text, const std::string& where) {
  static constexpr FeatureStatus kAll[] = {FeatureStatus::kConverged, FeatureStatus::kMaxIterations,
                                           FeatureStatus::kNumericalFailure, FeatureStatus::kAllZero,
                                           FeatureStatus::kAtBound};
  std::string known;
  for (FeatureStatus status : kAll) {
    if (text == ToString(status)) return status;
    known += (known.empty() ? "" : ", ") + std::string(ToString(status));
  }
  throw InputError(where, "status '" + text + "'", "must be one of " + known);
}

// The path of a file every fit directory holds; a clear error when it is not there.
std::string FitFile(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw InputError(path, "missing", "a fit directory written by `nbglm fit` holds " + name);
  }
  return path;
}

nlohmann::json ReadJson(const std::string& path) {
  try {
    return nlohmann::json::parse(ReadFileContents(path));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, "not valid JSON", e.what());
  }
}

// One predictor of model.json: parameter names and basis. The design keeps
// only the names (zero rows): a fit directory does not store design values.
LinearPredictor ReadPredictor(const nlohmann::json& model_json, const std::string& key, const std::string& path) {
  std::vector<std::string> names, reduced_names;
  std::vector<std::vector<double>> rows;
  try {
    const nlohmann::json& json = model_json.at(key);
    names = json.at("parameters").get<std::vector<std::string>>();
    reduced_names = json.at("reduced_parameters").get<std::vector<std::string>>();
    rows = json.at("basis").get<std::vector<std::vector<double>>>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(path, "\"" + key + "\"",
                     "needs \"parameters\" and \"reduced_parameters\" (lists of names) and \"basis\" (rows of numbers)");
  }
  const std::size_t p = names.size();
  const std::size_t q = reduced_names.size();
  if (p == 0 || rows.size() != p) {
    throw InputError(path, "\"" + key + "\" basis with " + std::to_string(rows.size()) + " rows",
                     "expected one row per parameter (" + std::to_string(p) + ")");
  }
  Matrix basis = Matrix::from_shape({p, q});
  for (std::size_t j = 0; j < p; ++j) {
    if (rows[j].size() != q) {
      throw InputError(path, "\"" + key + "\" basis row " + std::to_string(j) + " with " +
                                 std::to_string(rows[j].size()) + " entries",
                       "expected one per reduced parameter (" + std::to_string(q) + ")");
    }
    for (std::size_t k = 0; k < q; ++k) basis(j, k) = rows[j][k];
  }
  LinearPredictor predictor;
  predictor.constraints = ConstraintBasis::FromMatrix(std::move(basis), names, path + " \"" + key + "\" basis");
  if (predictor.constraints.reduced_names() != reduced_names) {
    throw InputError(path, "\"" + key + "\" reduced_parameters",
                     "do not match the names its basis implies (the file was edited?)");
  }
  predictor.design.parameter_names = std::move(names);
  predictor.design.values = Matrix::from_shape({std::size_t{0}, p});
  predictor.reduced_design = Matrix::from_shape({std::size_t{0}, q});
  return predictor;
}

void CheckHeader(const TextTable& table, const std::vector<std::string>& expected, const std::string& what) {
  if (table.header == expected) return;
  std::string names;
  for (std::size_t j = 1; j < expected.size(); ++j) names += (j == 1 ? "" : ", ") + expected[j];
  throw InputError(table.path + ":1", "header with " + std::to_string(table.header.size()) + " columns",
                   "expected 'feature' then the " + what + " of model.json (" + names + ")");
}

void CheckFeatures(const TextTable& table, const std::vector<std::string>& features) {
  if (table.rows.size() != features.size()) {
    throw InputError(table.path, std::to_string(table.rows.size()) + " features",
                     "expected " + std::to_string(features.size()) + " (the rows of feature_stats.tsv)");
  }
  for (std::size_t f = 0; f < features.size(); ++f) {
    if (table.rows[f][0] != features[f]) {
      throw InputError(table.Where(f), "feature '" + table.rows[f][0] + "'",
                       "expected '" + features[f] + "' (the features of feature_stats.tsv, in order)");
    }
  }
}

Matrix ReadCoefficientTable(const std::string& path, const std::vector<std::string>& names,
                            const std::vector<std::string>& features) {
  const TextTable table = ReadTextTable(path);
  std::vector<std::string> expected = {"feature"};
  expected.insert(expected.end(), names.begin(), names.end());
  CheckHeader(table, expected, "parameters");
  CheckFeatures(table, features);
  Matrix values = Matrix::from_shape({features.size(), names.size()});
  for (std::size_t f = 0; f < features.size(); ++f) {
    for (std::size_t j = 0; j < names.size(); ++j) {
      values(f, j) = ParseStoredDouble(table.rows[f][j + 1], table.Where(f), "column '" + names[j] + "'");
    }
  }
  return values;
}

}  // namespace

FitResult ReadFitOutputs(const std::string& dir, NbGlmModel* model, FitRunInfo* info) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    throw InputError(dir, "not a directory", "expected the output directory of `nbglm fit`");
  }
  const std::string model_path = FitFile(dir, "model.json");
  const std::string summary_path = FitFile(dir, "summary.json");
  const nlohmann::json model_json = ReadJson(model_path);
  NbGlmModel parameters;
  parameters.location = ReadPredictor(model_json, "location", model_path);
  parameters.scale = ReadPredictor(model_json, "scale", model_path);

  FitResult result;
  result.location_names = parameters.location.design.parameter_names;
  result.scale_names = parameters.scale.design.parameter_names;

  // feature_stats.tsv fixes the features; every other table must list the same.
  const TextTable stats = ReadTextTable(FitFile(dir, "feature_stats.tsv"));
  if (stats.header.size() < 4 || stats.header[0] != "feature" || stats.header[1] != "loglik" ||
      stats.header[2] != "status" || stats.header[3] != "iterations") {
    throw InputError(stats.path + ":1", "header", "must start feature, loglik, status, iterations");
  }
  const auto column = [&stats](const std::string& name) {
    const auto found = std::find(stats.header.begin(), stats.header.end(), name);
    return found == stats.header.end() ? std::size_t{0} : static_cast<std::size_t>(found - stats.header.begin());
  };
  const std::size_t location_trained_column = column("location_trained");
  const std::size_t scale_trained_column = column("scale_trained");
  for (std::size_t f = 0; f < stats.rows.size(); ++f) {
    const std::vector<std::string>& row = stats.rows[f];
    result.feature_names.push_back(row[0]);
    result.loglik.push_back(ParseStoredDouble(row[1], stats.Where(f), "loglik"));
    result.status.push_back(ParseStatus(row[2], stats.Where(f)));
    result.iterations.push_back(ParseStoredInt(row[3], stats.Where(f), "iterations"));
    // Older outputs may lack the trained flags; "trained" is the safe reading.
    result.location_trained.push_back(
        location_trained_column == 0 || ParseStoredInt(row[location_trained_column], stats.Where(f), "location_trained") != 0);
    result.scale_trained.push_back(
        scale_trained_column == 0 || ParseStoredInt(row[scale_trained_column], stats.Where(f), "scale_trained") != 0);
  }
  const std::vector<std::string>& features = result.feature_names;
  result.location_coef = ReadCoefficientTable(FitFile(dir, "loc_coef.tsv"), result.location_names, features);
  result.scale_coef = ReadCoefficientTable(FitFile(dir, "scale_coef.tsv"), result.scale_names, features);
  result.location_se = ReadCoefficientTable(FitFile(dir, "loc_se.tsv"), result.location_names, features);
  result.scale_se = ReadCoefficientTable(FitFile(dir, "scale_se.tsv"), result.scale_names, features);

  // reduced_covariance.tsv: the upper triangle of Cov(θ), θ = (θ_loc, θ_scale).
  std::vector<std::string> reduced_names;
  for (const std::string& n : parameters.location.constraints.reduced_names()) reduced_names.push_back("loc:" + n);
  for (const std::string& n : parameters.scale.constraints.reduced_names()) reduced_names.push_back("scale:" + n);
  const std::size_t m = reduced_names.size();
  std::vector<std::string> expected = {"feature"};
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t k = j; k < m; ++k) expected.push_back(reduced_names[j] + "|" + reduced_names[k]);
  }
  const TextTable covariance = ReadTextTable(FitFile(dir, "reduced_covariance.tsv"));
  CheckHeader(covariance, expected, "reduced parameter pairs");
  CheckFeatures(covariance, features);
  result.reduced_covariance = xt::xtensor<double, 3>::from_shape({features.size(), m, m});
  for (std::size_t f = 0; f < features.size(); ++f) {
    std::size_t field = 1;
    for (std::size_t j = 0; j < m; ++j) {
      for (std::size_t k = j; k < m; ++k, ++field) {
        const double value = ParseStoredDouble(covariance.rows[f][field], covariance.Where(f),
                                               "column '" + covariance.header[field] + "'");
        result.reduced_covariance(f, j, k) = value;
        result.reduced_covariance(f, k, j) = value;
      }
    }
  }

  const nlohmann::json summary = ReadJson(summary_path);
  try {
    if (summary.contains("algorithm")) result.algorithm = ParseAlgorithm(summary.at("algorithm").get<std::string>());
    if (summary.contains("threads")) result.num_threads = summary.at("threads").get<int>();
    if (summary.contains("wall_seconds")) result.wall_seconds = summary.at("wall_seconds").get<double>();
    if (summary.contains("feature_begin")) result.feature_begin = summary.at("feature_begin").get<Index>();
    if (summary.contains("features") && summary.at("features").get<std::size_t>() != features.size()) {
      throw InputError(summary_path, "\"features\": " + summary.at("features").dump(),
                       "expected " + std::to_string(features.size()) + " (the rows of feature_stats.tsv)");
    }
    if (info != nullptr) {
      *info = FitRunInfo();
      if (summary.contains("counts")) info->counts_path = summary.at("counts").get<std::string>();
      if (summary.contains("command_line")) info->command_line = summary.at("command_line").get<std::string>();
      if (summary.contains("inputs")) {
        for (const auto& [key, value] : summary.at("inputs").items()) {
          if (value.is_array()) {
            info->input_lists.emplace_back(key, value.get<std::vector<std::string>>());
          } else {
            info->inputs.emplace_back(key, value.get<std::string>());
          }
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(summary_path, "unexpected value", e.what());
  }
  if (model != nullptr) *model = std::move(parameters);
  return result;
}

}  // namespace nbglm
