#include "io/block_count_source.h"

#include <algorithm>
#include <utility>

#include "io/huge_pages.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

std::string At(const std::string& name, std::int64_t index) { return name + "[" + std::to_string(index) + "]"; }
std::string At(const std::string& name, std::int64_t row, std::int64_t column) {
  return name + "[" + std::to_string(row) + ", " + std::to_string(column) + "]";
}

// IsValidCount's rule without a call per value: 0 ≤ value ≤ kMaxCount
// (false for NaN), then integral — the int64 cast is exact in that range.
inline bool IsCount(double value) {
  return value >= 0.0 && value <= kMaxCount && static_cast<double>(static_cast<std::int64_t>(value)) == value;
}

std::vector<std::string> Slice(const std::vector<std::string>& names, Index begin, Index end) {
  return std::vector<std::string>(names.begin() + begin, names.begin() + end);
}

}  // namespace

template <typename Visit>
void BlockCountSource::ForEachEntry(std::int64_t first, std::int64_t last, Visit&& visit) const {
  std::vector<double> values;
  std::vector<std::int64_t> indices;
  for (std::int64_t at = first; at < last; at += kCountBlockElements) {
    const std::int64_t count = std::min(kCountBlockElements, last - at);
    values.resize(static_cast<std::size_t>(count));
    indices.resize(static_cast<std::size_t>(count));
    ReadEntries(at, count, values.data(), indices.data());
    for (std::int64_t k = 0; k < count; ++k) {
      visit(at + k, values[static_cast<std::size_t>(k)], indices[static_cast<std::size_t>(k)]);
    }
  }
}

void BlockCountSource::CheckOffsets() const {
  const std::int64_t major = static_cast<std::int64_t>(offsets_.size()) - 1;
  if (offsets_[0] != 0) throw InputError(At(offsets_name_, 0), std::to_string(offsets_[0]), "offsets start at 0");
  for (std::int64_t k = 0; k < major; ++k) {
    const std::int64_t previous = offsets_[static_cast<std::size_t>(k)];
    const std::int64_t next = offsets_[static_cast<std::size_t>(k + 1)];
    if (next < previous) {
      throw InputError(At(offsets_name_, k + 1), std::to_string(next),
                       "offsets never decrease (previous " + std::to_string(previous) + ")");
    }
  }
  if (offsets_.back() != num_entries_) {
    throw InputError(At(offsets_name_, major), std::to_string(offsets_.back()),
                     "the last offset equals the number of stored values, " + std::to_string(num_entries_));
  }
}

void BlockCountSource::Open() {
  nonzeros_.assign(static_cast<std::size_t>(num_features_), 0);
  observation_totals_.assign(static_cast<std::size_t>(num_observations_), 0.0);
  std::string rule;
  if (is_dense()) {
    const bool observation_rows = layout_ == Layout::kDenseObservationRows;
    const std::int64_t rows_total = observation_rows ? num_observations_ : num_features_;
    const std::int64_t columns = observation_rows ? num_features_ : num_observations_;
    const std::int64_t rows_per_block = std::max<std::int64_t>(1, kCountBlockElements / columns);
    std::vector<double> block;
    for (std::int64_t row = 0; row < rows_total; row += rows_per_block) {
      const std::int64_t rows = std::min(rows_per_block, rows_total - row);
      block.resize(static_cast<std::size_t>(rows * columns));
      ReadDenseBlock(row, rows, 0, columns, block.data());
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < columns; ++c) {
          const double value = block[static_cast<std::size_t>(r * columns + c)];
          if (!IsCount(value) && !IsValidCount(value, &rule)) {
            throw InputError(At(values_name_, row + r, c), FormatDouble(value), rule);
          }
          if (value == 0.0) continue;
          ++nonzeros_[static_cast<std::size_t>(observation_rows ? c : row + r)];
          observation_totals_[static_cast<std::size_t>(observation_rows ? row + r : c)] += value;
        }
      }
    }
    return;
  }
  const bool by_observation = layout_ == Layout::kByObservation;
  const std::int64_t major = by_observation ? num_observations_ : num_features_;
  const std::int64_t minor = by_observation ? num_features_ : num_observations_;
  if (static_cast<std::int64_t>(offsets_.size()) != major + 1) {
    throw InputError(offsets_name_, std::to_string(offsets_.size()) + " offsets",
                     "expected " + std::to_string(major + 1) + " (one more than the " + std::to_string(major) +
                         " compressed rows or columns)");
  }
  CheckOffsets();
  std::size_t slot = 0;  // the compressed row / column of the current entry
  sorted_within_observations_ = by_observation;
  std::size_t previous_slot = 0;
  std::int64_t previous_index = -1;
  ForEachEntry(0, num_entries_, [&](std::int64_t position, double value, std::int64_t index) {
    if (index < 0 || index >= minor) {
      throw InputError(At(indices_name_, position), std::to_string(index),
                       "indices lie in [0, " + std::to_string(minor) + ")");
    }
    if (!IsCount(value) && !IsValidCount(value, &rule)) {
      throw InputError(At(values_name_, position), FormatDouble(value), rule);
    }
    while (offsets_[slot + 1] <= position) ++slot;
    if (slot == previous_slot && index <= previous_index) sorted_within_observations_ = false;
    previous_slot = slot;
    previous_index = index;
    if (value == 0.0) return;
    if (by_observation) {
      ++nonzeros_[static_cast<std::size_t>(index)];
      observation_totals_[slot] += value;
    } else {
      ++nonzeros_[slot];
      observation_totals_[static_cast<std::size_t>(index)] += value;
    }
  });
}

