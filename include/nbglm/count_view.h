// Counts in the caller's memory, described rather than copied: a numpy
// array, a scipy.sparse matrix, an Eigen or xtensor matrix, a CSR/CSC of
// one's own. CountReader(view) (nbglm/counts_io.h) checks the view once and
// hands out feature ranges as CountMatrix chunks, so a fit over a view holds
// the caller's arrays plus one chunk — never a whole second copy.
//
// The arrays must stay alive and unchanged while a CountReader over them is
// used.
#ifndef NBGLM_COUNT_VIEW_H_
#define NBGLM_COUNT_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nbglm/types.h"

namespace nbglm {

// Element types of the arrays (numpy's names).
enum class ElementType { kFloat32, kFloat64, kInt8, kInt16, kInt32, kInt64, kUint8, kUint16, kUint32, kUint64 };

struct CountArrayView {
  enum class Layout {
    // Dense, observations as rows: values[i * num_features + f] (numpy C
    // order of an observations × features array, AnnData's dense X).
    kDenseObservationRows,
    // Dense, features as rows: values[f * num_observations + i] (numpy
    // Fortran order of observations × features; C order of features ×
    // observations).
    kDenseFeatureRows,
    // Compressed by observation: observation i's entries are
    // offsets[i] … offsets[i + 1] − 1 of indices (feature indices) and values
    // (scipy CSR of observations × features, AnnData's usual X; CSC of
    // features × observations).
    kCompressedByObservation,
    // Compressed by feature: feature f's entries are offsets[f] …
    // offsets[f + 1] − 1 of indices (observation indices) and values (scipy
    // CSC of observations × features; CSR of features × observations).
    kCompressedByFeature,
  };

  Layout layout = Layout::kCompressedByObservation;
  Index num_features = 0;
  Index num_observations = 0;
  const void* values = nullptr;
  ElementType value_type = ElementType::kFloat64;
  // Compressed layouts: number of stored entries (length of values and
  // indices), indices and offsets (num_major + 1 of them).
  std::int64_t num_entries = 0;
  const void* indices = nullptr;
  ElementType index_type = ElementType::kInt32;
  const void* offsets = nullptr;
  ElementType offset_type = ElementType::kInt64;
  // Empty: "feature_0", … / "obs_0", ….
  std::vector<std::string> feature_names;
  std::vector<std::string> observation_names;
  // Names the arrays in messages: "X" gives "X.data[5]: 0.5: counts must be
  // non-negative integers", "X[3, 17]: …" for dense values.
  std::string what = "counts";
};

}  // namespace nbglm

#endif  // NBGLM_COUNT_VIEW_H_
