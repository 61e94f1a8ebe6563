#include "nbglm/pseudobulk.h"

#include <algorithm>
#include <map>
#include <set>

#include "nbglm/error.h"

namespace nbglm {

std::string PseudobulkResult::SamplesTsv() const {
  std::string text = "sample";
  for (const std::string& column : sample_columns) text += "\t" + column;
  text += "\n";
  for (std::size_t g = 0; g < sample_rows.size(); ++g) {
    text += counts.observation_names()[g];
    for (const std::string& field : sample_rows[g]) text += "\t" + field;
    text += "\n";
  }
  return text;
}

PseudobulkResult Pseudobulk(const CountMatrix& counts, const SampleTable& samples,
                            const std::vector<std::string>& by) {
  if (by.empty()) throw InputError("--by", "(none)", "name at least one column of the sample sheet");
  std::set<std::string> seen;
  for (const std::string& name : by) {
    if (!seen.insert(name).second) throw InputError("--by", name, "names a column twice");
  }
  if (samples.Find("n_cells") != nullptr) {
    throw InputError("--samples " + samples.path, "column 'n_cells'", "is reserved for the number of cells of a group");
  }
  // The sheet's rows in the counts' order (same set of names).
  const SampleTable sheet = SelectObservations(samples, counts.observation_names(), "--samples " + samples.path);
  const std::size_t n = static_cast<std::size_t>(sheet.num_observations());
  std::vector<FactorLevels> factors;
  for (const std::string& name : by) {
    const SampleColumn& column = sheet.Get(name, "--by");
    for (std::size_t i = 0; i < n; ++i) {
      if (column.missing[i]) {
        throw InputError(sheet.Where(i), "column '" + name + "': missing value", "every cell needs a --by value");
      }
    }
    factors.push_back(AsFactor(column));
  }
  // Group of each cell: the tuple of level codes, ordered as R orders
  // interaction levels of factors (first column slowest).
  std::map<std::vector<int>, std::size_t> group_of_key;
  std::vector<std::vector<int>> keys(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const FactorLevels& factor : factors) keys[i].push_back(factor.codes[i]);
    group_of_key.emplace(keys[i], 0);
  }
  std::vector<std::string> names;
  std::size_t g = 0;
  for (auto& [key, index] : group_of_key) {
    index = g++;
    std::string name;
    for (std::size_t c = 0; c < key.size(); ++c) {
      name += (c == 0 ? "" : "_") + factors[c].levels[static_cast<std::size_t>(key[c])];
    }
    names.push_back(name);
  }
  const std::size_t groups = names.size();
  std::vector<std::size_t> group(n);
  std::vector<Index> cells(groups, 0);
  for (std::size_t i = 0; i < n; ++i) {
    group[i] = group_of_key.at(keys[i]);
    ++cells[group[i]];
  }
  // Sums, feature by feature (long double is exact for integer sums far
  // beyond kMaxCount, so the range check below sees the true total).
  Matrix sums = Matrix::from_shape({static_cast<std::size_t>(counts.num_features()), groups});
  std::vector<double> y(n);
  std::vector<long double> total(groups);
  for (Index f = 0; f < counts.num_features(); ++f) {
    counts.CopyFeature(f, y.data());
    std::fill(total.begin(), total.end(), 0.0L);
    for (std::size_t i = 0; i < n; ++i) total[group[i]] += y[i];
    for (std::size_t k = 0; k < groups; ++k) {
      if (total[k] > static_cast<long double>(kMaxCount)) {
        throw InputError("pseudobulk", "feature '" + counts.feature_names()[static_cast<std::size_t>(f)] +
                                           "' in group '" + names[k] + "'",
                         "summed count exceeds 2147483647");
      }
      sums(static_cast<std::size_t>(f), k) = static_cast<double>(total[k]);
    }
  }
  PseudobulkResult result;
  result.counts = CountMatrix::FromDense(std::move(sums), counts.feature_names(), names, "pseudobulk");
  // Columns constant within every group describe the groups.
  std::vector<std::size_t> first_cell(groups, n);
  for (std::size_t i = 0; i < n; ++i) first_cell[group[i]] = std::min(first_cell[group[i]], i);
  std::vector<const SampleColumn*> kept;
  for (const SampleColumn& column : sheet.columns) {
    bool constant = true;
    for (std::size_t i = 0; i < n && constant; ++i) {
      const std::size_t first = first_cell[group[i]];
      constant = column.text[i] == column.text[first] && column.missing[i] == column.missing[first];
    }
    if (constant) {
      result.sample_columns.push_back(column.name);
      kept.push_back(&column);
    } else {
      result.dropped_columns.push_back(column.name);
    }
  }
  result.sample_columns.push_back("n_cells");
  result.sample_rows.resize(groups);
  for (std::size_t k = 0; k < groups; ++k) {
    for (const SampleColumn* column : kept) result.sample_rows[k].push_back(column->text[first_cell[k]]);
    result.sample_rows[k].push_back(std::to_string(cells[k]));
  }
  return result;
}

}  // namespace nbglm