CountMatrix BlockCountSource::Read(Index begin, Index end) const {
  switch (layout_) {
    case Layout::kByObservation:
      return ReadByObservation(begin, end);
    case Layout::kByFeature:
      return ReadByFeature(begin, end);
    case Layout::kDenseObservationRows:
    case Layout::kDenseFeatureRows:
      break;
  }
  return ReadDense(begin, end);
}

std::vector<std::int64_t> BlockCountSource::RowOffsets(Index begin, Index end) const {
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(end - begin) + 1, 0);
  for (Index f = begin; f < end; ++f) {
    offsets[static_cast<std::size_t>(f - begin + 1)] =
        offsets[static_cast<std::size_t>(f - begin)] + nonzeros_[static_cast<std::size_t>(f)];
  }
  return offsets;
}

CountMatrix BlockCountSource::ReadDense(Index begin, Index end) const {
  const std::int64_t features = end - begin;
  const std::int64_t n = num_observations_;
  std::vector<std::int64_t> row_offsets = RowOffsets(begin, end);
  const std::int64_t stored = row_offsets.back();
  const double zero_fraction = 1.0 - static_cast<double>(stored) / (static_cast<double>(features) * static_cast<double>(n));
  const bool sparse = zero_fraction > kSparseZeroFraction;
  Matrix out;
  std::vector<std::int32_t> csr_columns;
  std::vector<double> csr_values;
  std::vector<std::int64_t> cursor;
  if (sparse) {
    ResizeOnHugePages(&csr_columns, static_cast<std::size_t>(stored));
    ResizeOnHugePages(&csr_values, static_cast<std::size_t>(stored));
    cursor.assign(row_offsets.begin(), row_offsets.end() - 1);
  } else {
    out = Matrix::from_shape({static_cast<std::size_t>(features), static_cast<std::size_t>(n)});
  }
  // Visits one value of feature f (relative to begin) and observation i.
  auto take = [&](std::int64_t f, std::int64_t i, double value) {
    if (!sparse) {
      out(static_cast<std::size_t>(f), static_cast<std::size_t>(i)) = value;
      return;
    }
    if (value == 0.0) return;
    std::int64_t& at = cursor[static_cast<std::size_t>(f)];
    if (at >= row_offsets[static_cast<std::size_t>(f + 1)]) {
      throw InputError(values_name_, "changed while read", "the counts were modified during the run");
    }
    csr_columns[static_cast<std::size_t>(at)] = static_cast<std::int32_t>(i);
    csr_values[static_cast<std::size_t>(at)] = value;
    ++at;
  };
  std::vector<double> block;
  if (layout_ == Layout::kDenseFeatureRows) {
    const std::int64_t rows_per_block = std::max<std::int64_t>(1, kCountBlockElements / n);
    for (std::int64_t row = begin; row < end; row += rows_per_block) {
      const std::int64_t rows = std::min(rows_per_block, end - row);
      block.resize(static_cast<std::size_t>(rows * n));
      ReadDenseBlock(row, rows, 0, n, block.data());
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t i = 0; i < n; ++i) take(row + r - begin, i, block[static_cast<std::size_t>(r * n + i)]);
      }
    }
  } else {
    const std::int64_t rows_per_block = std::max<std::int64_t>(1, kCountBlockElements / features);
    for (std::int64_t row = 0; row < n; row += rows_per_block) {
      const std::int64_t rows = std::min(rows_per_block, n - row);
      block.resize(static_cast<std::size_t>(rows * features));
      ReadDenseBlock(row, rows, begin, features, block.data());
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t f = 0; f < features; ++f) take(f, row + r, block[static_cast<std::size_t>(r * features + f)]);
      }
    }
  }
  if (!sparse) return CountMatrix::FromDense(std::move(out), Slice(feature_names_, begin, end), observation_names_, what_);
  return CountMatrix::FromCsr(features, n, std::move(row_offsets), std::move(csr_columns), std::move(csr_values),
                              Slice(feature_names_, begin, end), observation_names_, what_);
}

