// Linear constraints on one design's parameters, reduced to a basis
// (docs/model.md §2): a = B θ with B (p × q) of full column rank. The fit runs on θ
// with the reduced design X B; results map back as a = B θ and
// Cov(a) = B Cov(θ) Bᵀ.
//
// Accepted forms (each reduces to the same B):
//  1. batchglm's sum-to-zero rows: +1 on each member of a set, −1 on the one
//     dependent member; meaning "the set sums to zero", the −1 parameter being
//     eliminated. Rows may chain (a dependent of one row is a member of
//     another), exactly as in the batchglm constraints notebook.
//  2. general equalities A a = 0 (any real m × p matrix).
//  3. the basis B itself.
//  4. nesting shorthand: factor F nested in factor G gives, for each level of
//     G, a sum-to-zero row over the columns of F's levels found in it.
#ifndef NBGLM_CONSTRAINTS_H_
#define NBGLM_CONSTRAINTS_H_

#include <string>
#include <vector>

#include "nbglm/types.h"

namespace nbglm {

class ConstraintBasis {
 public:
  // The identity basis (no constraints) over the given parameter names.
  static ConstraintBasis Identity(const std::vector<std::string>& parameter_names);
  // Validates B (p × q, finite, full column rank) and names its columns: column
  // k takes the name of parameter j when row j of B is the unit row e_k
  // (then θ_k = a_j exactly); otherwise "theta_<k>".
  static ConstraintBasis FromMatrix(Matrix basis, std::vector<std::string> parameter_names,
                                    const std::string& what);

  const Matrix& basis() const { return basis_; }                       // p × q
  const std::vector<std::string>& parameter_names() const { return parameter_names_; }
  const std::vector<std::string>& reduced_names() const { return reduced_names_; }
  Index num_parameters() const { return static_cast<Index>(basis_.shape(0)); }
  Index num_reduced() const { return static_cast<Index>(basis_.shape(1)); }
  bool is_identity() const { return is_identity_; }

  // a = B θ  (theta: q values, a: p values).
  void Expand(const double* theta, double* a) const;
  // Cov(a) = B Cov(θ) Bᵀ (row-major q × q in, p × p out).
  void ExpandCovariance(const double* cov_theta, double* cov_a) const;
  // The reduced design X B (n × q) of a design X (n × p).
  Matrix ReduceDesign(const Matrix& design) const;

 private:
  Matrix basis_;
  std::vector<std::string> parameter_names_;
  std::vector<std::string> reduced_names_;
  bool is_identity_ = true;
};

// Accumulates constraints on one design's parameters, in any mix of forms, and
// builds the basis. Each Add* validates its input and throws InputError naming
// `what` (e.g. the file), the row and the parameter involved.
class ConstraintSet {
 public:
  explicit ConstraintSet(std::vector<std::string> parameter_names);

  // Form 1. Every row: entries in {−1, 0, +1}, exactly one −1 (the dependent),
  // at least one +1. A parameter may be the dependent of one row only.
  void AddSumToZeroRows(const Matrix& rows, const std::string& what);
  // Form 2. Rows of A in A a = 0 (redundant rows are allowed).
  void AddEqualities(const Matrix& rows, const std::string& what);
  // Form 3. B (p × q) directly; cannot be combined with other forms.
  void SetBasis(const Matrix& basis, const std::string& what);
  // Form 4. `nested_values` and `within_values` are the levels of factors F and
  // G per observation; F's columns are named `column_prefix + level` (R's
  // model.matrix naming, e.g. "bio_rep" + "r1"). For each level of G (sorted),
  // adds the sum-to-zero row over the F columns of the levels occurring in it,
  // the first level (sorted) being the dependent. Throws if some F level occurs
  // in two G levels (F is not nested in G) or a column is missing.
  void AddNesting(const std::vector<std::string>& nested_values,
                  const std::vector<std::string>& within_values,
                  const std::string& column_prefix, const std::string& what);

  bool empty() const { return sum_to_zero_rows_.empty() && equality_rows_.empty() && !has_basis_; }

  // One basis for everything added. Sum-to-zero rows alone are eliminated as
  // written (each −1 parameter expressed in the others, chains resolved);
  // with any general equality, all rows are stacked as equalities and reduced
  // to row echelon form, the pivot parameters being eliminated.
  // Throws InputError when the constraints are inconsistent (e.g. a chain of
  // dependents that cannot be resolved) or leave no free parameter.
  ConstraintBasis Build() const;

 private:
  std::vector<std::string> parameter_names_;
  std::vector<std::vector<double>> sum_to_zero_rows_;
  std::vector<std::string> sum_to_zero_where_;  // "what row k" per row
  std::vector<std::vector<double>> equality_rows_;
  Matrix basis_;
  bool has_basis_ = false;
  std::string basis_what_;
};

// The form of a constraint table file (docs/formats.md: TSV, a header of
// parameter names, no name column). The form is batchglm's sum-to-zero rows
// unless the first line is a directive "#form: equality" or "#form: basis"
// (a basis file holds Bᵀ: one row per reduced parameter).
enum class ConstraintForm { kSumToZero, kEquality, kBasis };

struct ConstraintTable {
  ConstraintForm form = ConstraintForm::kSumToZero;
  Matrix rows;  // m × p, columns in the order of the design's parameters
};

// Reads a constraint table and reorders its columns to `parameter_names`
// (header names must match the design's, in any order; a missing or unknown
// name is an InputError naming it).
ConstraintTable ReadConstraintTable(const std::string& path,
                                    const std::vector<std::string>& parameter_names);
// The same on text already in memory; `path` names it in messages.
ConstraintTable ParseConstraintTable(std::string contents, const std::string& path,
                                     const std::vector<std::string>& parameter_names);
// Adds a table read by ReadConstraintTable to a set, by its form.
void AddConstraintTable(const ConstraintTable& table, const std::string& what, ConstraintSet* set);

}  // namespace nbglm

#endif  // NBGLM_CONSTRAINTS_H_
