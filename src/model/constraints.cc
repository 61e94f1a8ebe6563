#include "nbglm/constraints.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <Eigen/Dense>

#include "eigen_view.h"
#include "model/linear_algebra.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

std::string RowWhere(const std::string& what, std::size_t row) {
  return what + ": constraint row " + std::to_string(row + 1);
}

// Values produced by eliminating ±1 rows are small integers or simple
// fractions; snap round-off so that constraint sums come out exactly zero.
double Snap(double value) {
  const double nearest = std::round(value);
  return std::abs(value - nearest) < 1e-12 ? nearest : value;
}

}  // namespace

// ---------------------------------------------------------------- ConstraintBasis

ConstraintBasis ConstraintBasis::Identity(const std::vector<std::string>& parameter_names) {
  ConstraintBasis result;
  const std::size_t p = parameter_names.size();
  result.basis_ = xt::eye<double>(p);
  result.parameter_names_ = parameter_names;
  result.reduced_names_ = parameter_names;
  result.is_identity_ = true;
  return result;
}

ConstraintBasis ConstraintBasis::FromMatrix(Matrix basis, std::vector<std::string> parameter_names,
                                            const std::string& what) {
  if (basis.dimension() != 2 || basis.shape(0) != parameter_names.size()) {
    throw InputError(what, std::to_string(basis.shape(0)) + " basis rows",
                     "expected " + std::to_string(parameter_names.size()) + " (one per parameter)");
  }
  const std::size_t p = basis.shape(0);
  const std::size_t q = basis.shape(1);
  if (q == 0) throw InputError(what, "0 basis columns", "the constraints leave no free parameter");
  for (double v : basis) {
    if (!std::isfinite(v)) throw InputError(what, "non-finite basis entry", "basis entries must be finite");
  }
  const Index rank = NumericalRank(AsEigen(basis));
  if (rank < static_cast<Index>(q)) {
    throw InputError(what, "basis rank " + std::to_string(rank),
                     "the basis must have full column rank " + std::to_string(q));
  }
  ConstraintBasis result;
  result.reduced_names_.resize(q);
  for (std::size_t k = 0; k < q; ++k) {
    result.reduced_names_[k] = "theta_" + std::to_string(k);
    for (std::size_t j = 0; j < p; ++j) {
      bool unit_row = true;
      for (std::size_t c = 0; c < q && unit_row; ++c) unit_row = basis(j, c) == (c == k ? 1.0 : 0.0);
      if (unit_row) {
        result.reduced_names_[k] = parameter_names[j];
        break;
      }
    }
  }
  result.is_identity_ = (p == q);
  for (std::size_t i = 0; i < p && result.is_identity_; ++i) {
    for (std::size_t k = 0; k < q && result.is_identity_; ++k) {
      result.is_identity_ = basis(i, k) == (i == k ? 1.0 : 0.0);
    }
  }
  result.basis_ = std::move(basis);
  result.parameter_names_ = std::move(parameter_names);
  return result;
}

void ConstraintBasis::Expand(const double* theta, double* a) const {
  const auto b = AsEigen(basis_);
  Eigen::Map<Eigen::VectorXd>(a, b.rows()) = b * Eigen::Map<const Eigen::VectorXd>(theta, b.cols());
}

void ConstraintBasis::ExpandCovariance(const double* cov_theta, double* cov_a) const {
  const auto b = AsEigen(basis_);
  const Eigen::Map<const RowMajorMatrixXd> cov(cov_theta, b.cols(), b.cols());
  Eigen::Map<RowMajorMatrixXd>(cov_a, b.rows(), b.rows()) = b * cov * b.transpose();
}

Matrix ConstraintBasis::ReduceDesign(const Matrix& design) const {
  if (is_identity_) return design;
  Matrix reduced = Matrix::from_shape({design.shape(0), basis_.shape(1)});
  AsEigen(reduced) = AsEigen(design) * AsEigen(basis_);
  return reduced;
}

// ---------------------------------------------------------------- ConstraintSet

ConstraintSet::ConstraintSet(std::vector<std::string> parameter_names)
    : parameter_names_(std::move(parameter_names)) {}

