#include "nbglm/identifiability.h"

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "eigen_view.h"
#include "model/linear_algebra.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

std::string FormatCoefficient(double magnitude) {
  // Directions are in echelon form, so most coefficients are small integers
  // or short fractions; print up to 6 significant digits.
  std::ostringstream out;
  out.precision(6);
  out << magnitude;
  return out.str();
}

}  // namespace

std::string FormatCombination(const std::vector<double>& coefficients, const std::vector<std::string>& names) {
  double largest = 0.0;
  for (double c : coefficients) largest = std::max(largest, std::abs(c));
  std::string text;
  for (std::size_t j = 0; j < coefficients.size(); ++j) {
    const double c = coefficients[j];
    if (std::abs(c) <= 1e-12 * largest || c == 0.0) continue;
    const double magnitude = std::abs(c);
    std::string term = std::abs(magnitude - 1.0) < 1e-9 ? names[j] : FormatCoefficient(magnitude) + "*" + names[j];
    if (text.empty()) {
      text = (c < 0 ? "-" : "") + term;
    } else {
      text += (c < 0 ? " - " : " + ") + term;
    }
  }
  return text.empty() ? "0" : text;
}

IdentifiabilityReport CheckIdentifiability(const Design& design, const ConstraintBasis& basis) {
  if (basis.num_parameters() != design.num_parameters()) {
    throw InputError("constraints", std::to_string(basis.num_parameters()) + " parameters",
                     "expected " + std::to_string(design.num_parameters()) + " (the design's columns)");
  }
  IdentifiabilityReport report;
  const Eigen::MatrixXd distinct = DistinctRows(AsEigen(design.values));
  const Eigen::MatrixXd b = AsEigen(basis.basis());
  report.parameters = design.num_parameters();
  report.rank = NumericalRank(distinct);
  report.deficiency = report.parameters - report.rank;
  report.reduced_parameters = basis.num_reduced();
  const Eigen::MatrixXd reduced = distinct * b;
  const Index reduced_rank = NumericalRank(reduced);
  report.constrained_deficiency = report.reduced_parameters - reduced_rank;
  if (report.constrained_deficiency > 0) {
    // Directions in θ that X B cannot see, mapped to a = B θ and written in
    // echelon form (leading coefficient 1, few terms) for readability.
    const Eigen::MatrixXd directions = b * NumericalNullSpace(reduced);  // p × d
    std::vector<Index> pivots;
    const Eigen::MatrixXd echelon = ReducedRowEchelon(directions.transpose(), &pivots, 1e-9);
    for (Eigen::Index r = 0; r < echelon.rows(); ++r) {
      std::vector<double> coefficients(static_cast<std::size_t>(echelon.cols()));
      for (Eigen::Index j = 0; j < echelon.cols(); ++j) {
        const double v = echelon(r, j);
        const double nearest = std::round(v);
        coefficients[static_cast<std::size_t>(j)] = std::abs(v - nearest) < 1e-9 ? nearest : v;
      }
      report.unidentifiable.push_back(FormatCombination(coefficients, design.parameter_names));
    }
  }
  return report;
}

std::string IdentifiabilityReport::Report(const std::string& title) const {
  std::ostringstream out;
  out << title << ": " << parameters << " parameters, rank " << rank << ", deficiency " << deficiency
      << " without constraints";
  if (reduced_parameters != parameters || deficiency != constrained_deficiency) {
    out << "; " << reduced_parameters << " free parameters under constraints, deficiency "
        << constrained_deficiency;
  }
  out << (identifiable() ? " (identifiable)" : " (NOT identifiable)") << "\n";
  for (const std::string& combination : unidentifiable) out << "  unidentifiable: " << combination << "\n";
  return out.str();
}

std::string IdentifiabilityReport::ToJson() const {
  nlohmann::ordered_json json;
  json["parameters"] = parameters;
  json["rank"] = rank;
  json["deficiency"] = deficiency;
  json["reduced_parameters"] = reduced_parameters;
  json["constrained_deficiency"] = constrained_deficiency;
  json["unidentifiable"] = unidentifiable;
  return json.dump();
}

void RequireIdentifiable(const IdentifiabilityReport& report, const std::string& what) {
  if (report.identifiable()) return;
  std::string combinations;
  for (const std::string& c : report.unidentifiable) combinations += (combinations.empty() ? "" : "; ") + c;
  throw InputError(what, "deficiency " + std::to_string(report.constrained_deficiency),
                   "the model is not identifiable (add constraints); unidentifiable: " + combinations);
}

}  // namespace nbglm
