// Fuzz target: the constraint table reader (ParseConstraintTable, all three
// forms selected by its '#form:' directive) and the reduction to a basis
// (ConstraintSet::Build) for the parameters of the batchglm notebook's
// example 2 design.
#include "fuzz_common.h"
#include "nbglm/constraints.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> names = {"(Intercept)", "condition", "bio_rep1",  "bio_rep2",  "bio_rep3",
                                                 "bio_rep4",    "tech_rep1", "tech_rep2", "tech_rep3", "tech_rep4"};
  return nbglm::fuzz::RunExpectingOnlyInputErrors([&] {
    const nbglm::ConstraintTable table =
        nbglm::ParseConstraintTable(nbglm::fuzz::AsString(data, size), "constraints.tsv", names);
    nbglm::ConstraintSet set(names);
    nbglm::AddConstraintTable(table, "constraints.tsv", &set);
    set.Build();
  });
}
