// Designs from R model formulas on a sample sheet: `~ type + condition`,
// `~ 0 + condition`, `~ a*b`, `~ factor(batch) + x`, `~ C(condition, Sum)`.
//
// The design equals R's model.matrix(formula, data) on the same sheet read
// with read.delim (nbglm/sample_table.h), column names and values, following
// the rules of docs/formulas.md "Coding":
//  - operators + - * / : ^ ( ), `0 +`, `- 1`, `1 +`; duplicate terms dropped;
//  - variables in order of first appearance, terms sorted by order (stable);
//  - per factor per term, contrasts or indicators by the rule of Chambers &
//    Hastie (p. 38), with the no-intercept rule;
//  - interaction columns are products, first variable varying fastest;
//  - variables: a column name (`name` or `\`odd name\``), factor(x) and
//    as.factor(x) (a numeric column as a factor), C(x, Sum) (sum-to-zero
//    contrasts; also `sum`, `contr.sum`, and Treatment/treatment/
//    contr.treatment), nested like C(factor(x), Sum).
#ifndef NBGLM_FORMULA_H_
#define NBGLM_FORMULA_H_

#include <map>
#include <string>
#include <vector>

#include "nbglm/constraints.h"
#include "nbglm/design.h"
#include "nbglm/sample_table.h"

namespace nbglm {

enum class ContrastKind { kTreatment, kSum };

// One variable of a formula, e.g. `C(factor(batch), Sum)`.
struct FormulaVariable {
  std::string name;    // as R deparses it; columns are named after it ("C(batch, Sum)1")
  std::string column;  // the sample-sheet column it reads ("batch")
  bool as_factor = false;                          // inside factor() / C(): numbers become levels
  ContrastKind contrast = ContrastKind::kTreatment;
};

// A parsed formula: which variables, which terms, whether an intercept.
struct Formula {
  std::string text;                           // as given
  bool intercept = true;
  std::vector<FormulaVariable> variables;     // order of first appearance
  std::vector<std::vector<int>> terms;        // variable indices (ascending), terms sorted by order

  // "a:b" for term k (variables in variable order).
  std::string TermLabel(std::size_t term) const;
};

// Parses `text` ("~ 1 + a*b - a:b"). Throws InputError("<what>: '<text>':
// <problem> at character <k>") for malformed input, a response left of `~`,
// an unsupported function or contrast, or a non-integer power.
Formula ParseFormula(const std::string& text, const std::string& what = "formula");

struct FormulaOptions {
  // Reference level per sample-sheet column (--ref FACTOR=LEVEL): the level
  // moves to the front, as R's relevel() does, for every variable that reads
  // the column as a factor (x, factor(x), C(x, …)). A numeric column's levels
  // are named as factor(x) names them ("6"). Every entry must name a column
  // and one of its levels, even when this formula does not use the column.
  std::map<std::string, std::string> reference_levels;
  // Sample-sheet factor columns F whose main-effect term `F` is coded by the
  // full indicator columns F<level> even where R would use contrasts (nesting
  // constraints sum those columns to zero, see AddNestingConstraints). F must
  // be a factor or logical column and `F` a main-effect term of the formula.
  std::vector<std::string> indicator_factors;
};

// The design of `formula` on `samples` (observations in sheet order). Throws
// InputError naming `what` for: a malformed formula, an unknown column (the
// message lists the columns), a missing value in a used column, a factor with
// one level that needs contrasts, a formula with no columns (`~ 0`), a bad
// reference level or indicator factor.
Design BuildFormulaDesign(const SampleTable& samples, const std::string& formula,
                          const FormulaOptions& options = {}, const std::string& what = "formula");
Design BuildFormulaDesign(const SampleTable& samples, const Formula& formula, const FormulaOptions& options = {},
                          const std::string& what = "formula");

// The one-hot (indicator) columns of a factor column, named as R names them
// (column name + level, e.g. "bio_repr1"), levels in sheet order (sorted).
Design FactorIndicatorDesign(const SampleTable& samples, const std::string& column,
                             const std::string& what = "factor");

// Parses "--ref" values "FACTOR=LEVEL" into a map; a factor given twice with
// different levels is an InputError naming `what`.
std::map<std::string, std::string> ParseReferenceLevels(const std::vector<std::string>& specs,
                                                        const std::string& what = "--ref");

// "F:G": factor F is nested in factor G (docs/model.md §2 form 4).
struct Nesting {
  std::string nested;  // F
  std::string within;  // G
};
Nesting ParseNesting(const std::string& spec, const std::string& what);

// Adds to `constraints` the sum-to-zero rows of F's indicator columns
// (F<level>, which the design must hold: build it with F in
// FormulaOptions::indicator_factors) within each level of G, through
// ConstraintSet::AddNesting. `samples` must list the design's observations in
// the design's order. F must be a factor or logical column; G any column.
void AddNestingConstraints(const SampleTable& samples, const Nesting& nesting, const std::string& what,
                           ConstraintSet* constraints);

}  // namespace nbglm

#endif  // NBGLM_FORMULA_H_