void ConstraintSet::AddSumToZeroRows(const Matrix& rows, const std::string& what) {
  const std::size_t p = parameter_names_.size();
  if (rows.dimension() != 2 || rows.shape(1) != p) {
    throw InputError(what, std::to_string(rows.dimension() == 2 ? rows.shape(1) : 0) + " columns",
                     "a constraint row needs one entry per design parameter (" + std::to_string(p) + ")");
  }
  for (std::size_t r = 0; r < rows.shape(0); ++r) {
    const std::string where = RowWhere(what, r);
    std::vector<double> row(p);
    int dependents = 0;
    int members = 0;
    std::size_t dependent = 0;
    for (std::size_t j = 0; j < p; ++j) {
      const double v = rows(r, j);
      if (v != -1.0 && v != 0.0 && v != 1.0) {
        throw InputError(where, "parameter '" + parameter_names_[j] + "' = " + FormatDouble(v),
                         "sum-to-zero rows hold only -1 (the dependent), 0 and +1 (write '#form: equality' "
                         "as the first line for general equalities)");
      }
      if (v == -1.0) {
        ++dependents;
        dependent = j;
      }
      if (v == 1.0) ++members;
      row[j] = v;
    }
    if (dependents == 0) throw InputError(where, "no -1 entry", "each sum-to-zero row marks exactly one dependent parameter with -1");
    if (dependents > 1) throw InputError(where, std::to_string(dependents) + " entries of -1", "each sum-to-zero row marks exactly one dependent parameter with -1");
    if (members == 0) throw InputError(where, "no +1 entry", "a sum-to-zero row needs at least one +1 member besides its dependent");
    for (std::size_t k = 0; k < sum_to_zero_rows_.size(); ++k) {
      if (sum_to_zero_rows_[k][dependent] == -1.0) {
        throw InputError(where, "parameter '" + parameter_names_[dependent] + "'",
                         "is already the dependent (-1) of " + sum_to_zero_where_[k] +
                             "; a parameter can be eliminated by one row only");
      }
    }
    sum_to_zero_rows_.push_back(std::move(row));
    sum_to_zero_where_.push_back(where);
  }
}

void ConstraintSet::AddEqualities(const Matrix& rows, const std::string& what) {
  const std::size_t p = parameter_names_.size();
  if (rows.dimension() != 2 || rows.shape(1) != p) {
    throw InputError(what, std::to_string(rows.dimension() == 2 ? rows.shape(1) : 0) + " columns",
                     "an equality row needs one entry per design parameter (" + std::to_string(p) + ")");
  }
  for (std::size_t r = 0; r < rows.shape(0); ++r) {
    std::vector<double> row(p);
    for (std::size_t j = 0; j < p; ++j) {
      if (!std::isfinite(rows(r, j))) {
        throw InputError(RowWhere(what, r), "parameter '" + parameter_names_[j] + "'", "entries must be finite");
      }
      row[j] = rows(r, j);
    }
    equality_rows_.push_back(std::move(row));
  }
}

void ConstraintSet::SetBasis(const Matrix& basis, const std::string& what) {
  if (has_basis_) throw InputError(what, "a second basis", "only one basis can be given per design");
  // Validates shape and rank now, so the error names this input.
  ConstraintBasis::FromMatrix(basis, parameter_names_, what);
  basis_ = basis;
  has_basis_ = true;
  basis_what_ = what;
}

void ConstraintSet::AddNesting(const std::vector<std::string>& nested_values,
                               const std::vector<std::string>& within_values,
                               const std::string& column_prefix, const std::string& what) {
  if (nested_values.size() != within_values.size()) {
    throw InputError(what, std::to_string(nested_values.size()) + " vs " + std::to_string(within_values.size()) + " values",
                     "the nested and enclosing factors need one value per observation each");
  }
  std::map<std::string, std::string> enclosing;           // F level -> G level
  std::map<std::string, std::set<std::string>> members;   // G level -> F levels
  for (std::size_t i = 0; i < nested_values.size(); ++i) {
    const auto [it, inserted] = enclosing.emplace(nested_values[i], within_values[i]);
    if (!inserted && it->second != within_values[i]) {
      throw InputError(what, "level '" + nested_values[i] + "' occurs in '" + it->second + "' and '" + within_values[i] + "'",
                       "a nested factor's level must occur within one level of the enclosing factor");
    }
    members[within_values[i]].insert(nested_values[i]);
  }
  const std::size_t p = parameter_names_.size();
  Matrix rows = xt::zeros<double>({std::size_t{0}, p});
  std::vector<std::vector<double>> built;
  for (const auto& [group, levels] : members) {
    if (levels.size() < 2) continue;  // a lone level has no freedom to constrain
    std::vector<double> row(p, 0.0);
    bool first = true;
    for (const std::string& level : levels) {
      const std::string column = column_prefix + level;
      const auto found = std::find(parameter_names_.begin(), parameter_names_.end(), column);
      if (found == parameter_names_.end()) {
        throw InputError(what, "column '" + column + "'",
                         "nesting needs one design column per level of the nested factor (within '" + group + "')");
      }
      row[static_cast<std::size_t>(found - parameter_names_.begin())] = first ? -1.0 : 1.0;
      first = false;
    }
    built.push_back(std::move(row));
  }
  Matrix table = Matrix::from_shape({built.size(), p});
  for (std::size_t r = 0; r < built.size(); ++r) {
    for (std::size_t j = 0; j < p; ++j) table(r, j) = built[r][j];
  }
  AddSumToZeroRows(table, what);
}

