#include "cli/test_run.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string AvailableParameters(const FitResult& fit) {
  return "location: " + JoinNames(fit.location_names) + "; scale: " + JoinNames(fit.scale_names);
}

// Splits "loc:NAME" / "scale:NAME" into the predictor and NAME; other text is
// returned unchanged with no predictor.
std::pair<std::optional<Predictor>, std::string> SplitPredictorPrefix(const std::string& text) {
  if (text.rfind("loc:", 0) == 0) return {Predictor::kLocation, text.substr(4)};
  if (text.rfind("scale:", 0) == 0) return {Predictor::kScale, text.substr(6)};
  return {std::nullopt, text};
}

const std::vector<std::string>& ParameterNames(const FitResult& fit, Predictor predictor) {
  return predictor == Predictor::kLocation ? fit.location_names : fit.scale_names;
}

}  // namespace

// --coef NAME: a location parameter, else a scale parameter. "loc:NAME" or
// "scale:NAME" picks the predictor, for names both predictors have (as when
// the scale design is the location design).
TestResult TestCoefficient(const FitResult& fit, const NbGlmModel& model, const std::string& coef) {
  std::vector<std::pair<Predictor, std::string>> candidates = {{Predictor::kLocation, coef}, {Predictor::kScale, coef}};
  if (const auto [forced, name] = SplitPredictorPrefix(coef); forced) candidates.emplace_back(*forced, name);
  for (const auto& [predictor, name] : candidates) {
    const std::vector<std::string>& names = ParameterNames(fit, predictor);
    const auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) continue;
    std::vector<double> contrast(names.size(), 0.0);
    contrast[static_cast<std::size_t>(found - names.begin())] = 1.0;
    return WaldTest(fit, model, contrast, predictor);
  }
  throw InputError("--coef", coef, "is not a parameter of the fit (" + AvailableParameters(fit) + ")");
}

// --contrast C.tsv: a header naming every parameter of one predictor once (in
// any order) and one row of weights. The location wins when both predictors
// have the same names; "scale:" before every name picks the scale.
TestResult TestContrast(const FitResult& fit, const NbGlmModel& model, const TextTable& table) {
  const std::string& path = table.path;
  if (table.rows.size() != 1) {
    throw InputError(path, std::to_string(table.rows.size()) + " rows of weights",
                     "a contrast file has a header of parameter names and exactly one row of weights");
  }
  // A prefix counts only when every column carries the same one.
  std::optional<Predictor> forced;
  std::vector<std::string> header = table.header;
  const auto [first_prefix, unused] = SplitPredictorPrefix(header.front());
  bool uniform = first_prefix.has_value();
  for (const std::string& name : header) uniform = uniform && SplitPredictorPrefix(name).first == first_prefix;
  if (uniform) {
    forced = first_prefix;
    for (std::string& name : header) name = SplitPredictorPrefix(name).second;
  }
  const std::set<std::string> header_set(header.begin(), header.end());
  if (header_set.size() != header.size()) {
    throw InputError(path + ":1", "header " + JoinNames(table.header), "names a parameter twice");
  }
  for (Predictor predictor : {Predictor::kLocation, Predictor::kScale}) {
    if (forced && *forced != predictor) continue;
    const std::vector<std::string>& names = ParameterNames(fit, predictor);
    if (std::set<std::string>(names.begin(), names.end()) != header_set || names.size() != header.size()) continue;
    std::vector<double> contrast(names.size(), 0.0);
    for (std::size_t c = 0; c < header.size(); ++c) {
      const std::size_t j = static_cast<std::size_t>(std::find(names.begin(), names.end(), header[c]) - names.begin());
      contrast[j] = ParseFiniteDouble(table.rows[0][c], table.Where(0), "weight of '" + header[c] + "'");
    }
    return WaldTest(fit, model, contrast, predictor);
  }
  // No predictor matches: say what is wrong in the most specific way.
  for (const std::string& name : header) {
    const bool known = std::count(fit.location_names.begin(), fit.location_names.end(), name) > 0 ||
                       std::count(fit.scale_names.begin(), fit.scale_names.end(), name) > 0;
    if (!known) {
      throw InputError(path + ":1", "column '" + name + "'",
                       "is not a parameter of the fit (" + AvailableParameters(fit) + ")");
    }
  }
  throw InputError(
      path + ":1", std::to_string(header.size()) + " columns (" + JoinNames(table.header) + ")",
      "a contrast has one weight for every parameter of one predictor: " + std::to_string(fit.location_names.size()) +
          " location (" + JoinNames(fit.location_names) + ") or " + std::to_string(fit.scale_names.size()) +
          " scale (" + JoinNames(fit.scale_names) + ")");
}

}  // namespace nbglm::cli