// Every entry is streamed in observation order, so each feature's
// observations arrive sorted; an equal neighbour is a duplicated entry.
CountMatrix BlockCountSource::ReadByObservation(Index begin, Index end) const {
  if (sorted_within_observations_ && RandomAccess()) return ReadByObservationSearching(begin, end);
  std::vector<std::int64_t> row_offsets = RowOffsets(begin, end);
  const std::size_t total = static_cast<std::size_t>(row_offsets.back());
  std::vector<std::int32_t> csr_columns;
  std::vector<double> csr_values;
  ResizeOnHugePages(&csr_columns, total);
  ResizeOnHugePages(&csr_values, total);
  std::vector<std::int64_t> cursor(row_offsets.begin(), row_offsets.end() - 1);
  std::size_t observation = 0;
  ForEachEntry(0, num_entries_, [&](std::int64_t position, double value, std::int64_t feature) {
    if (feature < begin || feature >= end || value == 0.0) return;
    while (offsets_[observation + 1] <= position) ++observation;
    const std::size_t r = static_cast<std::size_t>(feature - begin);
    std::int64_t& at = cursor[r];
    if (at >= row_offsets[r + 1]) {
      throw InputError(values_name_, "changed while read", "the counts were modified during the run");
    }
    if (at > row_offsets[r] && csr_columns[static_cast<std::size_t>(at - 1)] == static_cast<std::int32_t>(observation)) {
      throw InputError(At(indices_name_, position), std::to_string(feature),
                       "feature " + std::to_string(feature) + " is stored twice for observation " +
                           std::to_string(observation) + " (a duplicated entry)");
    }
    csr_columns[static_cast<std::size_t>(at)] = static_cast<std::int32_t>(observation);
    csr_values[static_cast<std::size_t>(at)] = value;
    ++at;
  });
  return CountMatrix::FromCsr(end - begin, num_observations_, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), Slice(feature_names_, begin, end), observation_names_, what_);
}