ConstraintBasis ConstraintSet::Build() const {
  const std::size_t p = parameter_names_.size();
  if (has_basis_) {
    if (!sum_to_zero_rows_.empty() || !equality_rows_.empty()) {
      throw InputError(basis_what_, "a basis together with constraint rows",
                       "give either the basis or constraint rows, not both");
    }
    return ConstraintBasis::FromMatrix(basis_, parameter_names_, basis_what_);
  }
  if (sum_to_zero_rows_.empty() && equality_rows_.empty()) return ConstraintBasis::Identity(parameter_names_);

  if (equality_rows_.empty()) {
    // Form 1 as written: Σ_set a = 0 with the −1 parameter eliminated, i.e.
    // A_D a_D + A_F a_F = 0 with A = |rows|, so a_D = −A_D⁻¹ A_F a_F.
    const std::size_t m = sum_to_zero_rows_.size();
    std::vector<std::size_t> dependent(m);
    std::vector<bool> is_dependent(p, false);
    for (std::size_t r = 0; r < m; ++r) {
      for (std::size_t j = 0; j < p; ++j) {
        if (sum_to_zero_rows_[r][j] == -1.0) dependent[r] = j;
      }
      is_dependent[dependent[r]] = true;
    }
    std::vector<std::size_t> free;
    for (std::size_t j = 0; j < p; ++j) {
      if (!is_dependent[j]) free.push_back(j);
    }
    if (free.empty()) throw InputError(sum_to_zero_where_.front(), "every parameter is a dependent", "the constraints leave no free parameter");
    Eigen::MatrixXd a_dependent(m, m);
    Eigen::MatrixXd a_free(m, free.size());
    for (std::size_t r = 0; r < m; ++r) {
      for (std::size_t c = 0; c < m; ++c) a_dependent(r, c) = std::abs(sum_to_zero_rows_[r][dependent[c]]);
      for (std::size_t c = 0; c < free.size(); ++c) a_free(r, c) = std::abs(sum_to_zero_rows_[r][free[c]]);
    }
    Eigen::FullPivLU<Eigen::MatrixXd> lu(a_dependent);
    if (!lu.isInvertible()) {
      std::string names;
      for (std::size_t r = 0; r < m; ++r) names += (r ? ", " : "") + parameter_names_[dependent[r]];
      throw InputError(sum_to_zero_where_.front(), "dependents {" + names + "}",
                       "the rows' dependent parameters cannot be eliminated (the chain of rows is circular or redundant)");
    }
    const Eigen::MatrixXd solved = -lu.solve(a_free);
    Matrix basis = xt::zeros<double>({p, free.size()});
    for (std::size_t c = 0; c < free.size(); ++c) basis(free[c], c) = 1.0;
    for (std::size_t r = 0; r < m; ++r) {
      for (std::size_t c = 0; c < free.size(); ++c) basis(dependent[r], c) = Snap(solved(r, c));
    }
    return ConstraintBasis::FromMatrix(std::move(basis), parameter_names_, sum_to_zero_where_.front());
  }

  // Any general equality: stack all rows (sum-to-zero rows as |row| = "the
  // set sums to zero") and take the null space in row echelon form.
  Eigen::MatrixXd stacked(sum_to_zero_rows_.size() + equality_rows_.size(), p);
  Eigen::Index r = 0;
  for (const auto& row : sum_to_zero_rows_) {
    for (std::size_t j = 0; j < p; ++j) stacked(r, static_cast<Eigen::Index>(j)) = std::abs(row[j]);
    ++r;
  }
  for (const auto& row : equality_rows_) {
    for (std::size_t j = 0; j < p; ++j) stacked(r, static_cast<Eigen::Index>(j)) = row[j];
    ++r;
  }
  const Eigen::MatrixXd null_space = EchelonNullSpace(stacked);
  if (null_space.cols() == 0) throw InputError("constraints", "rank " + std::to_string(p), "the constraints leave no free parameter");
  Matrix basis = ToMatrix(null_space.unaryExpr([](double v) { return Snap(v); }));
  return ConstraintBasis::FromMatrix(std::move(basis), parameter_names_, "constraints");
}

