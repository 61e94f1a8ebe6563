// Formula → design, reproducing R's model.matrix (contrasts or indicators per
// factor per term, interaction columns as products; docs/formulas.md
// "Coding"), reference levels, and nesting constraints. The parsing of the
// formula text is in formula_parser.cc.
#include "nbglm/formula.h"

#include <algorithm>
#include <set>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <utility>

#include "model/formula_parser.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

using Term = std::vector<int>;

// One variable's values as model.matrix sees them.
struct VariableData {
  bool categorical = false;
  std::vector<double> numbers;  // numeric
  FactorLevels factor;          // categorical, releveled
};

// One column of a variable's coding: the suffix after the variable's name
// ("q" for level q, "1" for a sum contrast, "" for a number) and its values.
struct CodedColumn {
  std::string suffix;
  std::vector<double> values;
};

enum class Coding { kContrasts, kIndicators };

std::string LevelList(const std::vector<std::string>& levels) {
  std::string list;
  for (std::size_t k = 0; k < levels.size() && k < 20; ++k) list += (k ? ", " : "") + levels[k];
  if (levels.size() > 20) list += ", …";
  return list;
}

// R's relevel(): `level` moves to the front, the others keep their order.
void Relevel(const std::string& level, FactorLevels* factor) {
  const auto found = std::find(factor->levels.begin(), factor->levels.end(), level);
  const int old_index = static_cast<int>(found - factor->levels.begin());
  factor->levels.erase(found);
  factor->levels.insert(factor->levels.begin(), level);
  for (int& code : factor->codes) {
    if (code == old_index) {
      code = 0;
    } else if (code >= 0 && code < old_index) {
      ++code;
    }
  }
}

void CheckNoMissing(const SampleTable& samples, const SampleColumn& column, const std::string& what) {
  for (std::size_t i = 0; i < column.missing.size(); ++i) {
    if (column.missing[i]) {
      throw InputError(samples.Where(i), "column '" + column.name + "', value '" + column.text[i] + "'",
                       "a missing value in a variable of " + what +
                           " (R would drop the observation; remove it from the sheet or fill it in)");
    }
  }
}

VariableData ResolveVariable(const SampleTable& samples, const FormulaVariable& variable,
                             const FormulaOptions& options, const std::string& what) {
  const SampleColumn& column = samples.Get(variable.column, what);
  CheckNoMissing(samples, column, what);
  VariableData data;
  data.categorical = variable.as_factor || column.is_categorical();
  if (!data.categorical) {
    for (std::size_t i = 0; i < column.numbers.size(); ++i) {
      if (!std::isfinite(column.numbers[i])) {
        throw InputError(samples.Where(i), "column '" + column.name + "', value '" + column.text[i] + "'",
                         "a numeric variable of " + what + " must be finite");
      }
    }
    data.numbers = column.numbers;
    return data;
  }
  data.factor = AsFactor(column);
  const auto reference = options.reference_levels.find(column.name);
  if (reference != options.reference_levels.end()) Relevel(reference->second, &data.factor);
  return data;
}

std::vector<CodedColumn> CodeVariable(const FormulaVariable& variable, const VariableData& data, Coding coding,
                                      const std::string& what) {
  std::vector<CodedColumn> columns;
  if (!data.categorical) {
    columns.push_back({"", data.numbers});
    return columns;
  }
  const std::vector<std::string>& levels = data.factor.levels;
  const std::vector<int>& codes = data.factor.codes;
  const std::size_t n = codes.size();
  const int k = static_cast<int>(levels.size());
  if (coding == Coding::kIndicators) {
    for (int level = 0; level < k; ++level) {
      CodedColumn column{levels[static_cast<std::size_t>(level)], std::vector<double>(n, 0.0)};
      for (std::size_t i = 0; i < n; ++i) column.values[i] = codes[i] == level ? 1.0 : 0.0;
      columns.push_back(std::move(column));
    }
    return columns;
  }
  if (k < 2) {
    throw InputError(what, "'" + variable.name + "'",
                     "has one level ('" + LevelList(levels) +
                         "'); contrasts need a factor with at least 2 levels (drop the term)");
  }
  if (variable.contrast == ContrastKind::kTreatment) {
    // contr.treatment: one indicator per level but the first (the reference).
    for (int level = 1; level < k; ++level) {
      CodedColumn column{levels[static_cast<std::size_t>(level)], std::vector<double>(n, 0.0)};
      for (std::size_t i = 0; i < n; ++i) column.values[i] = codes[i] == level ? 1.0 : 0.0;
      columns.push_back(std::move(column));
    }
  } else {
    // contr.sum: column j is +1 at level j, −1 at the last level; the matrix
    // has no column names, so R numbers them 1 … k−1.
    for (int j = 0; j + 1 < k; ++j) {
      CodedColumn column{std::to_string(j + 1), std::vector<double>(n, 0.0)};
      for (std::size_t i = 0; i < n; ++i) column.values[i] = codes[i] == j ? 1.0 : (codes[i] == k - 1 ? -1.0 : 0.0);
      columns.push_back(std::move(column));
    }
  }
  return columns;
}