// The same entries in the same order as ReadByObservation, found without a
// pass over the store: within each observation the feature indices strictly
// increase (checked by Open), so the range is one slice of it, located by
// binary search — O(n·log + the range's entries) per read instead of O(all).
CountMatrix BlockCountSource::ReadByObservationSearching(Index begin, Index end) const {
  std::vector<std::int64_t> row_offsets = RowOffsets(begin, end);
  const std::size_t total = static_cast<std::size_t>(row_offsets.back());
  std::vector<std::int32_t> csr_columns;
  std::vector<double> csr_values;
  ResizeOnHugePages(&csr_columns, total);
  ResizeOnHugePages(&csr_values, total);
  std::vector<std::int64_t> cursor(row_offsets.begin(), row_offsets.end() - 1);
  const auto index_at = [this](std::int64_t position) {
    double value = 0.0;
    std::int64_t index = 0;
    ReadEntries(position, 1, &value, &index);
    return index;
  };
  // The first position in [low, high) whose index is >= feature.
  const auto lower_bound = [&](std::int64_t low, std::int64_t high, Index feature) {
    while (low < high) {
      const std::int64_t middle = low + (high - low) / 2;
      if (index_at(middle) < feature) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  };
  std::vector<double> values;
  std::vector<std::int64_t> indices;
  for (Index observation = 0; observation < num_observations_; ++observation) {
    const std::int64_t first = offsets_[static_cast<std::size_t>(observation)];
    const std::int64_t last = offsets_[static_cast<std::size_t>(observation) + 1];
    const std::int64_t from = lower_bound(first, last, begin);
    const std::int64_t to = lower_bound(from, last, end);
    if (to == from) continue;
    values.resize(static_cast<std::size_t>(to - from));
    indices.resize(static_cast<std::size_t>(to - from));
    ReadEntries(from, to - from, values.data(), indices.data());
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (values[k] == 0.0) continue;
      if (indices[k] < begin || indices[k] >= end) {  // unsorted now: the arrays changed since Open
        throw InputError(values_name_, "changed while read", "the counts were modified during the run");
      }
      const std::size_t r = static_cast<std::size_t>(indices[k] - begin);
      std::int64_t& at = cursor[r];
      if (at >= row_offsets[r + 1]) {
        throw InputError(values_name_, "changed while read", "the counts were modified during the run");
      }
      csr_columns[static_cast<std::size_t>(at)] = static_cast<std::int32_t>(observation);
      csr_values[static_cast<std::size_t>(at)] = values[k];
      ++at;
    }
  }
  return CountMatrix::FromCsr(end - begin, num_observations_, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), Slice(feature_names_, begin, end), observation_names_, what_);
}

// The range's slices are read directly; observations are sorted within a
// feature when the store did not.
CountMatrix BlockCountSource::ReadByFeature(Index begin, Index end) const {
  const std::size_t rows = static_cast<std::size_t>(end - begin);
  std::vector<std::int64_t> row_offsets(rows + 1, 0);
  std::vector<std::int32_t> csr_columns;
  std::vector<double> csr_values;
  std::int64_t stored = 0;
  for (Index f = begin; f < end; ++f) stored += nonzeros_[static_cast<std::size_t>(f)];
  csr_columns.reserve(static_cast<std::size_t>(stored));
  csr_values.reserve(static_cast<std::size_t>(stored));
  AdviseHugePages(csr_columns.data(), csr_columns.capacity() * sizeof(std::int32_t));
  AdviseHugePages(csr_values.data(), csr_values.capacity() * sizeof(double));
  std::vector<std::pair<std::int32_t, double>> entries;
  const auto by_observation = [](const auto& a, const auto& b) { return a.first < b.first; };
  // Feature f's entries, gathered in `entries`, into the CSR (sorted; a
  // duplicated observation refused).
  const auto finish = [&](Index f) {
    if (!std::is_sorted(entries.begin(), entries.end(), by_observation)) {
      std::stable_sort(entries.begin(), entries.end(), by_observation);
    }
    for (std::size_t k = 0; k + 1 < entries.size(); ++k) {
      if (entries[k].first == entries[k + 1].first) {
        throw InputError(indices_name_, "feature " + std::to_string(f),
                         "observation " + std::to_string(entries[k].first) + " is stored twice (a duplicated entry)");
      }
    }
    for (const auto& [observation, value] : entries) {
      csr_columns.push_back(observation);
      csr_values.push_back(value);
    }
    row_offsets[static_cast<std::size_t>(f - begin + 1)] = static_cast<std::int64_t>(csr_values.size());
    entries.clear();
  };
  // The range's entries are contiguous: read them in one pass of blocks (not
  // one read per feature), finishing each feature where its offsets end.
  Index f = begin;
  const auto finish_until = [&](std::int64_t at) {
    while (f < end && at >= offsets_[static_cast<std::size_t>(f + 1)]) finish(f++);
  };
  ForEachEntry(offsets_[static_cast<std::size_t>(begin)], offsets_[static_cast<std::size_t>(end)],
               [&](std::int64_t at, double value, std::int64_t observation) {
                 finish_until(at);
                 if (observation < 0 || observation >= num_observations_) {
                   throw InputError(values_name_, "changed while read", "the counts were modified during the run");
                 }
                 if (value != 0.0) entries.emplace_back(static_cast<std::int32_t>(observation), value);
               });
  finish_until(offsets_[static_cast<std::size_t>(end)]);
  return CountMatrix::FromCsr(end - begin, num_observations_, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), Slice(feature_names_, begin, end), observation_names_, what_);
}

}  // namespace nbglm
