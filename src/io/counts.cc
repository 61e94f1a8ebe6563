#include "nbglm/counts.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

std::vector<std::string> DefaultNames(const std::string& prefix, Index count) {
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(count));
  for (Index i = 0; i < count; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

// Fills in default names and checks lengths and observation-name uniqueness.
void CheckNames(const std::string& what, Index num_features, Index num_observations,
                std::vector<std::string>* feature_names,
                std::vector<std::string>* observation_names) {
  if (num_features < 1) {
    throw InputError(what, std::to_string(num_features) + " features", "a count matrix needs at least one feature");
  }
  if (num_observations < 1) {
    throw InputError(what, std::to_string(num_observations) + " observations",
                     "a count matrix needs at least one observation");
  }
  if (feature_names->empty()) *feature_names = DefaultNames("feature_", num_features);
  if (observation_names->empty()) *observation_names = DefaultNames("obs_", num_observations);
  if (static_cast<Index>(feature_names->size()) != num_features) {
    throw InputError(what, std::to_string(feature_names->size()) + " feature names",
                     "expected " + std::to_string(num_features) + " (one per feature)");
  }
  if (static_cast<Index>(observation_names->size()) != num_observations) {
    throw InputError(what, std::to_string(observation_names->size()) + " observation names",
                     "expected " + std::to_string(num_observations) + " (one per observation)");
  }
  CheckUniqueObservationNames(*observation_names, what);
}

}  // namespace

std::vector<std::string> DefaultObservationNames(Index count) { return DefaultNames("obs_", count); }

void CheckUniqueObservationNames(const std::vector<std::string>& names, const std::string& what) {
  // Observations are matched by name against designs and sample sheets, so a
  // repeated name would be ambiguous; features are only carried to outputs.
  std::unordered_set<std::string> seen;
  seen.reserve(names.size());
  for (const std::string& name : names) {
    if (!seen.insert(name).second) {
      throw InputError(what, "observation name '" + name + "'", "observation names must be unique");
    }
  }
}

bool IsValidCount(double value, std::string* rule) {
  // Written so that NaN fails the first test.
  if (!(value >= 0.0) || !std::isfinite(value) || value != std::floor(value)) {
    *rule = "counts must be non-negative integers";
    return false;
  }
  if (value > kMaxCount) {
    *rule = "counts must not exceed 2147483647";
    return false;
  }
  return true;
}

CountMatrix CountMatrix::FromDense(Matrix counts, std::vector<std::string> feature_names,
                                   std::vector<std::string> observation_names, const std::string& what) {
  const Index num_features = static_cast<Index>(counts.shape(0));
  const Index num_observations = static_cast<Index>(counts.shape(1));
  CheckNames(what, num_features, num_observations, &feature_names, &observation_names);
  std::string rule;
  for (Index f = 0; f < num_features; ++f) {
    const double* row = counts.data() + f * num_observations;
    for (Index i = 0; i < num_observations; ++i) {
      if (!IsValidCount(row[i], &rule)) {
        throw InputError(what + ": feature '" + feature_names[static_cast<std::size_t>(f)] + "', observation '" +
                             observation_names[static_cast<std::size_t>(i)] + "'",
                         FormatDouble(row[i]), rule);
      }
    }
  }
  CountMatrix matrix;
  matrix.num_features_ = num_features;
  matrix.num_observations_ = num_observations;
  matrix.sparse_ = false;
  matrix.dense_ = std::move(counts);
  matrix.feature_names_ = std::move(feature_names);
  matrix.observation_names_ = std::move(observation_names);
  return matrix;
}