// R's TermCode: variable v of term `term` (index t in the sorted list) is
// coded by contrasts when the term without v is empty or contained in an
// earlier term; otherwise by indicators.
Coding TermCoding(const std::vector<Term>& terms, std::size_t t, int v) {
  Term rest;
  for (int u : terms[t]) {
    if (u != v) rest.push_back(u);
  }
  if (rest.empty()) return Coding::kContrasts;
  for (std::size_t earlier = 0; earlier < t; ++earlier) {
    if (std::includes(terms[earlier].begin(), terms[earlier].end(), rest.begin(), rest.end())) {
      return Coding::kContrasts;
    }
  }
  return Coding::kIndicators;
}

void ValidateReferenceLevels(const SampleTable& samples, const FormulaOptions& options) {
  for (const auto& [column_name, level] : options.reference_levels) {
    const std::string where = "--ref " + column_name + "=" + level;
    const SampleColumn& column = samples.Get(column_name, where);
    const FactorLevels factor = AsFactor(column);
    if (std::find(factor.levels.begin(), factor.levels.end(), level) == factor.levels.end()) {
      throw InputError(where, "'" + level + "'",
                       "not a level of column '" + column_name + "' of " + samples.path + " (levels: " +
                           LevelList(factor.levels) + ")");
    }
  }
}

}  // namespace

Design BuildFormulaDesign(const SampleTable& samples, const std::string& formula, const FormulaOptions& options,
                          const std::string& what) {
  return BuildFormulaDesign(samples, ParseFormula(formula, what), options, what);
}

Design BuildFormulaDesign(const SampleTable& samples, const Formula& formula, const FormulaOptions& options,
                          const std::string& what) {
  ValidateReferenceLevels(samples, options);
  const std::size_t n = samples.observation_names.size();
  const std::size_t num_variables = formula.variables.size();
  std::vector<VariableData> data;
  for (const FormulaVariable& variable : formula.variables) data.push_back(ResolveVariable(samples, variable, options, what));

  // The factor pattern: coding per term per variable.
  std::vector<std::vector<Coding>> coding(formula.terms.size(), std::vector<Coding>(num_variables, Coding::kContrasts));
  for (std::size_t t = 0; t < formula.terms.size(); ++t) {
    for (int v : formula.terms[t]) coding[t][static_cast<std::size_t>(v)] = TermCoding(formula.terms, t, v);
  }
  // Without an intercept, the first factor (with more than one level) of the
  // first term that has one is coded by indicators, so that its levels span
  // the intercept (model.c, "alldone").
  if (!formula.intercept) {
    bool done = false;
    for (std::size_t t = 0; t < formula.terms.size() && !done; ++t) {
      for (int v : formula.terms[t]) {
        const VariableData& d = data[static_cast<std::size_t>(v)];
        if (d.categorical && d.factor.levels.size() > 1) {
          coding[t][static_cast<std::size_t>(v)] = Coding::kIndicators;
          done = true;
          break;
        }
      }
    }
  }
  // Factors that nesting constraints sum to zero: their main effect gets all
  // its levels (the constraints, not a dropped reference, identify it).
  for (const std::string& factor : options.indicator_factors) {
    const SampleColumn& column = samples.Get(factor, what);
    if (!column.is_categorical()) {
      throw InputError(what, "'" + factor + "'",
                       "a nested factor must be a factor column; it is numeric in " + samples.path +
                           " (give its levels names, e.g. r1, r2)");
    }
    bool found = false;
    for (std::size_t t = 0; t < formula.terms.size() && !found; ++t) {
      if (formula.terms[t].size() != 1) continue;
      const FormulaVariable& variable = formula.variables[static_cast<std::size_t>(formula.terms[t][0])];
      if (variable.column == factor && !variable.as_factor) {
        coding[t][static_cast<std::size_t>(formula.terms[t][0])] = Coding::kIndicators;
        found = true;
      }
    }
    if (!found) {
      throw InputError(what, "'" + factor + "'",
                       "nesting needs the main-effect term " + DeparseName(factor) + " in the formula (e.g. '~ " +
                           DeparseName(factor) + " + …')");
    }
  }

  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
  if (formula.intercept) {
    names.push_back("(Intercept)");
    columns.emplace_back(n, 1.0);
  }
  for (std::size_t t = 0; t < formula.terms.size(); ++t) {
    // Products of the variables' coded columns, the first variable varying fastest.
    std::vector<CodedColumn> product = {{"", std::vector<double>(n, 1.0)}};
    for (int v : formula.terms[t]) {
      const FormulaVariable& variable = formula.variables[static_cast<std::size_t>(v)];
      const std::vector<CodedColumn> coded =
          CodeVariable(variable, data[static_cast<std::size_t>(v)], coding[t][static_cast<std::size_t>(v)], what);
      std::vector<CodedColumn> next;
      for (const CodedColumn& outer : coded) {
        for (const CodedColumn& inner : product) {
          CodedColumn column;
          const std::string part = variable.name + outer.suffix;
          column.suffix = inner.suffix.empty() ? part : inner.suffix + ":" + part;
          column.values.resize(n);
          for (std::size_t i = 0; i < n; ++i) column.values[i] = inner.values[i] * outer.values[i];
          next.push_back(std::move(column));
        }
      }
      product = std::move(next);
    }
    for (CodedColumn& column : product) {
      names.push_back(column.suffix);
      columns.push_back(std::move(column.values));
    }
  }
  if (columns.empty()) {
    throw InputError(what, "'" + formula.text + "'", "no columns: a design needs an intercept or a term");
  }
  Design design;
  design.observation_names = samples.observation_names;
  design.parameter_names = std::move(names);
  design.values = Matrix::from_shape({n, columns.size()});
  for (std::size_t j = 0; j < columns.size(); ++j) {
    for (std::size_t i = 0; i < n; ++i) design.values(i, j) = columns[j][i];
  }
  design.Validate(what);
  return design;
}

