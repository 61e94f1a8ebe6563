#include "nbglm/sample_table.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "nbglm/error.h"

namespace nbglm {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool IsMissing(const std::string& field) {
  return field == "NA" || std::all_of(field.begin(), field.end(), IsBlank);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool StartsWithNoCase(const std::string& text, std::size_t pos, const char* prefix) {
  const std::size_t length = std::strlen(prefix);
  if (text.size() - pos < length) return false;
  for (std::size_t k = 0; k < length; ++k) {
    const char a = text[pos + k];
    const char lower = (a >= 'A' && a <= 'Z') ? static_cast<char>(a - 'A' + 'a') : a;
    if (lower != prefix[k]) return false;
  }
  return true;
}

// The grammar of R's R_strtod as type.convert applies it (the whole field,
// blanks around it allowed): [sign] (NaN | Inf | 0x hex [. hex] [p exp] |
// digits [. digits] [e exp]), at least one mantissa digit. The value is then
// read by strtod, which rounds correctly; R's own conversion agrees on every
// value with at most 15 significant digits.
bool ParseRNumber(const std::string& field, double* value) {
  std::size_t p = 0;
  while (p < field.size() && IsBlank(field[p])) ++p;
  std::size_t end = field.size();
  while (end > p && IsBlank(field[end - 1])) --end;
  const std::string text = field.substr(p, end - p);
  std::size_t i = 0;
  double sign = 1.0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    if (text[i] == '-') sign = -1.0;
    ++i;
  }
  if (text.size() - i == 3 && StartsWithNoCase(text, i, "nan")) {
    *value = std::nan("");
    return true;
  }
  if ((text.size() - i == 3 && StartsWithNoCase(text, i, "inf"))) {
    *value = sign * HUGE_VAL;
    return true;
  }
  const bool hex = text.size() - i > 2 && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X');
  std::size_t digits = 0;
  if (hex) {
    i += 2;
    for (; i < text.size() && IsHexDigit(text[i]); ++i) ++digits;
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && IsHexDigit(text[i]); ++i) ++digits;
    }
    if (digits == 0) return false;
    if (i < text.size() && (text[i] == 'p' || text[i] == 'P')) {
      ++i;
      if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
      std::size_t exponent_digits = 0;
      for (; i < text.size() && IsDigit(text[i]); ++i) ++exponent_digits;
      if (exponent_digits == 0) return false;
    }
  } else {
    for (; i < text.size() && IsDigit(text[i]); ++i) ++digits;
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && IsDigit(text[i]); ++i) ++digits;
    }
    if (digits == 0) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
      std::size_t exponent_digits = 0;
      for (; i < text.size() && IsDigit(text[i]); ++i) ++exponent_digits;
      if (exponent_digits == 0) return false;
    }
  }
  if (i != text.size()) return false;
  *value = std::strtod(text.c_str(), nullptr);
  return true;
}

// R's Strtoi(s, 10) as type.convert uses it: strtol over the whole field
// (leading blanks and a sign allowed, nothing after the digits), within
// (INT_MIN, INT_MAX] (INT_MIN is R's NA_integer_).
bool IsRInteger(const std::string& field) {
  if (field.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long value = std::strtol(field.c_str(), &end, 10);
  if (end == field.c_str() || *end != '\0' || errno == ERANGE) return false;
  return value > INT_MIN && value <= INT_MAX;
}

bool IsRLogical(const std::string& field, bool* value) {
  static const char* const kTrue[] = {"T", "TRUE", "true", "True"};
  static const char* const kFalse[] = {"F", "FALSE", "false", "False"};
  for (const char* word : kTrue) {
    if (field == word) {
      *value = true;
      return true;
    }
  }
  for (const char* word : kFalse) {
    if (field == word) {
      *value = false;
      return true;
    }
  }
  return false;
}

void TypeColumn(SampleColumn* column) {
  const std::size_t n = column->text.size();
  column->missing.assign(n, false);
  bool all_logical = true, all_numeric = true, all_integer = true;
  std::vector<double> numbers(n, std::nan(""));
  std::vector<bool> logicals(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& field = column->text[i];
    if (IsMissing(field)) {
      column->missing[i] = true;
      continue;
    }
    bool truth = false;
    if (all_logical && IsRLogical(field, &truth)) {
      logicals[i] = truth;
    } else {
      all_logical = false;
    }
    if (all_numeric && !ParseRNumber(field, &numbers[i])) all_numeric = false;
    if (all_integer && !IsRInteger(field)) all_integer = false;
  }
  // type.convert tries logical, then integer, then double; a column with no
  // value at all is logical in R.
  if (all_logical) {
    column->type = SampleColumnType::kLogical;
    column->levels = {"FALSE", "TRUE"};
    column->level_codes.assign(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      if (!column->missing[i]) column->level_codes[i] = logicals[i] ? 1 : 0;
    }
    return;
  }
  if (all_numeric) {
    column->type = SampleColumnType::kNumeric;
    column->is_integer = all_integer;
    column->numbers = std::move(numbers);
    return;
  }
  column->type = SampleColumnType::kFactor;
  std::vector<std::string> levels;
  for (std::size_t i = 0; i < n; ++i) {
    if (!column->missing[i]) levels.push_back(column->text[i]);
  }
  std::sort(levels.begin(), levels.end());  // byte order: std::string compares as unsigned char
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  column->level_codes.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    if (column->missing[i]) continue;
    column->level_codes[i] =
        static_cast<int>(std::lower_bound(levels.begin(), levels.end(), column->text[i]) - levels.begin());
  }
  column->levels = std::move(levels);
}

