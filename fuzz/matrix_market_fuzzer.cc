// Fuzz target: the MatrixMarket reader (ParseMatrixMarketText), behind the
// gzip decoder when the input starts with the gzip magic bytes. A matrix that
// parses must survive a write/read round trip unchanged, in both storages.
// Found: a size line declaring 845,703,313 columns made the reader allocate a
// name per column (tests/data/bad/mtx_huge_dimensions.mtx).
#include <cstdlib>

#include "fuzz_common.h"
#include "nbglm/counts_io.h"
#include "nbglm/table.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nbglm::fuzz::RunExpectingOnlyInputErrors([&] {
    std::string text = nbglm::fuzz::AsString(data, size);
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) text = nbglm::DecompressGzip(text, "fuzz.mtx.gz");
    const nbglm::CountMatrix counts = nbglm::ParseMatrixMarketText(text, "fuzz.mtx");
    const nbglm::CountMatrix again = nbglm::ParseMatrixMarketText(nbglm::CountsToMatrixMarket(counts), "again.mtx");
    // The dense comparisons below only where a dense copy is small.
    if (counts.num_features() * counts.num_observations() > 1000000) return;
    const nbglm::CountMatrix dense = counts.ToDense();
    const nbglm::CountMatrix dense_again = again.ToDense();
    if (dense.dense_counts() != dense_again.dense_counts()) std::abort();  // round trip changed the counts
    if (counts.ToSparse().ToDense().dense_counts() != dense.dense_counts()) std::abort();
  });
}
