// Counts from HDF5 files, read feature-major (docs/formats.md "HDF5 inputs"):
//   - AnnData (.h5ad): X, or a layer (/layers/NAME), observations × features,
//     stored dense (a 2-D dataset), CSR (compressed by observation) or CSC
//     (compressed by feature); encodings of anndata >= 0.7 ("encoding-type"
//     csr_matrix / csc_matrix, or the older "h5sparse_format"); names from
//     obs / var (their "_index");
//   - 10x Cell Ranger HDF5 (filtered_feature_bc_matrix.h5): /matrix with
//     features × barcodes CSC (compressed by barcode), features/id and
//     barcodes (Cell Ranger >= 3), or one genome group with genes and
//     barcodes (Cell Ranger 2).
// The layouts reduce to three: dense observations × features, compressed by
// observation, compressed by feature. Only the last is sliced by feature
// directly; the others are streamed in blocks of kHdf5ChunkElements and the
// entries of the wanted features kept, so no observations × features copy
// exists at any time.
#ifndef NBGLM_SRC_IO_HDF5_COUNTS_H_
#define NBGLM_SRC_IO_HDF5_COUNTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nbglm/counts.h"

namespace nbglm {

// Elements read from a dataset at a time (8 MiB of doubles).
inline constexpr std::int64_t kHdf5ChunkElements = std::int64_t{1} << 20;

// True for paths read as HDF5: "*.h5ad", "*.h5", "*.hdf5".
bool IsHdf5CountsPath(const std::string& path);

class Hdf5CountSource {
 public:
  enum class Layout { kDense, kByObservation, kByFeature };

  // Opens the file, finds the matrix (X or /layers/`layer` of an AnnData
  // file; the matrix of a 10x file, where `layer` must be empty), and streams
  // it once: checks structure (shapes, offsets, index ranges) and every value
  // (a count as CountMatrix accepts it), counting each feature's non-zero
  // values. Throws InputError naming the file, the object and the rule.
  Hdf5CountSource(const std::string& path, const std::string& layer);
  ~Hdf5CountSource();

  Index num_features() const { return num_features_; }
  Index num_observations() const { return num_observations_; }
  Layout layout() const { return layout_; }
  // "AnnData X (CSR)", "10x Cell Ranger HDF5", … for messages and summaries.
  const std::string& description() const { return description_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<std::string>& observation_names() const { return observation_names_; }
  // Non-zero counts per feature.
  const std::vector<std::uint32_t>& nonzeros() const { return nonzeros_; }

  // Features [begin, end): CSR for the compressed layouts; a dense matrix is
  // stored sparse when more than kSparseZeroFraction of its counts are zero
  // (the rule of dense tables). Explicit zeros are dropped; a duplicated
  // (observation, feature) entry is refused.
  CountMatrix Read(Index begin, Index end) const;

 private:
  void OpenAnnData(const std::string& layer);
  void OpenTenX();
  void OpenCompressed(const std::string& group, std::int64_t major, std::int64_t minor);
  void ScanDense();
  CountMatrix ReadDense(Index begin, Index end) const;
  CountMatrix ReadByObservation(Index begin, Index end) const;
  CountMatrix ReadByFeature(Index begin, Index end) const;

  struct Files;
  std::unique_ptr<Files> files_;
  std::string path_;
  std::string matrix_;  // the matrix object: "/X", "/layers/counts", "/matrix"
  std::string description_;
  Layout layout_ = Layout::kDense;
  Index num_features_ = 0;
  Index num_observations_ = 0;
  std::vector<std::int64_t> offsets_;  // compressed layouts: the indptr
  std::vector<std::string> feature_names_;
  std::vector<std::string> observation_names_;
  std::vector<std::uint32_t> nonzeros_;
};

}  // namespace nbglm

#endif  // NBGLM_SRC_IO_HDF5_COUNTS_H_
