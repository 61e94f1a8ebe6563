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
#include <fstream>
#include <iterator>
#include <memory>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

// The reduced parameter names of the covariance table's columns.
std::vector<std::string> CovarianceNames(const NbGlmModel& model) {
  std::vector<std::string> names;
  for (const std::string& n : model.location.constraints.reduced_names()) names.push_back("loc:" + n);
  for (const std::string& n : model.scale.constraints.reduced_names()) names.push_back("scale:" + n);
  return names;
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

// The per-feature tables, in the order the writer keeps its streams.
enum TableFile { kLocCoef, kScaleCoef, kLocSe, kScaleSe, kFeatureStats, kCovariance, kNumTables };
constexpr const char* kTableNames[kNumTables] = {"loc_coef.tsv", "scale_coef.tsv",    "loc_se.tsv",
                                                 "scale_se.tsv", "feature_stats.tsv", "reduced_covariance.tsv"};

struct FitOutputWriter::State {
  std::string dir, stage;
  NbGlmModel model;
  std::vector<std::unique_ptr<std::ofstream>> tables;
  std::size_t covariance_size = 0;
  bool finished = false;
  bool created_dir = false;  // `dir` did not exist: removed again unless finished
  // Accumulated over the appended results.
  Index features = 0;
  Index feature_begin = -1;
  std::size_t appended = 0;
  std::vector<Index> status_counts = FitResult().StatusCounts();  // zero per status
  Algorithm algorithm = Algorithm::kNewton;
  int threads = 1;
  double wall_seconds = 0.0;
  std::string row;  // reused row buffer

  std::ofstream& Table(TableFile t) { return *tables[static_cast<std::size_t>(t)]; }
  void Check(TableFile t) {
    if (!Table(t)) throw InputError(dir + "/" + kTableNames[t], "write failed", std::strerror(errno));
  }
};

FitOutputWriter::FitOutputWriter(const std::string& dir, const NbGlmModel& model)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.dir = dir;
  s.model = model;
  std::error_code error;
  s.created_dir = !std::filesystem::exists(dir, error);
  std::filesystem::create_directories(dir, error);
  if (error) throw InputError("--out", dir, "cannot create the output directory: " + error.message());
  // Every file is written into a staging directory and renamed into place
  // only by Finish: a crash or full disk leaves no partial file under a
  // final name.
  s.stage = dir + "/.nbglm_partial_" + std::to_string(::getpid());
  std::filesystem::create_directories(s.stage, error);
  if (error) throw InputError("--out", dir, "cannot write into the output directory: " + error.message());
  for (int t = 0; t < kNumTables; ++t) {
    s.tables.push_back(std::make_unique<std::ofstream>(s.stage + "/" + kTableNames[t], std::ios::binary));
    if (!*s.tables.back()) throw InputError(dir + "/" + kTableNames[t], "cannot write", std::strerror(errno));
  }
  const auto coefficient_header = [](const std::vector<std::string>& names) {
    std::string text = "feature";
    for (const std::string& name : names) text += "\t" + name;
    return text + "\n";
  };
  s.Table(kLocCoef) << coefficient_header(model.location.design.parameter_names);
  s.Table(kLocSe) << coefficient_header(model.location.design.parameter_names);
  s.Table(kScaleCoef) << coefficient_header(model.scale.design.parameter_names);
  s.Table(kScaleSe) << coefficient_header(model.scale.design.parameter_names);
  s.Table(kFeatureStats) << "feature\tloglik\tstatus\titerations\tlocation_trained\tscale_trained\n";
  const std::vector<std::string> names = CovarianceNames(model);
  s.covariance_size = names.size();
  std::string header = "feature";
  for (std::size_t j = 0; j < names.size(); ++j) {
    for (std::size_t k = j; k < names.size(); ++k) header += "\t" + names[j] + "|" + names[k];
  }
  s.Table(kCovariance) << header << "\n";
}

FitOutputWriter::~FitOutputWriter() {
  if (state_ != nullptr && !state_->finished) {
    state_->tables.clear();
    std::error_code error;
    std::filesystem::remove_all(state_->stage, error);
    if (state_->created_dir) std::filesystem::remove(state_->dir, error);  // only if still empty
  }
}

