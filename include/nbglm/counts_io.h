// Reading and writing count matrices (docs/formats.md "Counts").
//
// Accepted forms, all features × observations:
//   - a 10x directory: matrix.mtx[.gz] + features.tsv[.gz] (or the older
//     genes.tsv[.gz]) + barcodes.tsv[.gz]; feature id = first column of the
//     features file, observation name = first column of the barcodes file
//     (both files have no header line);
//   - a MatrixMarket file, "*.mtx" or "*.mtx.gz": coordinate format, field
//     integer or real (real values must be integral), symmetry general,
//     1-based entries in any order. Names are "feature_0", … and "obs_0", …
//     unless the file is "matrix.mtx[.gz]" inside a 10x directory (then it is
//     read exactly as that directory);
//   - an HDF5 file, "*.h5ad", "*.h5" or "*.hdf5", told apart by content:
//     AnnData (/X or a layer, observations × features, dense, CSR or CSC;
//     feature ids = var's index, observation names = obs's index) or 10x
//     Cell Ranger (/matrix features × barcodes CSC, features/id, barcodes;
//     or Cell Ranger 2's one genome group). Read feature-major without a
//     dense copy; integer or float storage holding integers;
//   - otherwise a dense table (TSV, or CSV for "*.csv[.gz]", see
//     nbglm/table.h): a header row whose first cell names the id column and
//     whose other cells are observation names, then one row per feature with
//     its id in the first column.
// MatrixMarket and compressed HDF5 input is stored sparse; a dense table (or
// a dense AnnData X) is stored sparse when
// more than kSparseZeroFraction of its counts are zero, dense otherwise.
//
// Every violation throws InputError with file and line (or entry), e.g.
//   "counts.mtx:17: entry (3, 9): -2: counts must be non-negative integers".
#ifndef NBGLM_COUNTS_IO_H_
#define NBGLM_COUNTS_IO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nbglm/count_view.h"
#include "nbglm/counts.h"

namespace nbglm {

// A dense table with more zeros than this fraction is stored as CSR: above it
// CSR (12 bytes per nonzero) is smaller than dense (8 bytes per count) and
// the estimators' CopyFeature is about as fast.
inline constexpr double kSparseZeroFraction = 0.7;
// The largest number of features or observations a MatrixMarket size line
// may declare (10^8): larger is taken for a corrupt file, refused before any
// memory is allocated for it.
inline constexpr std::int64_t kMaxCountDimension = 100000000;

// Reads counts from a 10x directory, a MatrixMarket file or a dense table,
// chosen by the form of `path` as described above.
CountMatrix ReadCounts(const std::string& path);

// A counts input read a range of features at a time, for inputs larger than
// the memory one wants to spend on them. Opening streams the file once
// (validating every entry, as ReadCounts does, and counting each feature's
// stored values) and keeps only the names and 8 bytes per feature;
// Read(begin, end) streams it once more and returns features [begin, end)
// (names, storage rule and every message as ReadCounts; ReadCounts is
// Read(0, num_features())). Inputs as for ReadCounts.
// How a path is read: by its form (ReadCounts), or as one given format.
enum class CountFormat {
  kDetect,         // a directory: 10x; ".mtx"/".mtx.gz": MatrixMarket (10x names beside "matrix.mtx"); else dense
  kMatrixMarket,   // one MatrixMarket file, whatever its name; names "feature_0", … and "obs_0", …
  kTenXDirectory,  // a 10x directory
  kDenseTable,     // a dense TSV/CSV table, whatever its name
  kHdf5,           // an AnnData .h5ad or 10x Cell Ranger .h5 file (which one: by its content)
};

class CountReader {
 public:
  // `layer` names an AnnData layer (/layers/NAME) to read instead of X; it
  // is refused for every other input.
  explicit CountReader(const std::string& path, CountFormat format = CountFormat::kDetect,
                       const std::string& layer = "");
  // Counts in the caller's arrays (nbglm/count_view.h), which must outlive
  // the reader. Checks every value, index and offset once; Read copies only
  // the range asked for. Throws InputError naming view.what.
  explicit CountReader(const CountArrayView& view);
  // Counts already in memory ("what" names them; MatrixMarket or a dense
  // table), for tests and fuzzers.
  CountReader(const std::string& contents, const std::string& what, bool matrix_market);
  ~CountReader();
  CountReader(CountReader&&) noexcept;
  CountReader& operator=(CountReader&&) noexcept;

