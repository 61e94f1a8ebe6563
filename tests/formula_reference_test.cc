// Formula designs equal R's model.matrix, names and values, on real sample
// sheets (pasilla, bottomly, kang_muscat) and a toy sheet (a ∈ {p,q,r},
// b ∈ {u,v,w}, numeric x and d). Expected matrices: tests/data/formula, written once by
// tests/reference/make_formula_reference.R (R is not needed to run this).
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.h"
#include "nbglm/design.h"
#include "nbglm/formula.h"
#include "nbglm/sample_table.h"
#include "nbglm/table.h"

namespace nbglm::testing {
namespace {

const std::string kDir = "tests/data/formula/";

TEST(FormulaReferenceTest, DesignsEqualRModelMatrix) {
  const TextTable cases = ReadTextTable(SourcePath(kDir + "cases.tsv"));
  ASSERT_EQ(cases.header, (std::vector<std::string>{"case", "samples", "formula", "ref"}));
  ASSERT_GE(cases.rows.size(), 50u);
  for (const auto& row : cases.rows) {
    const std::string& name = row[0];
    SCOPED_TRACE(name + ": " + row[2]);
    const SampleTable samples = ReadSampleTable(SourcePath(kDir + row[1]));
    FormulaOptions options;
    if (!row[3].empty()) options.reference_levels = ParseReferenceLevels({row[3]});
    const Design actual = BuildFormulaDesign(samples, row[2], options);
    const Design expected = ReadDesign(SourcePath(kDir + name + ".tsv"));
    EXPECT_EQ(actual.parameter_names, expected.parameter_names);
    EXPECT_EQ(actual.observation_names, expected.observation_names);
    if (actual.values.shape() != expected.values.shape()) {
      ADD_FAILURE() << "shape differs";
      continue;
    }
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < actual.values.shape(0); ++i) {
      for (std::size_t j = 0; j < actual.values.shape(1); ++j) {
        if (actual.values(i, j) != expected.values(i, j) && ++mismatches <= 3) {
          ADD_FAILURE() << "row " << i << ", column " << expected.parameter_names[j] << ": " << actual.values(i, j)
                        << " vs R " << expected.values(i, j);
        }
      }
    }
    EXPECT_EQ(mismatches, 0u);
  }
}

}  // namespace
}  // namespace nbglm::testing
