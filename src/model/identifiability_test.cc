#include "nbglm/identifiability.h"

#include <gtest/gtest.h>

#include <xtensor/xview.hpp>

#include "nbglm/error.h"
#include "nbglm/model.h"
#include "notebook_designs.h"

namespace nbglm {
namespace {

IdentifiabilityReport Check(int which, std::size_t rows_used = 99) {
  const auto example = notebook::MakeExample(which);
  ConstraintSet set(example.design.parameter_names);
  const std::size_t m = std::min(rows_used, example.constraints.shape(0));
  set.AddSumToZeroRows(xt::view(example.constraints, xt::range(0, m), xt::all()), "rows");
  return CheckIdentifiability(example.design, set.Build());
}

TEST(IdentifiabilityTest, NotebookDeficienciesAreExact) {
  // The notebook prints 2 → 0, 4 → 0 and 3 → 0.
  const IdentifiabilityReport r1 = Check(1);
  EXPECT_EQ(r1.parameters, 6);
  EXPECT_EQ(r1.rank, 4);
  EXPECT_EQ(r1.deficiency, 2);
  EXPECT_EQ(r1.reduced_parameters, 4);
  EXPECT_EQ(r1.constrained_deficiency, 0);
  EXPECT_TRUE(r1.unidentifiable.empty());
  const IdentifiabilityReport r2 = Check(2);
  EXPECT_EQ(r2.deficiency, 4);
  EXPECT_EQ(r2.constrained_deficiency, 0);
  const IdentifiabilityReport r3 = Check(3);
  EXPECT_EQ(r3.deficiency, 3);
  EXPECT_EQ(r3.constrained_deficiency, 0);
  EXPECT_EQ(r1.ToJson(),
            "{\"parameters\":6,\"rank\":4,\"deficiency\":2,\"reduced_parameters\":4,"
            "\"constrained_deficiency\":0,\"unidentifiable\":[]}");
}

TEST(IdentifiabilityTest, UnderConstrainedExample2NamesTheCombinations) {
  const IdentifiabilityReport report = Check(2, 2);
  EXPECT_EQ(report.deficiency, 4);
  EXPECT_EQ(report.reduced_parameters, 8);
  EXPECT_EQ(report.constrained_deficiency, 2);
  ASSERT_EQ(report.unidentifiable.size(), 2u);
  // Every technical replicate pairs one untreated and one treated biological
  // replicate, so (i) a shift of all technical replicates against the
  // intercept and (ii) replicate pair {1,3} against pair {2,4} are invisible.
  EXPECT_EQ(report.unidentifiable[0], "(Intercept) - tech_rep1 - tech_rep2 - tech_rep3 - tech_rep4");
  EXPECT_EQ(report.unidentifiable[1],
            "bio_rep1 - bio_rep2 + bio_rep3 - bio_rep4 - tech_rep1 - tech_rep2 + tech_rep3 + tech_rep4");
}

TEST(IdentifiabilityTest, UnidentifiableDirectionsAreInvisibleToTheDesign) {
  // The printed directions satisfy X v = 0 and both constraint rows.
  const auto example = notebook::MakeExample(2);
  const std::vector<std::vector<double>> directions = {{1, 0, 0, 0, 0, -1, -1, -1, -1, 0},
                                                       {0, 1, -1, 1, -1, -1, -1, 1, 1, 0}};
  for (const auto& v : directions) {
    for (std::size_t i = 0; i < example.design.values.shape(0); ++i) {
      double xv = 0.0;
      for (std::size_t j = 0; j < v.size(); ++j) xv += example.design.values(i, j) * v[j];
      ASSERT_EQ(xv, 0.0) << "row " << i;
    }
    EXPECT_EQ(v[3] + v[4], 0.0);
    EXPECT_EQ(v[1] + v[2] + v[3] + v[4], 0.0);
  }
  ConstraintSet set(example.design.parameter_names);
  set.AddSumToZeroRows(xt::view(example.constraints, xt::range(0, 2), xt::all()), "rows");
  const LinearPredictor predictor = MakeLinearPredictor(example.design, set.Build(), "loc", false);
  EXPECT_FALSE(predictor.identifiability.identifiable());
  EXPECT_THROW(MakeLinearPredictor(example.design, set.Build(), "loc", true), InputError);
}

TEST(IdentifiabilityTest, FormatCombination) {
  EXPECT_EQ(FormatCombination({1, -1, 0, 0.5}, {"a", "b", "c", "d"}), "a - b + 0.5*d");
  EXPECT_EQ(FormatCombination({-1, 1}, {"a", "b"}), "-a + b");
  EXPECT_EQ(FormatCombination({0, 0}, {"a", "b"}), "0");
}

}  // namespace
}  // namespace nbglm
