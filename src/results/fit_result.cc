// FitResult: statuses, results by parameter name and the brief report
// (docs/api.md "The pieces": Results).
#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "nbglm/error.h"
#include "nbglm/fit.h"

namespace nbglm {

const char* ToString(FeatureStatus status) {
  switch (status) {
    case FeatureStatus::kConverged: return "converged";
    case FeatureStatus::kMaxIterations: return "max_iterations";
    case FeatureStatus::kNumericalFailure: return "numerical_failure";
    case FeatureStatus::kAllZero: return "all_zero";
    case FeatureStatus::kAtBound: return "at_bound";
  }
  return "unknown";
}

std::vector<Index> FitResult::StatusCounts() const {
  std::vector<Index> counts(5, 0);
  for (FeatureStatus s : status) ++counts[static_cast<std::size_t>(s)];
  return counts;
}

namespace {

// The predictor (true: location) and column of a parameter name, with the
// "loc:" / "scale:" qualifiers of FitResult::Coefficient.
std::pair<bool, std::size_t> FindParameter(const FitResult& fit, const std::string& name) {
  const auto find = [&name](const std::vector<std::string>& names, const std::string& wanted) -> std::ptrdiff_t {
    const auto it = std::find(names.begin(), names.end(), wanted);
    return it == names.end() ? -1 : it - names.begin();
  };
  const bool loc_only = name.rfind("loc:", 0) == 0;
  const bool scale_only = name.rfind("scale:", 0) == 0;
  const std::string bare = loc_only ? name.substr(4) : scale_only ? name.substr(6) : name;
  if (!scale_only) {
    if (const std::ptrdiff_t j = find(fit.location_names, bare); j >= 0) return {true, static_cast<std::size_t>(j)};
  }
  if (!loc_only) {
    if (const std::ptrdiff_t j = find(fit.scale_names, bare); j >= 0) return {false, static_cast<std::size_t>(j)};
  }
  std::string list;
  for (const std::string& n : fit.location_names) list += (list.empty() ? "loc:" : ", loc:") + n;
  for (const std::string& n : fit.scale_names) list += ", scale:" + n;
  throw InputError("parameter", name, "is not a parameter of the fit (" + list + ")");
}

void CheckRow(const FitResult& fit, Index row) {
  if (row < 0 || row >= fit.num_features()) {
    throw InputError("row", std::to_string(row), "must be in [0, " + std::to_string(fit.num_features()) + ")");
  }
}

}  // namespace

double FitResult::Coefficient(Index row, const std::string& name) const {
  CheckRow(*this, row);
  const auto [location, j] = FindParameter(*this, name);
  return location ? location_coef(static_cast<std::size_t>(row), j) : scale_coef(static_cast<std::size_t>(row), j);
}

double FitResult::StandardError(Index row, const std::string& name) const {
  CheckRow(*this, row);
  const auto [location, j] = FindParameter(*this, name);
  return location ? location_se(static_cast<std::size_t>(row), j) : scale_se(static_cast<std::size_t>(row), j);
}

std::string FitResult::BriefReport() const {
  return FormatFitReport(num_features(), algorithm, num_threads, wall_seconds, StatusCounts());
}

std::string FormatFitReport(Index features, Algorithm algorithm, int threads, double wall_seconds,
                            const std::vector<Index>& status_counts, std::size_t chunks) {
  std::ostringstream out;
  out << features << " features fitted (" << ToString(algorithm) << ", " << threads << " thread"
      << (threads == 1 ? "" : "s") << ", " << wall_seconds << " s";
  if (chunks > 1) out << ", " << chunks << " chunks";
  out << "):";
  for (std::size_t s = 0; s < status_counts.size(); ++s) {
    out << " " << ToString(static_cast<FeatureStatus>(s)) << " " << status_counts[s];
  }
  return out.str();
}

}  // namespace nbglm