void FitOutputWriter::Append(const FitResult& result) {
  State& s = *state_;
  if (s.finished) throw InputError("FitOutputWriter", "finished", "append before Finish");
  if (s.feature_begin < 0) s.feature_begin = result.feature_begin;
  s.features += result.num_features();
  const std::vector<Index> counts = result.StatusCounts();
  for (std::size_t k = 0; k < counts.size(); ++k) s.status_counts[k] += counts[k];
  s.algorithm = result.algorithm;
  s.threads = result.num_threads;
  s.wall_seconds += result.wall_seconds;
  ++s.appended;
  std::string& row = s.row;
  const auto coefficients = [&](TableFile t, const Matrix& values, std::size_t f) {
    row = result.feature_names[f];
    for (std::size_t j = 0; j < values.shape(1); ++j) {
      row += '\t';
      row += FormatDouble(values(f, j));
    }
    row += '\n';
    s.Table(t) << row;
  };
  for (std::size_t f = 0; f < static_cast<std::size_t>(result.num_features()); ++f) {
    coefficients(kLocCoef, result.location_coef, f);
    coefficients(kScaleCoef, result.scale_coef, f);
    coefficients(kLocSe, result.location_se, f);
    coefficients(kScaleSe, result.scale_se, f);
    s.Table(kFeatureStats) << result.feature_names[f] << '\t' << FormatDouble(result.loglik[f]) << '\t'
                           << ToString(result.status[f]) << '\t' << result.iterations[f] << '\t'
                           << (result.location_trained[f] ? '1' : '0') << '\t' << (result.scale_trained[f] ? '1' : '0')
                           << '\n';
    row = result.feature_names[f];
    for (std::size_t j = 0; j < s.covariance_size; ++j) {
      for (std::size_t k = j; k < s.covariance_size; ++k) {
        row += '\t';
        row += FormatDouble(result.reduced_covariance(f, j, k));
      }
    }
    row += '\n';
    s.Table(kCovariance) << row;
  }
  for (int t = 0; t < kNumTables; ++t) s.Check(static_cast<TableFile>(t));
}

void FitOutputWriter::Finish(const FitRunInfo& info) {
  State& s = *state_;
  nlohmann::ordered_json summary;
  summary["features"] = s.features;
  summary["feature_begin"] = std::max<Index>(s.feature_begin, 0);
  nlohmann::ordered_json by_status;
  for (std::size_t k = 0; k < s.status_counts.size(); ++k) {
    by_status[ToString(static_cast<FeatureStatus>(k))] = s.status_counts[k];
  }
  summary["status_counts"] = by_status;
  summary["algorithm"] = ToString(s.algorithm);
  summary["threads"] = s.threads;
  summary["wall_seconds"] = s.wall_seconds;
  summary["observations"] = s.model.num_observations();
  summary["counts"] = info.counts_path;
  summary["command_line"] = info.command_line;
  for (const auto& [key, value] : info.extra) summary[key] = value;
  nlohmann::ordered_json inputs = nlohmann::ordered_json::object();
  for (const auto& [key, value] : info.inputs) inputs[key] = value;
  for (const auto& [key, values] : info.input_lists) inputs[key] = values;
  summary["inputs"] = inputs;
  nlohmann::ordered_json model_json;
  model_json["location"] = PredictorJson(s.model.location);
  model_json["scale"] = PredictorJson(s.model.scale);

  for (int t = 0; t < kNumTables; ++t) {
    s.Table(static_cast<TableFile>(t)).close();
    s.Check(static_cast<TableFile>(t));
  }
  std::vector<std::pair<std::string, std::string>> files = {
      {"model.json", model_json.dump(2) + "\n"},
      {"summary.json", summary.dump(2) + "\n"},
  };
  for (const auto& file : info.files) files.push_back(file);
  for (const auto& [name, contents] : files) WriteFileAtomically(s.stage + "/" + name, contents);
  std::vector<std::string> names(std::begin(kTableNames), std::end(kTableNames));
  for (const auto& file : files) names.push_back(file.first);
  for (const std::string& name : names) {
    std::error_code error;
    std::filesystem::rename(s.stage + "/" + name, s.dir + "/" + name, error);
    if (error) throw InputError(s.dir + "/" + name, "cannot rename into place", error.message());
  }
  s.finished = true;
  std::error_code error;
  std::filesystem::remove_all(s.stage, error);
}

std::string FitOutputWriter::BriefReport() const {
  const State& s = *state_;
  return FormatFitReport(s.features, s.algorithm, s.threads, s.wall_seconds, s.status_counts, s.appended);
}

void WriteFitOutputs(const std::string& dir, const FitResult& result, const NbGlmModel& model,
                     const FitRunInfo& info) {
  FitOutputWriter writer(dir, model);
  writer.Append(result);
  writer.Finish(info);
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
    result.solver_termination.emplace_back();  // not stored (nbglm/fit.h)
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