std::string FirstNames(const std::vector<std::string>& names) {
  std::string list;
  for (std::size_t k = 0; k < names.size() && k < 5; ++k) list += (k ? ", " : "") + names[k];
  if (names.size() > 5) list += ", … (" + std::to_string(names.size()) + " in all)";
  return list;
}

}  // namespace

const char* SampleColumnTypeName(SampleColumnType type) {
  switch (type) {
    case SampleColumnType::kNumeric:
      return "numeric";
    case SampleColumnType::kLogical:
      return "logical";
    case SampleColumnType::kFactor:
      return "factor";
  }
  return "factor";
}

std::string SampleTable::Where(std::size_t observation) const {
  return path + ":" + std::to_string(observation < line_numbers.size() ? line_numbers[observation] : 0);
}

const SampleColumn* SampleTable::Find(const std::string& name) const {
  for (const SampleColumn& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

const SampleColumn& SampleTable::Get(const std::string& name, const std::string& what) const {
  const SampleColumn* column = Find(name);
  if (column == nullptr) {
    throw InputError(what, "'" + name + "'", "unknown column of " + path + " (columns: " + ColumnList() + ")");
  }
  return *column;
}

std::string SampleTable::ColumnList() const {
  std::string list;
  for (const SampleColumn& column : columns) list += (list.empty() ? "" : ", ") + column.name;
  return list.empty() ? std::string("none") : list;
}

SampleTable MakeSampleTable(const TextTable& table) {
  if (table.header.empty()) {
    throw InputError(table.path + ":1", "0 columns", "a sample sheet needs an observation-name column");
  }
  if (table.rows.empty()) throw InputError(table.path, "no rows", "a sample sheet needs at least one observation");
  SampleTable samples;
  samples.path = table.path;
  samples.name_column = table.header[0];
  std::unordered_map<std::string, std::size_t> first_column;
  for (std::size_t j = 1; j < table.header.size(); ++j) {
    const std::string& name = table.header[j];
    if (name.empty()) {
      throw InputError(table.path + ":1", "column " + std::to_string(j + 1), "a sample-sheet column needs a name");
    }
    const auto [it, inserted] = first_column.emplace(name, j);
    if (!inserted) {
      throw InputError(table.path + ":1", "'" + name + "'",
                       "duplicate column name (columns " + std::to_string(it->second + 1) + " and " +
                           std::to_string(j + 1) + ")");
    }
  }
  std::unordered_map<std::string, std::size_t> first_line;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const std::string& name = table.rows[i][0];
    const std::string where = table.Where(i);
    if (name.empty()) throw InputError(where, "''", "an observation name (column 1) must be non-empty");
    const auto [it, inserted] = first_line.emplace(name, table.line_numbers[i]);
    if (!inserted) {
      throw InputError(where, "'" + name + "'",
                       "duplicate observation name in column 1 (first on line " + std::to_string(it->second) + ")");
    }
    samples.observation_names.push_back(name);
    samples.line_numbers.push_back(table.line_numbers[i]);
  }
  for (std::size_t j = 1; j < table.header.size(); ++j) {
    SampleColumn column;
    column.name = table.header[j];
    column.text.reserve(table.rows.size());
    for (const auto& row : table.rows) column.text.push_back(row[j]);
    TypeColumn(&column);
    samples.columns.push_back(std::move(column));
  }
  return samples;
}

SampleTable MakeSampleTable(const SampleSheetText& sheet) {
  SampleTable samples = MakeSampleTable(sheet.table);
  for (const auto& [name, categories] : sheet.categories) {
    SampleColumn* column = nullptr;
    for (SampleColumn& c : samples.columns) {
      if (c.name == name) column = &c;
    }
    if (column == nullptr) continue;
    std::unordered_map<std::string, int> category_of;
    for (std::size_t k = 0; k < categories.size(); ++k) category_of.emplace(categories[k], static_cast<int>(k));
    std::vector<bool> used(categories.size(), false);
    for (std::size_t i = 0; i < column->text.size(); ++i) {
      if (column->missing[i]) continue;
      const auto found = category_of.find(column->text[i]);
      if (found == category_of.end()) {
        throw InputError(samples.Where(i), "'" + column->text[i] + "'",
                         "not a category of column '" + name + "'");
      }
      used[static_cast<std::size_t>(found->second)] = true;
    }
    column->type = SampleColumnType::kFactor;
    column->is_integer = false;
    column->numbers.clear();
    column->levels.clear();
    std::vector<int> level_of(categories.size(), -1);
    for (std::size_t k = 0; k < categories.size(); ++k) {
      if (!used[k]) continue;
      level_of[k] = static_cast<int>(column->levels.size());
      column->levels.push_back(categories[k]);
    }
    column->level_codes.assign(column->text.size(), -1);
    for (std::size_t i = 0; i < column->text.size(); ++i) {
      if (!column->missing[i]) column->level_codes[i] = level_of[static_cast<std::size_t>(category_of[column->text[i]])];
    }
  }
  return samples;
}

SampleTable ReadSampleTable(const std::string& path) { return MakeSampleTable(ReadSampleSheetText(path)); }

SampleTable SelectObservations(const SampleTable& samples, const std::vector<std::string>& observation_names,
                               const std::string& what) {
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < samples.observation_names.size(); ++i) row_of.emplace(samples.observation_names[i], i);
  std::vector<std::size_t> order;
  std::vector<std::string> absent;
  for (const std::string& name : observation_names) {
    const auto found = row_of.find(name);
    if (found == row_of.end()) {
      absent.push_back(name);
    } else {
      order.push_back(found->second);
    }
  }
  if (!absent.empty()) {
    throw InputError(what, "observations " + FirstNames(absent), "are not rows of the sample sheet " + samples.path);
  }
  if (observation_names.size() != samples.observation_names.size()) {
    std::vector<bool> used(samples.observation_names.size(), false);
    for (std::size_t i : order) used[i] = true;
    std::vector<std::string> extra;
    for (std::size_t i = 0; i < used.size(); ++i) {
      if (!used[i]) extra.push_back(samples.observation_names[i]);
    }
    throw InputError(what, "sample-sheet rows " + FirstNames(extra), "are not observations of the design");
  }
  SampleTable selected;
  selected.path = samples.path;
  selected.name_column = samples.name_column;
  for (std::size_t i : order) {
    selected.observation_names.push_back(samples.observation_names[i]);
    selected.line_numbers.push_back(samples.line_numbers[i]);
  }
  for (const SampleColumn& column : samples.columns) {
    SampleColumn picked;
    picked.name = column.name;
    picked.type = column.type;
    picked.is_integer = column.is_integer;
    picked.levels = column.levels;  // levels come from the whole sheet, as R's would
    for (std::size_t i : order) {
      picked.text.push_back(column.text[i]);
      picked.missing.push_back(column.missing[i]);
      if (!column.numbers.empty()) picked.numbers.push_back(column.numbers[i]);
      if (!column.level_codes.empty()) picked.level_codes.push_back(column.level_codes[i]);
    }
    selected.columns.push_back(std::move(picked));
  }
  return selected;
}