CountMatrix CountMatrix::FromCsr(Index num_features, Index num_observations, std::vector<std::int64_t> row_offsets,
                                 std::vector<std::int32_t> column_indices, std::vector<double> values,
                                 std::vector<std::string> feature_names, std::vector<std::string> observation_names,
                                 const std::string& what) {
  CheckNames(what, num_features, num_observations, &feature_names, &observation_names);
  if (num_observations > 2147483647) {
    throw InputError(what, std::to_string(num_observations) + " observations",
                     "sparse storage indexes observations with 32-bit integers (at most 2147483647)");
  }
  if (static_cast<Index>(row_offsets.size()) != num_features + 1) {
    throw InputError(what, std::to_string(row_offsets.size()) + " row offsets",
                     "expected " + std::to_string(num_features + 1) + " (features + 1)");
  }
  if (column_indices.size() != values.size()) {
    throw InputError(what, std::to_string(column_indices.size()) + " column indices",
                     "expected " + std::to_string(values.size()) + " (one per value)");
  }
  if (row_offsets.front() != 0) {
    throw InputError(what, "first row offset " + std::to_string(row_offsets.front()), "must be 0");
  }
  if (row_offsets.back() != static_cast<std::int64_t>(values.size())) {
    throw InputError(what, "last row offset " + std::to_string(row_offsets.back()),
                     "must equal the number of values, " + std::to_string(values.size()));
  }
  std::string rule;
  for (Index f = 0; f < num_features; ++f) {
    const std::int64_t begin = row_offsets[static_cast<std::size_t>(f)];
    const std::int64_t end = row_offsets[static_cast<std::size_t>(f) + 1];
    const std::string feature_where = what + ": feature '" + feature_names[static_cast<std::size_t>(f)] + "'";
    if (end < begin) {
      throw InputError(feature_where, "row offsets " + std::to_string(begin) + " > " + std::to_string(end),
                       "row offsets must not decrease");
    }
    std::int64_t previous = -1;
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int64_t column = column_indices[static_cast<std::size_t>(k)];
      if (column < 0 || column >= num_observations) {
        throw InputError(feature_where, "column index " + std::to_string(column),
                         "must lie in [0, " + std::to_string(num_observations) + ")");
      }
      if (column <= previous) {
        throw InputError(feature_where, "column index " + std::to_string(column) + " after " + std::to_string(previous),
                         "column indices must increase strictly within a feature (sorted, unique)");
      }
      previous = column;
      const double value = values[static_cast<std::size_t>(k)];
      if (!IsValidCount(value, &rule)) {
        throw InputError(feature_where + ", observation '" + observation_names[static_cast<std::size_t>(column)] + "'",
                         FormatDouble(value), rule);
      }
    }
  }
  CountMatrix matrix;
  matrix.num_features_ = num_features;
  matrix.num_observations_ = num_observations;
  matrix.sparse_ = true;
  matrix.row_offsets_ = std::move(row_offsets);
  matrix.column_indices_ = std::move(column_indices);
  matrix.values_ = std::move(values);
  matrix.feature_names_ = std::move(feature_names);
  matrix.observation_names_ = std::move(observation_names);
  return matrix;
}

void CountMatrix::CheckFeatureIndex(Index feature, const char* method) const {
  if (feature < 0 || feature >= num_features_) {
    throw InputError(std::string("CountMatrix::") + method, "feature " + std::to_string(feature),
                     "must lie in [0, " + std::to_string(num_features_) + ")");
  }
}

void CountMatrix::CopyFeature(Index feature, double* out) const {
  CheckFeatureIndex(feature, "CopyFeature");
  const std::size_t n = static_cast<std::size_t>(num_observations_);
  if (!sparse_) {
    std::memcpy(out, dense_.data() + static_cast<std::size_t>(feature) * n, n * sizeof(double));
    return;
  }
  std::fill(out, out + n, 0.0);
  const std::int64_t end = row_offsets_[static_cast<std::size_t>(feature) + 1];
  for (std::int64_t k = row_offsets_[static_cast<std::size_t>(feature)]; k < end; ++k) {
    out[column_indices_[static_cast<std::size_t>(k)]] = values_[static_cast<std::size_t>(k)];
  }
}

bool CountMatrix::FeatureIsAllZero(Index feature) const {
  CheckFeatureIndex(feature, "FeatureIsAllZero");
  const double* begin;
  const double* end;
  if (sparse_) {
    begin = values_.data() + row_offsets_[static_cast<std::size_t>(feature)];
    end = values_.data() + row_offsets_[static_cast<std::size_t>(feature) + 1];
  } else {
    begin = dense_.data() + feature * num_observations_;
    end = begin + num_observations_;
  }
  return std::all_of(begin, end, [](double value) { return value == 0.0; });
}

double CountMatrix::FeatureSum(Index feature) const {
  CheckFeatureIndex(feature, "FeatureSum");
  double sum = 0.0;
  if (sparse_) {
    const std::int64_t end = row_offsets_[static_cast<std::size_t>(feature) + 1];
    for (std::int64_t k = row_offsets_[static_cast<std::size_t>(feature)]; k < end; ++k) {
      sum += values_[static_cast<std::size_t>(k)];
    }
  } else {
    const double* row = dense_.data() + feature * num_observations_;
    for (Index i = 0; i < num_observations_; ++i) sum += row[i];
  }
  return sum;  // exact: integers well below 2^53
}

Vector CountMatrix::ObservationTotals() const {
  Vector totals = xt::zeros<double>({static_cast<std::size_t>(num_observations_)});
  if (sparse_) {
    for (std::size_t k = 0; k < values_.size(); ++k) totals(static_cast<std::size_t>(column_indices_[k])) += values_[k];
  } else {
    // Row by row: streams through memory in storage order.
    for (Index f = 0; f < num_features_; ++f) {
      const double* row = dense_.data() + f * num_observations_;
      for (Index i = 0; i < num_observations_; ++i) totals(static_cast<std::size_t>(i)) += row[i];
    }
  }
  return totals;
}

Index CountMatrix::num_stored_values() const {
  return sparse_ ? static_cast<Index>(values_.size()) : num_features_ * num_observations_;
}

const Matrix& CountMatrix::dense_counts() const {
  if (sparse_) throw InputError("CountMatrix::dense_counts", "sparse matrix", "use CopyFeature or the CSR accessors");
  return dense_;
}

