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
// Checking and transposing are BlockCountSource's; this reads the blocks.
#ifndef NBGLM_SRC_IO_HDF5_COUNTS_H_
#define NBGLM_SRC_IO_HDF5_COUNTS_H_

#include <memory>
#include <string>
#include <vector>

#include "io/block_count_source.h"
#include "io/hdf5_file.h"

namespace nbglm {

// True for paths read as HDF5: "*.h5ad", "*.h5", "*.hdf5".
bool IsHdf5CountsPath(const std::string& path);
// True for "*.h5ad": an AnnData file, whose obs is the default sample sheet.
bool IsAnnDataPath(const std::string& path);

// The row names of an AnnData dataframe (obs or var): the dataset its
// "_index" attribute names (default "_index"). Throws InputError when absent.
struct DataframeIndex {
  std::string column = "_index";
  std::vector<std::string> names;
};
DataframeIndex ReadDataframeIndex(const hdf5::File& file, const std::string& group);

class Hdf5CountSource : public BlockCountSource {
 public:
  // Opens the file, finds the matrix (X or /layers/`layer` of an AnnData
  // file; the matrix of a 10x file, where `layer` must be empty) and checks
  // it (BlockCountSource::Open). Throws InputError naming the file, the
  // object and the rule.
  Hdf5CountSource(const std::string& path, const std::string& layer);
  ~Hdf5CountSource() override;

 protected:
  void ReadEntries(std::int64_t first, std::int64_t count, double* values, std::int64_t* indices) const override;
  void ReadDenseBlock(std::int64_t row, std::int64_t rows, std::int64_t column, std::int64_t columns,
                      double* out) const override;

 private:
  void OpenAnnData(const std::string& layer);
  void OpenTenX();
  void OpenCompressed(const std::string& group);

  struct Files;
  std::unique_ptr<Files> files_;
  std::string path_;
};

}  // namespace nbglm

#endif  // NBGLM_SRC_IO_HDF5_COUNTS_H_
