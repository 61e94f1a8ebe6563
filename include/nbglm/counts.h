// The count matrix the estimators read (docs/api.md): features × observations,
// feature-major, so that one feature's counts are contiguous and per-feature
// work stays in cache.
//
// Two storages, chosen by the reader (nbglm/counts_io.h), invisible to the
// estimators, which only call CopyFeature():
//   - dense: an xtensor matrix, row f = feature f;
//   - sparse: CSR by feature (row offsets int64, column indices int32, values
//     double), the natural layout for single-cell data that is ~90% zeros.
// Nothing of size features × observations exists besides the data itself.
//
// Every stored count is a finite non-negative integer no larger than
// kMaxCount; the factories check this once, so the estimators never have to.
#ifndef NBGLM_COUNTS_H_
#define NBGLM_COUNTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nbglm/types.h"

namespace nbglm {

// The largest count accepted: 2^31 − 1, the largest integer that R, scipy
// (int32 indices/values) and 10x tools hold. Larger "counts" are almost
// always a corrupt file or normalised data passed by mistake.
inline constexpr double kMaxCount = 2147483647.0;

class CountMatrix {
 public:
  // An empty 0 × 0 matrix, useful only as a target of assignment.
  CountMatrix() = default;

  // Dense counts, features × observations. Empty name vectors give
  // "feature_0", … and "obs_0", …. Throws InputError, prefixed by `what`, for
  // a shape of zero features or zero observations, name vectors of the wrong
  // length, duplicated observation names, or any entry that is not a finite
  // non-negative integer ≤ kMaxCount (the message names feature and
  // observation). Feature names may repeat (gene symbols do); they are labels
  // carried to the outputs in input order.
  static CountMatrix FromDense(Matrix counts, std::vector<std::string> feature_names = {},
                               std::vector<std::string> observation_names = {},
                               const std::string& what = "counts");

  // Sparse counts in CSR by feature: the nonzeros of feature f are at
  // positions row_offsets[f] … row_offsets[f + 1] − 1 of column_indices and
  // values. Checks, besides the rules of FromDense: row_offsets has
  // num_features + 1 entries, starts at 0, never decreases and ends at
  // values.size() == column_indices.size(); column indices lie in
  // [0, num_observations) and increase strictly within a feature (sorted,
  // unique). Explicitly stored zeros are allowed.
  static CountMatrix FromCsr(Index num_features, Index num_observations,
                             std::vector<std::int64_t> row_offsets,
                             std::vector<std::int32_t> column_indices, std::vector<double> values,
                             std::vector<std::string> feature_names = {},
                             std::vector<std::string> observation_names = {},
                             const std::string& what = "counts");

  Index num_features() const { return num_features_; }
  Index num_observations() const { return num_observations_; }
  bool is_sparse() const { return sparse_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<std::string>& observation_names() const { return observation_names_; }

  // Writes the num_observations() counts of `feature` densely into out[0..n).
  // This is how estimators read data, whatever the storage. Throws InputError
  // for a feature index out of range.
  void CopyFeature(Index feature, double* out) const;

  // True when every count of the feature is 0 (such a feature gets status
  // all_zero instead of a fit).
  bool FeatureIsAllZero(Index feature) const;

  // Σ_i y_fi.
  double FeatureSum(Index feature) const;

  // Column sums: the total count of each observation (library size), the
  // input of "total" size factors. Length num_observations().
  Vector ObservationTotals() const;

  // Number of stored values: num_features × num_observations when dense,
  // the CSR length when sparse.
  Index num_stored_values() const;

  // Storage access for code that exploits it (writers, size factors). The
  // dense accessor throws InputError on a sparse matrix and vice versa.
  const Matrix& dense_counts() const;
  const std::vector<std::int64_t>& row_offsets() const;
  const std::vector<std::int32_t>& column_indices() const;
  const std::vector<double>& sparse_values() const;

  // The same counts in the other storage (sparse conversion drops zeros). A
  // matrix already in the requested storage is copied.
  CountMatrix ToSparse() const;
  CountMatrix ToDense() const;

 private:
  void CheckFeatureIndex(Index feature, const char* method) const;

  Index num_features_ = 0;
  Index num_observations_ = 0;
  bool sparse_ = false;
  Matrix dense_;                              // dense storage (empty when sparse)
  std::vector<std::int64_t> row_offsets_;     // CSR (empty when dense)
  std::vector<std::int32_t> column_indices_;  // CSR
  std::vector<double> values_;                // CSR
  std::vector<std::string> feature_names_;
  std::vector<std::string> observation_names_;
};

// The columns (observations) named in `observation_names`, in that order, in
// the storage of `counts`. Throws InputError naming the first unknown or
// repeated name.
CountMatrix SelectCountColumns(const CountMatrix& counts, const std::vector<std::string>& observation_names);

// "obs_0", …, the names of observations a file does not name.
std::vector<std::string> DefaultObservationNames(Index count);
// Throws InputError("<what>: observation name '<name>': observation names
// must be unique") for the first repeated name.
void CheckUniqueObservationNames(const std::vector<std::string>& names, const std::string& what);

// Checks that `value` may be a count: finite, integral, 0 ≤ value ≤
// kMaxCount. On failure returns false and sets *rule to the broken rule
// ("counts must be non-negative integers" or "counts must not exceed
// 2147483647"), for readers that compose their own "where: value: rule".
bool IsValidCount(double value, std::string* rule);

}  // namespace nbglm

#endif  // NBGLM_COUNTS_H_