const std::vector<std::int64_t>& CountMatrix::row_offsets() const {
  if (!sparse_) throw InputError("CountMatrix::row_offsets", "dense matrix", "use CopyFeature or dense_counts");
  return row_offsets_;
}

const std::vector<std::int32_t>& CountMatrix::column_indices() const {
  if (!sparse_) throw InputError("CountMatrix::column_indices", "dense matrix", "use CopyFeature or dense_counts");
  return column_indices_;
}

const std::vector<double>& CountMatrix::sparse_values() const {
  if (!sparse_) throw InputError("CountMatrix::sparse_values", "dense matrix", "use CopyFeature or dense_counts");
  return values_;
}

CountMatrix CountMatrix::ToSparse() const {
  if (sparse_) return *this;
  CountMatrix matrix;
  matrix.num_features_ = num_features_;
  matrix.num_observations_ = num_observations_;
  matrix.sparse_ = true;
  matrix.row_offsets_.reserve(static_cast<std::size_t>(num_features_) + 1);
  matrix.row_offsets_.push_back(0);
  for (Index f = 0; f < num_features_; ++f) {
    const double* row = dense_.data() + f * num_observations_;
    for (Index i = 0; i < num_observations_; ++i) {
      if (row[i] != 0.0) {
        matrix.column_indices_.push_back(static_cast<std::int32_t>(i));
        matrix.values_.push_back(row[i]);
      }
    }
    matrix.row_offsets_.push_back(static_cast<std::int64_t>(matrix.values_.size()));
  }
  matrix.feature_names_ = feature_names_;
  matrix.observation_names_ = observation_names_;
  return matrix;
}

CountMatrix CountMatrix::ToDense() const {
  if (!sparse_) return *this;
  CountMatrix matrix;
  matrix.num_features_ = num_features_;
  matrix.num_observations_ = num_observations_;
  matrix.sparse_ = false;
  matrix.dense_ = Matrix::from_shape({static_cast<std::size_t>(num_features_),
                                      static_cast<std::size_t>(num_observations_)});
  for (Index f = 0; f < num_features_; ++f) CopyFeature(f, matrix.dense_.data() + f * num_observations_);
  matrix.feature_names_ = feature_names_;
  matrix.observation_names_ = observation_names_;
  return matrix;
}

CountMatrix SelectCountColumns(const CountMatrix& counts, const std::vector<std::string>& observation_names) {
  std::unordered_map<std::string, Index> position;
  for (Index j = 0; j < counts.num_observations(); ++j) position.emplace(counts.observation_names()[static_cast<std::size_t>(j)], j);
  const Index n = static_cast<Index>(observation_names.size());
  std::vector<Index> new_index(static_cast<std::size_t>(counts.num_observations()), -1);
  std::vector<Index> source(static_cast<std::size_t>(n));
  for (Index k = 0; k < n; ++k) {
    const std::string& name = observation_names[static_cast<std::size_t>(k)];
    const auto found = position.find(name);
    if (found == position.end()) throw InputError("observations", "'" + name + "'", "is not a column of the counts");
    if (new_index[static_cast<std::size_t>(found->second)] >= 0) {
      throw InputError("observations", "'" + name + "'", "is selected twice");
    }
    new_index[static_cast<std::size_t>(found->second)] = k;
    source[static_cast<std::size_t>(k)] = found->second;
  }
  const Index features = counts.num_features();
  if (!counts.is_sparse()) {
    const Matrix& dense = counts.dense_counts();
    Matrix selected = Matrix::from_shape({static_cast<std::size_t>(features), static_cast<std::size_t>(n)});
    for (Index f = 0; f < features; ++f) {
      for (Index k = 0; k < n; ++k) {
        selected(static_cast<std::size_t>(f), static_cast<std::size_t>(k)) =
            dense(static_cast<std::size_t>(f), static_cast<std::size_t>(source[static_cast<std::size_t>(k)]));
      }
    }
    return CountMatrix::FromDense(std::move(selected), counts.feature_names(), observation_names);
  }
  std::vector<std::int64_t> offsets(1, 0);
  std::vector<std::int32_t> columns;
  std::vector<double> values;
  std::vector<std::pair<std::int32_t, double>> row;
  for (Index f = 0; f < features; ++f) {
    row.clear();
    for (std::int64_t e = counts.row_offsets()[static_cast<std::size_t>(f)];
         e < counts.row_offsets()[static_cast<std::size_t>(f) + 1]; ++e) {
      const Index k = new_index[static_cast<std::size_t>(counts.column_indices()[static_cast<std::size_t>(e)])];
      if (k >= 0) row.emplace_back(static_cast<std::int32_t>(k), counts.sparse_values()[static_cast<std::size_t>(e)]);
    }
    std::sort(row.begin(), row.end());
    for (const auto& [column, value] : row) {
      columns.push_back(column);
      values.push_back(value);
    }
    offsets.push_back(static_cast<std::int64_t>(columns.size()));
  }
  return CountMatrix::FromCsr(features, n, std::move(offsets), std::move(columns), std::move(values),
                              counts.feature_names(), observation_names);
}

}  // namespace nbglm
