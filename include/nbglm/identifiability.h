// The rank check (docs/model.md §2): is a design identifiable under its
// constraints, and if not, which parameter combinations are not?
//
// A user-facing feature: `nbglm check-design` prints it, and fitting a model
// whose constrained deficiency is not zero is refused with its message.
// Unlike the batchglm notebook's heuristic (replace −1 by +1 and stack), the
// check is exact: rank(X) and rank(X B) by SVD of the distinct rows.
#ifndef NBGLM_IDENTIFIABILITY_H_
#define NBGLM_IDENTIFIABILITY_H_

#include <string>
#include <vector>

#include "nbglm/constraints.h"
#include "nbglm/design.h"

namespace nbglm {

struct IdentifiabilityReport {
  Index parameters = 0;              // p
  Index rank = 0;                    // rank(X)
  Index deficiency = 0;              // p − rank(X)
  Index reduced_parameters = 0;      // q (columns of B)
  Index constrained_deficiency = 0;  // q − rank(X B)
  // A basis of the parameter directions v (a → a + t·v leaves X a unchanged
  // and respects the constraints), written with parameter names, e.g.
  // "(Intercept) - bio_rep1 - bio_rep2". Empty when identifiable.
  std::vector<std::string> unidentifiable;

  bool identifiable() const { return constrained_deficiency == 0; }
  // A few readable lines (for check-design and error messages).
  std::string Report(const std::string& title) const;
  // The JSON object of `check-design --json` (docs/cli.md) for one design.
  std::string ToJson() const;
};

IdentifiabilityReport CheckIdentifiability(const Design& design, const ConstraintBasis& basis);

// Throws InputError("<what>: not identifiable: …") naming the combinations
// when the constrained deficiency is not zero.
void RequireIdentifiable(const IdentifiabilityReport& report, const std::string& what);

// Writes v (one coefficient per name) as "a + b - 0.5*c" (terms with
// |v_j| ≤ 1e-12·max|v| omitted).
std::string FormatCombination(const std::vector<double>& coefficients, const std::vector<std::string>& names);

}  // namespace nbglm

#endif  // NBGLM_IDENTIFIABILITY_H_
