// Counts read a block at a time from a binary store — an HDF5 file
// (hdf5_counts.h) or a caller's arrays (array_counts.h) — and handed out
// feature-major, a range of features at a time, never as an observations ×
// features copy (docs/formats.md "HDF5 inputs", docs/api.md "Counts in
// memory").
//
// Stores come in four layouts:
//   - dense, observations as rows (AnnData's dense X, numpy C order);
//   - dense, features as rows (numpy Fortran order of observations × features);
//   - compressed by observation: offsets per observation, feature indices
//     (AnnData CSR, 10x Cell Ranger HDF5's features × barcodes CSC);
//   - compressed by feature: offsets per feature, observation indices
//     (AnnData CSC).
// Open() streams the store once, checking structure and every value and
// counting each feature's non-zeros (what memory planning needs); Read()
// streams what the range needs: a feature-row or compressed-by-feature store
// only the range, the others everything, keeping the range's entries.
#ifndef NBGLM_SRC_IO_BLOCK_COUNT_SOURCE_H_
#define NBGLM_SRC_IO_BLOCK_COUNT_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nbglm/counts.h"

namespace nbglm {

// Elements read at a time (8 MiB of doubles).
inline constexpr std::int64_t kCountBlockElements = std::int64_t{1} << 20;

class BlockCountSource {
 public:
  enum class Layout { kDenseObservationRows, kDenseFeatureRows, kByObservation, kByFeature };

  virtual ~BlockCountSource() = default;

  Index num_features() const { return num_features_; }
  Index num_observations() const { return num_observations_; }
  Layout layout() const { return layout_; }
  bool is_dense() const { return layout_ == Layout::kDenseObservationRows || layout_ == Layout::kDenseFeatureRows; }
  // "AnnData X (CSR)", "10x Cell Ranger HDF5", "numpy array", … for messages.
  const std::string& description() const { return description_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<std::string>& observation_names() const { return observation_names_; }
  // Non-zero counts per feature.
  const std::vector<std::uint32_t>& nonzeros() const { return nonzeros_; }
  // Σ_f y_fi per observation (exact: sums of integers below 2^53).
  const std::vector<double>& observation_totals() const { return observation_totals_; }

  // Features [begin, end): CSR for the compressed layouts; dense ones are
  // stored sparse when more than kSparseZeroFraction of the range's counts
  // are zero (the rule of dense tables). Explicit zeros are dropped; an
  // (observation, feature) entry stored twice is refused.
  CountMatrix Read(Index begin, Index end) const;

 protected:
  // What a subclass sets before Open(): layout_, the dimensions, names (both
  // filled), `what_` (names the store in CountMatrix messages), the element
  // names used in messages, and for compressed layouts offsets_ (the
  // num_major + 1 offsets) and num_entries_.
  Layout layout_ = Layout::kDenseObservationRows;
  Index num_features_ = 0;
  Index num_observations_ = 0;
  std::string description_;
  std::string what_;
  std::vector<std::string> feature_names_;
  std::vector<std::string> observation_names_;
  std::vector<std::int64_t> offsets_;
  std::int64_t num_entries_ = 0;
  std::string values_name_;   // "data.h5ad:/X/data", "X.data"; dense: "data.h5ad:/X", "X"
  std::string indices_name_;  // compressed: "data.h5ad:/X/indices"
  std::string offsets_name_;  // compressed: "data.h5ad:/X/indptr"

  // Compressed: entries [first, first + count) as doubles and int64 indices.
  virtual void ReadEntries(std::int64_t first, std::int64_t count, double* values, std::int64_t* indices) const = 0;
  // True when ReadEntries of a few entries costs no more than copying them
  // (arrays in memory): Read() of a compressed-by-observation store whose
  // indices are sorted within each observation then finds the range's
  // entries by binary search per observation instead of streaming all.
  virtual bool RandomAccess() const { return false; }
  // Dense: rows [row, row + rows) × columns [column, column + columns) of the
  // stored 2-D array, row-major into out.
  virtual void ReadDenseBlock(std::int64_t row, std::int64_t rows, std::int64_t column, std::int64_t columns,
                              double* out) const = 0;

  // Checks the offsets and every stored value and index; counts non-zeros.
  // Throws InputError naming the element ("X.indices[5]: 3: indices lie in
  // [0, 3)").
  void Open();

 private:
  void CheckOffsets() const;
  // CSR row offsets of features [begin, end): prefix sums of their non-zeros.
  std::vector<std::int64_t> RowOffsets(Index begin, Index end) const;
  // Calls visit(position, value, index) for the stored entries [first, last),
  // read a block of kCountBlockElements at a time.
  template <typename Visit>
  void ForEachEntry(std::int64_t first, std::int64_t last, Visit&& visit) const;
  CountMatrix ReadDense(Index begin, Index end) const;
  CountMatrix ReadByObservation(Index begin, Index end) const;
  CountMatrix ReadByObservationSearching(Index begin, Index end) const;
  CountMatrix ReadByFeature(Index begin, Index end) const;

  std::vector<std::uint32_t> nonzeros_;
  std::vector<double> observation_totals_;
  // Compressed by observation: feature indices strictly increase within
  // every observation (set by Open).
  bool sorted_within_observations_ = false;
};

}  // namespace nbglm

#endif  // NBGLM_SRC_IO_BLOCK_COUNT_SOURCE_H_
