#include "nbglm/fit_output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
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
  nlohmann::ordered_json model_json;
  model_json["location"] = PredictorJson(model.location);
  model_json["scale"] = PredictorJson(model.scale);

  const std::vector<std::pair<std::string, std::string>> files = {
      {"loc_coef.tsv", CoefficientTable(result, result.location_names, result.location_coef)},
      {"scale_coef.tsv", CoefficientTable(result, result.scale_names, result.scale_coef)},
      {"loc_se.tsv", CoefficientTable(result, result.location_names, result.location_se)},
      {"scale_se.tsv", CoefficientTable(result, result.scale_names, result.scale_se)},
      {"feature_stats.tsv", FeatureStats(result)},
      {"reduced_covariance.tsv", CovarianceTable(result, model)},
      {"model.json", model_json.dump(2) + "\n"},
      {"summary.json", summary.dump(2) + "\n"},
  };
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

}  // namespace nbglm