// ---------------------------------------------------------------- files

ConstraintTable ReadConstraintTable(const std::string& path, const std::vector<std::string>& parameter_names) {
  return ParseConstraintTable(ReadFileContents(path), path, parameter_names);
}

ConstraintTable ParseConstraintTable(std::string contents, const std::string& path,
                                     const std::vector<std::string>& parameter_names) {
  ConstraintTable result;
  std::size_t first_line = 1;
  if (contents.compare(0, 3, "\xEF\xBB\xBF") == 0) contents.erase(0, 3);
  if (!contents.empty() && contents[0] == '#') {
    const std::size_t end = contents.find('\n');
    std::string directive = contents.substr(0, end);
    if (!directive.empty() && directive.back() == '\r') directive.pop_back();
    std::string form = directive.substr(1);
    form.erase(std::remove(form.begin(), form.end(), ' '), form.end());
    if (form == "form:sum-to-zero") {
      result.form = ConstraintForm::kSumToZero;
    } else if (form == "form:equality") {
      result.form = ConstraintForm::kEquality;
    } else if (form == "form:basis") {
      result.form = ConstraintForm::kBasis;
    } else {
      throw InputError(path + ":1", "'" + directive + "'",
                       "the only directive is '#form: sum-to-zero', '#form: equality' or '#form: basis'");
    }
    contents = end == std::string::npos ? std::string() : contents.substr(end + 1);
    first_line = 2;
  }
  const TextTable table = ParseTextTable(contents, path, first_line);
  std::vector<std::size_t> column_of(parameter_names.size(), table.header.size());
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    const auto found = std::find(parameter_names.begin(), parameter_names.end(), table.header[c]);
    if (found == parameter_names.end()) {
      throw InputError(path + ":" + std::to_string(first_line), "column '" + table.header[c] + "'",
                       "is not a parameter of the design (constraint tables have no name column)");
    }
    const std::size_t j = static_cast<std::size_t>(found - parameter_names.begin());
    if (column_of[j] != table.header.size()) {
      throw InputError(path + ":" + std::to_string(first_line), "column '" + table.header[c] + "'", "appears twice");
    }
    column_of[j] = c;
  }
  for (std::size_t j = 0; j < parameter_names.size(); ++j) {
    if (column_of[j] == table.header.size()) {
      throw InputError(path + ":" + std::to_string(first_line),
                       std::to_string(table.header.size()) + " columns, parameter '" + parameter_names[j] + "' missing",
                       "a constraint table needs one column per design parameter (" +
                           std::to_string(parameter_names.size()) + ")");
    }
  }
  if (table.rows.empty()) throw InputError(path, "no rows", "a constraint table needs at least one row");
  result.rows = Matrix::from_shape({table.rows.size(), parameter_names.size()});
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    for (std::size_t j = 0; j < parameter_names.size(); ++j) {
      result.rows(r, j) = ParseFiniteDouble(table.rows[r][column_of[j]], table.Where(r),
                                            "column '" + parameter_names[j] + "'");
    }
  }
  return result;
}

void AddConstraintTable(const ConstraintTable& table, const std::string& what, ConstraintSet* set) {
  switch (table.form) {
    case ConstraintForm::kSumToZero:
      set->AddSumToZeroRows(table.rows, what);
      break;
    case ConstraintForm::kEquality:
      set->AddEqualities(table.rows, what);
      break;
    case ConstraintForm::kBasis:
      set->SetBasis(xt::transpose(table.rows), what);
      break;
  }
}

}  // namespace nbglm