  Index num_features() const;
  Index num_observations() const;
  const std::vector<std::string>& observation_names() const;
  // Σ_f y_fi per observation (library sizes), summed while opening: exact,
  // and equal to CountMatrix::ObservationTotals of Read(0, num_features()).
  const std::vector<double>& ObservationTotals() const;
  std::vector<std::string> FeatureNames(Index begin, Index end) const;
  // Bytes the counts of Read(begin, end) occupy (CSR or dense).
  std::int64_t BytesToRead(Index begin, Index end) const;
  // The non-zero counts of features [begin, end), counted while opening:
  // a measure of the work of fitting them (a distributed run balances its
  // ranks' feature ranges by it, docs/distributed.md).
  std::int64_t Nonzeros(Index begin, Index end) const;
  // Throws InputError for a range outside [0, num_features()] or empty.
  CountMatrix Read(Index begin, Index end) const;

 private:
  void CheckRange(Index begin, Index end) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Consecutive ranges [begin, end) covering features [begin, end) of
// `reader`, each as many features as fit in `max_bytes` of counts
// (BytesToRead), at least one feature each.
std::vector<std::pair<Index, Index>> PlanFeatureChunks(const CountReader& reader, Index begin, Index end,
                                                       std::int64_t max_bytes);

// Writes the counts of `reader` as an AnnData file (HDF5, ".h5ad") whose X
// is CSC — observations × features compressed by feature — so that any range
// of features is one slice of each dataset: the input a run reads a part of
// without the rest (docs/formats.md "Feature-major .h5ad"; anndata and scanpy
// read it too). X/data int32 counts, X/indices int32 observation indices,
// X/indptr int64; obs and var hold the names, no other columns. Reads
// `chunk_bytes` of counts at a time; the file appears complete or not at all
// (written under a temporary name, renamed into place). Throws InputError
// when it cannot be written.
void WriteFeatureMajorH5ad(const CountReader& reader, const std::string& path,
                           std::int64_t chunk_bytes = std::int64_t{1} << 30);

// Reads one MatrixMarket file; names are "feature_0", … and "obs_0", ….
CountMatrix ReadMatrixMarket(const std::string& path);

// Reads a 10x directory.
CountMatrix Read10xDirectory(const std::string& directory);

// Reads a dense TSV/CSV counts table.
CountMatrix ReadDenseCounts(const std::string& path);

// The same parsers on text already in memory (decompressed); `what` names the
// input in messages and, for dense tables, picks the delimiter like a path
// (',' for ".csv"). Used by the fuzzers (fuzz/).
CountMatrix ParseMatrixMarketText(const std::string& contents, const std::string& what);
CountMatrix ParseDenseCountsText(const std::string& contents, const std::string& what);

// The counts as MatrixMarket text: "%%MatrixMarket matrix coordinate integer
// general", features × observations, 1-based, nonzero entries sorted by row
// (feature) then column (observation). Names are not part of the format.
std::string CountsToMatrixMarket(const CountMatrix& counts);

// Writes CountsToMatrixMarket(counts) to `path` atomically.
void WriteMatrixMarket(const std::string& path, const CountMatrix& counts);

// The counts as a dense TSV table in the form ReadDenseCounts reads (header
// "feature" + observation names, one row per feature). Materialises text of
// size features × observations: meant for small matrices and tests.
std::string CountsToTsv(const CountMatrix& counts);

}  // namespace nbglm

#endif  // NBGLM_COUNTS_IO_H_
