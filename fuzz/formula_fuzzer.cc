// Fuzz target: the formula parser (ParseFormula) and, for formulas that parse,
// the design builder (BuildFormulaDesign) on a fixed sample sheet with
// factor, numeric, integer and logical columns; also reference levels and
// nesting specifications read from the same bytes.
#include "fuzz_common.h"
#include "nbglm/formula.h"
#include "nbglm/sample_table.h"
#include "nbglm/table.h"

namespace {

const nbglm::SampleTable& Sheet() {
  static const nbglm::SampleTable sheet = nbglm::MakeSampleTable(nbglm::ParseTextTable(
      "sample\tcondition\ttype\tdose\tbatch\tflag\tx y\n"
      "s1\tctl\tsingle\t0.5\t1\tTRUE\t1\n"
      "s2\tctl\tpaired\t1\t2\tFALSE\t2\n"
      "s3\ttrt\tsingle\t2.5\t1\tTRUE\t3\n"
      "s4\ttrt\tpaired\t-1e3\t3\tNA\t4\n"
      "s5\ttrt\tsingle\tNA\t2\tFALSE\t5\n",
      "sheet.tsv"));
  return sheet;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = nbglm::fuzz::AsString(data, size);
  nbglm::fuzz::RunExpectingOnlyInputErrors([&] {
    const nbglm::Formula formula = nbglm::ParseFormula(text, "--loc");
    nbglm::BuildFormulaDesign(Sheet(), formula);
  });
  nbglm::fuzz::RunExpectingOnlyInputErrors([&] { nbglm::ParseReferenceLevels({text}, "--ref"); });
  return nbglm::fuzz::RunExpectingOnlyInputErrors([&] { nbglm::ParseNesting(text, "--loc-nested"); });
}
