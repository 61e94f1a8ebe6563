#include "nbglm/size_factors.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

double Median(std::vector<double>* values) {
  const std::size_t n = values->size();
  std::nth_element(values->begin(), values->begin() + static_cast<std::ptrdiff_t>(n / 2), values->end());
  const double upper = (*values)[n / 2];
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(values->begin(), values->begin() + static_cast<std::ptrdiff_t>(n / 2));
  return 0.5 * (lower + upper);
}

}  // namespace

void ValidateSizeFactors(const Vector& size_factors, Index num_observations, const std::string& what,
                         const std::vector<std::string>& observation_names) {
  if (static_cast<Index>(size_factors.size()) != num_observations) {
    throw InputError(what, std::to_string(size_factors.size()) + " size factors",
                     "expected " + std::to_string(num_observations) + " (one per observation)");
  }
  for (std::size_t i = 0; i < size_factors.size(); ++i) {
    if (!(size_factors(i) > 0.0) || !std::isfinite(size_factors(i))) {
      const std::string name = i < observation_names.size() ? observation_names[i] : std::to_string(i);
      throw InputError(what, "observation '" + name + "' = " + FormatDouble(size_factors(i)),
                       "size factors must be finite and > 0");
    }
  }
}

Vector ReadSizeFactors(const std::string& path, const std::vector<std::string>& observation_names) {
  const TextTable table = ReadTextTable(path);
  if (table.header.size() != 2) {
    throw InputError(path + ":1", std::to_string(table.header.size()) + " columns",
                     "a size-factor table has two columns: observation, size_factor");
  }
  std::unordered_map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < observation_names.size(); ++i) position.emplace(observation_names[i], i);
  Vector result = xt::zeros<double>({observation_names.size()});
  std::vector<bool> seen(observation_names.size(), false);
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto found = position.find(table.rows[r][0]);
    if (found == position.end()) {
      throw InputError(table.Where(r), "observation '" + table.rows[r][0] + "'", "is not an observation of the counts");
    }
    if (seen[found->second]) throw InputError(table.Where(r), "observation '" + table.rows[r][0] + "'", "appears twice");
    seen[found->second] = true;
    result(found->second) = ParseFiniteDouble(table.rows[r][1], table.Where(r), "size_factor");
  }
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) throw InputError(path, "observation '" + observation_names[i] + "' missing", "every observation needs a size factor");
  }
  ValidateSizeFactors(result, static_cast<Index>(observation_names.size()), path, observation_names);
  return result;
}

std::string SizeFactorsToTsv(const Vector& size_factors, const std::vector<std::string>& observation_names) {
  std::ostringstream out;
  out << "observation\tsize_factor\n";
  for (std::size_t i = 0; i < size_factors.size(); ++i) out << observation_names[i] << '\t' << FormatDouble(size_factors(i)) << '\n';
  return out.str();
}

Vector ComputeSizeFactors(const CountMatrix& counts, const std::string& method) {
  const Index n = counts.num_observations();
  const Index features = counts.num_features();
  const auto& names = counts.observation_names();
  Vector factors = xt::zeros<double>({static_cast<std::size_t>(n)});
  const std::string what = "--size-factors " + method;
  if (method == "total") {
    const Vector totals = counts.ObservationTotals();
    double log_sum = 0.0;
    for (Index j = 0; j < n; ++j) {
      if (!(totals(j) > 0)) {
        throw InputError(what, "observation '" + names[j] + "' has total count 0", "total size factors need every observation to have counts");
      }
      log_sum += std::log(totals(j));
    }
    const double geometric_mean = std::exp(log_sum / static_cast<double>(n));
    for (Index j = 0; j < n; ++j) factors(j) = totals(j) / geometric_mean;
    return factors;
  }
  if (method != "ratio" && method != "poscounts") {
    throw InputError("--size-factors", method, "must be a file, a sample-sheet column, ratio, poscounts or total");
  }
  const bool poscounts = method == "poscounts";
  // Per observation, the log ratios log y_gj − log geomean_g of usable genes.
  std::vector<std::vector<double>> log_ratios(static_cast<std::size_t>(n));
  std::vector<double> y(static_cast<std::size_t>(n));
  for (Index g = 0; g < features; ++g) {
    counts.CopyFeature(g, y.data());
    double log_sum = 0.0;
    Index positive = 0;
    for (Index j = 0; j < n; ++j) {
      if (y[j] > 0) {
        log_sum += std::log(y[j]);
        ++positive;
      }
    }
    if (poscounts ? positive == 0 : positive < n) continue;
    const double log_geometric_mean = log_sum / static_cast<double>(n);
    for (Index j = 0; j < n; ++j) {
      if (y[j] > 0) log_ratios[j].push_back(std::log(y[j]) - log_geometric_mean);
    }
  }
  for (Index j = 0; j < n; ++j) {
    if (log_ratios[j].empty()) {
      throw InputError(what, "observation '" + names[j] + "'",
                       poscounts ? "has no positive count, so no size factor"
                                 : "no gene has a positive count in every observation (try poscounts)");
    }
    factors(j) = std::exp(Median(&log_ratios[j]));
  }
  if (poscounts) {
    double log_sum = 0.0;
    for (Index j = 0; j < n; ++j) log_sum += std::log(factors(j));
    const double geometric_mean = std::exp(log_sum / static_cast<double>(n));
    for (Index j = 0; j < n; ++j) factors(j) /= geometric_mean;
  }
  return factors;
}

}  // namespace nbglm
