#include "io/array_counts.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "nbglm/counts.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

// Calls f(pointer) with `data` as a pointer to its element type.
template <typename F>
void WithType(ElementType type, const void* data, F&& f) {
  switch (type) {
    case ElementType::kFloat32:
      return f(static_cast<const float*>(data));
    case ElementType::kFloat64:
      return f(static_cast<const double*>(data));
    case ElementType::kInt8:
      return f(static_cast<const std::int8_t*>(data));
    case ElementType::kInt16:
      return f(static_cast<const std::int16_t*>(data));
    case ElementType::kInt32:
      return f(static_cast<const std::int32_t*>(data));
    case ElementType::kInt64:
      return f(static_cast<const std::int64_t*>(data));
    case ElementType::kUint8:
      return f(static_cast<const std::uint8_t*>(data));
    case ElementType::kUint16:
      return f(static_cast<const std::uint16_t*>(data));
    case ElementType::kUint32:
      return f(static_cast<const std::uint32_t*>(data));
    case ElementType::kUint64:
      return f(static_cast<const std::uint64_t*>(data));
  }
}

bool IsInteger(ElementType type) { return type != ElementType::kFloat32 && type != ElementType::kFloat64; }

// An index or offset as int64; unsigned values beyond int64 become -1 (out
// of every range, so the range checks refuse them).
template <typename T>
std::int64_t AsIndex(T value) {
  if constexpr (std::is_unsigned_v<T>) {
    return value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ? -1
                                                                                        : static_cast<std::int64_t>(value);
  } else {
    return static_cast<std::int64_t>(value);
  }
}

}  // namespace

ArrayCountSource::ArrayCountSource(const CountArrayView& view) : view_(view) {
  const std::string& what = view.what;
  if (view.num_features < 1 || view.num_observations < 1 || view.num_features > kMaxCountDimension ||
      view.num_observations > kMaxCountDimension) {
    throw InputError(what, std::to_string(view.num_observations) + " observations x " + std::to_string(view.num_features) +
                               " features",
                     "between 1 and " + std::to_string(kMaxCountDimension) + " of each are supported");
  }
  if (view.values == nullptr) throw InputError(what, "no values", "a count view needs its values");
  num_features_ = view.num_features;
  num_observations_ = view.num_observations;
  feature_names_ = std::move(view_.feature_names);
  if (feature_names_.empty()) {
    feature_names_.reserve(static_cast<std::size_t>(num_features_));
    for (Index f = 0; f < num_features_; ++f) feature_names_.push_back("feature_" + std::to_string(f));
  }
  observation_names_ = std::move(view_.observation_names);
  if (observation_names_.empty()) observation_names_ = DefaultObservationNames(num_observations_);
  if (static_cast<Index>(feature_names_.size()) != num_features_) {
    throw InputError(what, std::to_string(feature_names_.size()) + " feature names",
                     "the counts have " + std::to_string(num_features_) + " features");
  }
  if (static_cast<Index>(observation_names_.size()) != num_observations_) {
    throw InputError(what, std::to_string(observation_names_.size()) + " observation names",
                     "the counts have " + std::to_string(num_observations_) + " observations");
  }
  view_.feature_names.clear();
  view_.observation_names.clear();
  what_ = what;
  switch (view.layout) {
    case CountArrayView::Layout::kDenseObservationRows:
      layout_ = Layout::kDenseObservationRows;
      description_ = "dense observations x features";
      row_length_ = num_features_;
      values_name_ = what;
      break;
    case CountArrayView::Layout::kDenseFeatureRows:
      layout_ = Layout::kDenseFeatureRows;
      description_ = "dense features x observations";
      row_length_ = num_observations_;
      values_name_ = what;
      break;
    case CountArrayView::Layout::kCompressedByObservation:
    case CountArrayView::Layout::kCompressedByFeature: {
      const bool by_observation = view.layout == CountArrayView::Layout::kCompressedByObservation;
      layout_ = by_observation ? Layout::kByObservation : Layout::kByFeature;
      description_ = by_observation ? "compressed by observation" : "compressed by feature";
      if (view.indices == nullptr || view.offsets == nullptr) {
        throw InputError(what, "no indices or offsets", "a compressed count view needs values, indices and offsets");
      }
      if (!IsInteger(view.index_type) || !IsInteger(view.offset_type)) {
        throw InputError(what, "float indices or offsets", "indices and offsets are integers");
      }
      if (view.num_entries < 0) throw InputError(what, std::to_string(view.num_entries) + " entries", "must be >= 0");
      num_entries_ = view.num_entries;
      const std::int64_t major = by_observation ? num_observations_ : num_features_;
      offsets_.resize(static_cast<std::size_t>(major + 1));
      WithType(view.offset_type, view.offsets, [&](const auto* offsets) {
        for (std::int64_t k = 0; k <= major; ++k) offsets_[static_cast<std::size_t>(k)] = AsIndex(offsets[k]);
      });
      values_name_ = what + ".data";
      indices_name_ = what + ".indices";
      offsets_name_ = what + ".indptr";
      break;
    }
  }
  Open();
}

void ArrayCountSource::ReadEntries(std::int64_t first, std::int64_t count, double* values,
                                   std::int64_t* indices) const {
  WithType(view_.value_type, view_.values, [&](const auto* data) {
    for (std::int64_t k = 0; k < count; ++k) values[k] = static_cast<double>(data[first + k]);
  });
  WithType(view_.index_type, view_.indices, [&](const auto* data) {
    for (std::int64_t k = 0; k < count; ++k) indices[k] = AsIndex(data[first + k]);
  });
}

void ArrayCountSource::ReadDenseBlock(std::int64_t row, std::int64_t rows, std::int64_t column, std::int64_t columns,
                                      double* out) const {
  WithType(view_.value_type, view_.values, [&](const auto* data) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto* source = data + (row + r) * row_length_ + column;
      for (std::int64_t c = 0; c < columns; ++c) out[r * columns + c] = static_cast<double>(source[c]);
    }
  });
}

}  // namespace nbglm
