// Fuzz target: the TSV/CSV reader (ParseTextTable) and what reads tables:
// dense counts (ParseDenseCountsText) and sample sheets (MakeSampleTable).
// The first byte picks tab or comma.
#include "fuzz_common.h"
#include "nbglm/counts_io.h"
#include "nbglm/sample_table.h"
#include "nbglm/table.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string name = (data[0] & 1) != 0 ? "fuzz.csv" : "fuzz.tsv";
  const std::string text = nbglm::fuzz::AsString(data + 1, size - 1);
  nbglm::fuzz::RunExpectingOnlyInputErrors([&] { nbglm::ParseDenseCountsText(text, name); });
  return nbglm::fuzz::RunExpectingOnlyInputErrors(
      [&] { nbglm::MakeSampleTable(nbglm::ParseTextTable(text, name)); });
}