std::string RDoubleLabel(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  if (value == 0.0) return "0";
  // R's formatReal with digits = 15: the fewest significant digits (≤ 15)
  // that show the value rounded to 15 digits, then fixed notation when it is
  // no wider than scientific (R_print.scipen = 0).
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.14e", value);
  const std::string scientific = buffer;
  const std::size_t e_pos = scientific.find('e');
  const int exponent = std::atoi(scientific.c_str() + e_pos + 1);
  std::string mantissa_digits;
  for (std::size_t k = 0; k < e_pos; ++k) {
    if (IsDigit(scientific[k])) mantissa_digits += scientific[k];
  }
  while (mantissa_digits.size() > 1 && mantissa_digits.back() == '0') mantissa_digits.pop_back();
  const int significant = static_cast<int>(mantissa_digits.size());
  const int negative = value < 0 ? 1 : 0;
  const int decimals = std::max(0, significant - exponent - 1);
  const int left = exponent >= 0 ? exponent + 1 : 1;
  const int fixed_width = negative + left + (decimals > 0 ? decimals + 1 : 0);
  const int exponent_width = std::abs(exponent) >= 100 ? 5 : 4;  // "e+05", "e-100"
  const int scientific_width = negative + (significant > 1 ? significant + 1 : 1) + exponent_width;
  if (fixed_width <= scientific_width) {
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.*e", significant - 1, value);
  }
  return buffer;
}

FactorLevels AsFactor(const SampleColumn& column) {
  FactorLevels factor;
  if (column.is_categorical()) {
    factor.levels = column.levels;
    factor.codes = column.level_codes;
    return factor;
  }
  // factor(x) on a number column: levels = sort(unique(x)), labels =
  // as.character(levels); NaN is excluded like NA.
  std::vector<double> distinct;
  for (double x : column.numbers) {
    if (!std::isnan(x)) distinct.push_back(x);
  }
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (double x : distinct) {
    factor.levels.push_back(column.is_integer ? std::to_string(static_cast<long long>(x)) : RDoubleLabel(x));
  }
  factor.codes.assign(column.numbers.size(), -1);
  for (std::size_t i = 0; i < column.numbers.size(); ++i) {
    const double x = column.numbers[i];
    if (std::isnan(x)) continue;
    factor.codes[i] = static_cast<int>(std::lower_bound(distinct.begin(), distinct.end(), x) - distinct.begin());
  }
  return factor;
}

}  // namespace nbglm
