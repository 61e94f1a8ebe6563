// Fuzz target: the MatrixMarket reader (ParseMatrixMarketText), behind the
// gzip decoder when the input starts with the gzip magic bytes. A matrix that
// parses must survive a write/read round trip unchanged, in both storages.
// Found: a size line declaring 845,703,313 columns made the reader allocate a
// name per column (tests/data/bad/mtx_huge_dimensions.mtx).
// Reading costs time and memory linear in the declared dimensions (a name and
// a row offset per feature), which a legitimate file may declare: a 72-byte
// file of 8,018,989 empty rows took 12 s under ASan here and 8 s / 1.2 GB for
// a whole `nbglm fit` in a release build. So the harness validates every
// input (the CountReader constructor scans all entries) but materialises only
// matrices of at most 10^6 rows + columns.
#include <cstdlib>

#include "fuzz_common.h"
#include "nbglm/counts_io.h"
#include "nbglm/table.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nbglm::fuzz::RunExpectingOnlyInputErrors([&] {
    std::string text = nbglm::fuzz::AsString(data, size);
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) text = nbglm::DecompressGzip(text, "fuzz.mtx.gz");
    const nbglm::CountReader reader(text, "fuzz.mtx", /*matrix_market=*/true);
    if (reader.num_features() + reader.num_observations() > 1000000) return;
    const nbglm::CountMatrix counts = reader.Read(0, reader.num_features());
    const nbglm::CountMatrix again = nbglm::ParseMatrixMarketText(nbglm::CountsToMatrixMarket(counts), "again.mtx");
    // The dense comparisons below only where a dense copy is small.
    if (counts.num_features() * counts.num_observations() > 1000000) return;
    const nbglm::CountMatrix dense = counts.ToDense();
    const nbglm::CountMatrix dense_again = again.ToDense();
    if (dense.dense_counts() != dense_again.dense_counts()) std::abort();  // round trip changed the counts
    if (counts.ToSparse().ToDense().dense_counts() != dense.dense_counts()) std::abort();
  });
}
