#include "nbglm/size_factors.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>

#include "nbglm/counts_io.h"
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

namespace {

// Size factors computed from features seen in any number of parts (all of
// them once, in order): column totals for "total"; per observation, the log
// ratios log y_gj − log geomean_g of the usable genes for "ratio" and
// "poscounts".
class SizeFactorAccumulator {
 public:
  SizeFactorAccumulator(const std::string& method, const std::vector<std::string>& names)
      : method_(method), names_(names), n_(static_cast<Index>(names.size())) {
    if (method != "total" && method != "ratio" && method != "poscounts") {
      throw InputError("--size-factors", method, "must be a file, a sample-sheet column, ratio, poscounts or total");
    }
    poscounts_ = method == "poscounts";
    totals_.assign(static_cast<std::size_t>(n_), 0.0);
    log_ratios_.resize(static_cast<std::size_t>(n_));
    y_.resize(static_cast<std::size_t>(n_));
  }

  void AddTotals(const std::vector<double>& totals) {
    for (Index j = 0; j < n_; ++j) totals_[static_cast<std::size_t>(j)] += totals[static_cast<std::size_t>(j)];
  }

  void Add(const CountMatrix& counts) {
    if (method_ == "total") {
      const Vector totals = counts.ObservationTotals();
      for (Index j = 0; j < n_; ++j) totals_[static_cast<std::size_t>(j)] += totals(j);
      return;
    }
    for (Index g = 0; g < counts.num_features(); ++g) {
      counts.CopyFeature(g, y_.data());
      double log_sum = 0.0;
      Index positive = 0;
      for (Index j = 0; j < n_; ++j) {
        if (y_[j] > 0) {
          log_sum += std::log(y_[j]);
          ++positive;
        }
      }
      if (poscounts_ ? positive == 0 : positive < n_) continue;
      const double log_geometric_mean = log_sum / static_cast<double>(n_);
      for (Index j = 0; j < n_; ++j) {
        if (y_[j] > 0) log_ratios_[j].push_back(std::log(y_[j]) - log_geometric_mean);
      }
    }
  }

  Vector Finish() {
    const std::string what = "--size-factors " + method_;
    Vector factors = xt::zeros<double>({static_cast<std::size_t>(n_)});
    if (method_ == "total") {
      double log_sum = 0.0;
      for (Index j = 0; j < n_; ++j) {
        if (!(totals_[j] > 0)) {
          throw InputError(what, "observation '" + names_[j] + "' has total count 0",
                           "total size factors need every observation to have counts");
        }
        log_sum += std::log(totals_[j]);
      }
      const double geometric_mean = std::exp(log_sum / static_cast<double>(n_));
      for (Index j = 0; j < n_; ++j) factors(j) = totals_[j] / geometric_mean;
      return factors;
    }
    for (Index j = 0; j < n_; ++j) {
      if (log_ratios_[j].empty()) {
        throw InputError(what, "observation '" + names_[j] + "'",
                         poscounts_ ? "has no positive count, so no size factor"
                                    : "no gene has a positive count in every observation (try poscounts)");
      }
      factors(j) = std::exp(Median(&log_ratios_[j]));
    }
    if (poscounts_) {
      double log_sum = 0.0;
      for (Index j = 0; j < n_; ++j) log_sum += std::log(factors(j));
      const double geometric_mean = std::exp(log_sum / static_cast<double>(n_));
      for (Index j = 0; j < n_; ++j) factors(j) /= geometric_mean;
    }
    return factors;
  }

 private:
  std::string method_;
  const std::vector<std::string>& names_;
  Index n_;
  bool poscounts_ = false;
  std::vector<double> totals_;
  std::vector<std::vector<double>> log_ratios_;
  std::vector<double> y_;
};

}  // namespace

Vector ComputeSizeFactors(const CountMatrix& counts, const std::string& method) {
  SizeFactorAccumulator accumulator(method, counts.observation_names());
  accumulator.Add(counts);
  return accumulator.Finish();
}

Vector ComputeSizeFactors(const CountReader& reader, const std::string& method, std::int64_t max_bytes) {
  SizeFactorAccumulator accumulator(method, reader.observation_names());
  if (method == "total") {
    // The reader summed each observation while opening: no second pass.
    accumulator.AddTotals(reader.ObservationTotals());
    return accumulator.Finish();
  }
  for (const auto& [begin, end] : PlanFeatureChunks(reader, 0, reader.num_features(), max_bytes)) {
    accumulator.Add(reader.Read(begin, end));
  }
  return accumulator.Finish();
}

}  // namespace nbglm
