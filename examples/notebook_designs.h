// The three designs and constraint tables of the batchglm constraints notebook
// (batchglm's tutorial notebook on constraints; the constraints themselves
// are explained in docs/model.md §2), built exactly as its numpy code does.
// Used by the examples, the tests and scripts/demo.
#ifndef NBGLM_EXAMPLES_NOTEBOOK_DESIGNS_H_
#define NBGLM_EXAMPLES_NOTEBOOK_DESIGNS_H_

#include <string>
#include <vector>

#include "nbglm/design.h"

namespace nbglm::notebook {

struct Example {
  Design design;        // used for both location and scale, as in the notebook
  Matrix constraints;   // batchglm's ±1 sum-to-zero rows
};

// Example 1: 4 biological replicates, 2 per condition (cells 0–499 rep 1, …).
// Example 2: plus 4 technical replicates, each pairing one replicate of each
// condition. Example 3: example 2 with technical replicates 3 and 4 missing.
inline Example MakeExample(int which, std::size_t cells = 2000) {
  std::vector<std::string> names = {"(Intercept)", "bio_rep1", "bio_rep2", "bio_rep3", "bio_rep4"};
  const int tech_reps = which == 1 ? 0 : (which == 2 ? 4 : 2);
  for (int t = 1; t <= tech_reps; ++t) names.push_back("tech_rep" + std::to_string(t));
  names.push_back("condition");
  const std::size_t p = names.size();
  Matrix x = xt::zeros<double>({cells, p});
  const std::size_t quarter = cells / 4;
  const std::size_t eighth = cells / 8;
  for (std::size_t i = 0; i < cells; ++i) {
    x(i, 0) = 1.0;
    x(i, 1 + std::min<std::size_t>(i / quarter, 3)) = 1.0;  // bio rep by quarter
    if (i >= cells / 2) x(i, p - 1) = 1.0;                  // condition effect
    // Tech rep t pairs eighth t of each half: rows [t·n/8, (t+1)·n/8) of the
    // first half and the same offset in the second half (notebook cell 24).
    const std::size_t within_half = i % (cells / 2);
    const std::size_t t = within_half / eighth;
    if (tech_reps > 0 && t < static_cast<std::size_t>(tech_reps)) x(i, 5 + t) = 1.0;
  }
  Example example;
  example.design = MakeDesign(std::move(x), names);
  const std::size_t rows = which == 1 ? 2 : (which == 2 ? 4 : 3);
  example.constraints = xt::zeros<double>({rows, p});
  // Constraint 0: bio reps 3, 4 (treated) sum to zero; 3 is the dependent.
  example.constraints(0, 3) = -1;
  example.constraints(0, 4) = 1;
  // Constraint 1: all bio reps sum to zero; 1 is the dependent (chains row 0).
  example.constraints(1, 1) = -1;
  for (std::size_t j = 2; j <= 4; ++j) example.constraints(1, j) = 1;
  if (which == 2) {
    example.constraints(2, 7) = -1;  // tech reps 3, 4 sum to zero
    example.constraints(2, 8) = 1;
    example.constraints(3, 5) = -1;  // all tech reps sum to zero
    for (std::size_t j = 6; j <= 8; ++j) example.constraints(3, j) = 1;
  } else if (which == 3) {
    example.constraints(2, 5) = -1;  // tech reps 1, 2 sum to zero
    example.constraints(2, 6) = 1;
  }
  return example;
}

}  // namespace nbglm::notebook

#endif  // NBGLM_EXAMPLES_NOTEBOOK_DESIGNS_H_