Design FactorIndicatorDesign(const SampleTable& samples, const std::string& column_name, const std::string& what) {
  const SampleColumn& column = samples.Get(column_name, what);
  CheckNoMissing(samples, column, what);
  FormulaVariable variable;
  variable.column = column_name;
  variable.name = DeparseName(column_name);
  VariableData data;
  data.categorical = true;
  data.factor = AsFactor(column);
  std::vector<CodedColumn> coded = CodeVariable(variable, data, Coding::kIndicators, what);
  const std::size_t n = samples.observation_names.size();
  Design design;
  design.observation_names = samples.observation_names;
  design.values = Matrix::from_shape({n, coded.size()});
  for (std::size_t j = 0; j < coded.size(); ++j) {
    design.parameter_names.push_back(variable.name + coded[j].suffix);
    for (std::size_t i = 0; i < n; ++i) design.values(i, j) = coded[j].values[i];
  }
  design.Validate(what);
  return design;
}

std::map<std::string, std::string> ParseReferenceLevels(const std::vector<std::string>& specs,
                                                        const std::string& what) {
  std::map<std::string, std::string> levels;
  for (const std::string& spec : specs) {
    const std::size_t equals = spec.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size()) {
      throw InputError(what, "'" + spec + "'", "must be FACTOR=LEVEL (e.g. condition=untreated)");
    }
    const std::string factor = spec.substr(0, equals);
    const std::string level = spec.substr(equals + 1);
    const auto [it, inserted] = levels.emplace(factor, level);
    if (!inserted && it->second != level) {
      throw InputError(what, "'" + spec + "'", "factor '" + factor + "' already has reference level '" + it->second + "'");
    }
  }
  return levels;
}

Nesting ParseNesting(const std::string& spec, const std::string& what) {
  const std::size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size() ||
      spec.find(':', colon + 1) != std::string::npos) {
    throw InputError(what, "'" + spec + "'", "must be F:G (factor F nested in factor G, e.g. bio_rep:condition)");
  }
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

void AddNestingConstraints(const SampleTable& samples, const Nesting& nesting, const std::string& what,
                           ConstraintSet* constraints) {
  const SampleColumn& nested = samples.Get(nesting.nested, what);
  const SampleColumn& within = samples.Get(nesting.within, what);
  if (!nested.is_categorical()) {
    throw InputError(what, "'" + nesting.nested + "'",
                     "a nested factor must be a factor column; it is numeric in " + samples.path);
  }
  CheckNoMissing(samples, nested, what);
  CheckNoMissing(samples, within, what);
  const FactorLevels nested_factor = AsFactor(nested);
  const FactorLevels within_factor = AsFactor(within);
  std::vector<std::string> nested_values, within_values;
  for (std::size_t i = 0; i < samples.observation_names.size(); ++i) {
    nested_values.push_back(nested_factor.levels[static_cast<std::size_t>(nested_factor.codes[i])]);
    within_values.push_back(within_factor.levels[static_cast<std::size_t>(within_factor.codes[i])]);
  }
  constraints->AddNesting(nested_values, within_values, DeparseName(nesting.nested), what);
}

}  // namespace nbglm
