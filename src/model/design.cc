#include "nbglm/design.h"

#include <cmath>
#include <sstream>
#include <unordered_set>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {

void Design::Validate(const std::string& what) const {
  if (values.dimension() != 2) throw InputError(what, "values", "must be a matrix");
  const std::size_t n = values.shape(0);
  const std::size_t p = values.shape(1);
  if (n == 0) throw InputError(what, "0 observations", "a design needs at least one observation");
  if (p == 0) throw InputError(what, "0 parameters", "a design needs at least one parameter column");
  if (parameter_names.size() != p) {
    throw InputError(what, std::to_string(parameter_names.size()) + " parameter names",
                     "expected " + std::to_string(p) + " (one per column)");
  }
  if (observation_names.size() != n) {
    throw InputError(what, std::to_string(observation_names.size()) + " observation names",
                     "expected " + std::to_string(n) + " (one per row)");
  }
  std::unordered_set<std::string> seen;
  for (const std::string& name : parameter_names) {
    if (name.empty()) throw InputError(what, "''", "parameter names must be non-empty");
    if (!seen.insert(name).second) throw InputError(what, "'" + name + "'", "parameter names must be unique");
  }
  seen.clear();
  for (const std::string& name : observation_names) {
    if (name.empty()) throw InputError(what, "''", "observation names must be non-empty");
    if (!seen.insert(name).second) throw InputError(what, "'" + name + "'", "observation names must be unique");
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < p; ++j) {
      if (!std::isfinite(values(i, j))) {
        throw InputError(what, "value at observation '" + observation_names[i] + "', parameter '" +
                                   parameter_names[j] + "'", "must be finite");
      }
    }
  }
}

Design MakeDesign(Matrix values, std::vector<std::string> parameter_names,
                  std::vector<std::string> observation_names) {
  Design design;
  if (observation_names.empty() && values.dimension() == 2) {
    for (std::size_t i = 0; i < values.shape(0); ++i) observation_names.push_back("obs_" + std::to_string(i));
  }
  design.values = std::move(values);
  design.parameter_names = std::move(parameter_names);
  design.observation_names = std::move(observation_names);
  design.Validate("design");
  return design;
}

Design InterceptDesign(const std::vector<std::string>& observation_names) {
  Matrix values = xt::ones<double>({observation_names.size(), std::size_t{1}});
  return MakeDesign(std::move(values), {"(Intercept)"}, observation_names);
}

Design ReadDesign(const std::string& path) {
  const TextTable table = ReadTextTable(path);
  if (table.header.size() < 2) {
    throw InputError(path + ":1", std::to_string(table.header.size()) + " columns",
                     "a design needs an observation-name column and at least one parameter column");
  }
  if (table.rows.empty()) throw InputError(path, "no rows", "a design needs at least one observation");
  Design design;
  design.parameter_names.assign(table.header.begin() + 1, table.header.end());
  const std::size_t n = table.rows.size();
  const std::size_t p = design.parameter_names.size();
  design.values = Matrix::from_shape({n, p});
  for (std::size_t i = 0; i < n; ++i) {
    design.observation_names.push_back(table.rows[i][0]);
    for (std::size_t j = 0; j < p; ++j) {
      design.values(i, j) = ParseFiniteDouble(table.rows[i][j + 1], table.Where(i),
                                              "column '" + design.parameter_names[j] + "'");
    }
  }
  design.Validate(path);
  return design;
}

std::string DesignToTsv(const Design& design) {
  std::ostringstream out;
  out << "observation";
  for (const std::string& name : design.parameter_names) out << '\t' << name;
  out << '\n';
  for (Index i = 0; i < design.num_observations(); ++i) {
    out << design.observation_names[static_cast<std::size_t>(i)];
    for (Index j = 0; j < design.num_parameters(); ++j) out << '\t' << FormatDouble(design.values(i, j));
    out << '\n';
  }
  return out.str();
}

}  // namespace nbglm
