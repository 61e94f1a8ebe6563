// Counts from text: the tokens of MatrixMarket entry lines and dense table
// cells, and the MatrixMarket header and entries (docs/formats.md
// "Counts"), shared by the text readers of CountReader (counts_io.cc). The
// per-entry helpers are inline: they run once per stored count. Internal.
#ifndef NBGLM_SRC_IO_COUNT_TEXT_H_
#define NBGLM_SRC_IO_COUNT_TEXT_H_

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/line_source.h"
#include "nbglm/counts.h"
#include "nbglm/error.h"

namespace nbglm::count_text {

inline bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// A token as shown in a message: empty ones made visible.
inline std::string Show(std::string_view token) { return token.empty() ? std::string("''") : std::string(token); }

// Splits off the next blank-separated token of *rest ("" when none is left).
inline std::string_view NextToken(std::string_view* rest) {
  std::size_t begin = 0;
  while (begin < rest->size() && IsBlank((*rest)[begin])) ++begin;
  std::size_t end = begin;
  while (end < rest->size() && !IsBlank((*rest)[end])) ++end;
  const std::string_view token = rest->substr(begin, end - begin);
  rest->remove_prefix(end);
  return token;
}

inline bool IsBlankLine(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return IsBlank(c); });
}

// Parses a whole token as a non-negative-or-negative integer.
inline bool ParseInteger(std::string_view token, std::int64_t* value) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  const auto result = std::from_chars(token.data(), token.data() + token.size(), *value);
  return result.ec == std::errc() && result.ptr == token.data() + token.size() && !token.empty();
}

// True when `line` is exactly three unsigned decimal numbers of at most 18
// digits separated by single spaces ("12 7 3"), the form nearly every entry
// line has; they are then in *numbers. Any other line (tabs, signs, reals,
// more spaces, '\r') takes ParseMatrixMarketEntries's general path, with its
// checks and messages; for these lines both give the same numbers.
inline bool ThreeCounts(std::string_view line, std::int64_t* numbers) {
  const char* at = line.data();
  const char* const end = at + line.size();
  for (int k = 0; k < 3; ++k) {
    if (k > 0) {
      if (at == end || *at != ' ') return false;
      ++at;
    }
    const char* const first = at;
    std::int64_t value = 0;
    while (at != end && *at >= '0' && *at <= '9' && at - first < 18) value = value * 10 + (*at++ - '0');
    if (at == first || (at != end && *at >= '0' && *at <= '9')) return false;
    numbers[k] = value;
  }
  return at == end;
}

// Parses a whole token as a count; on failure sets *rule. Integers take the
// fast path; "3.0", "1e3" are accepted as the integral reals they are.
inline bool ParseCount(std::string_view token, double* value, std::string* rule) {
  std::int64_t integer = 0;
  if (ParseInteger(token, &integer)) {
    *value = static_cast<double>(integer);
  } else {
    std::string_view text = token;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const auto result = std::from_chars(text.data(), text.data() + text.size(), *value);
    if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size()) {
      *rule = "counts must be non-negative integers";
      return false;
    }
  }
  return IsValidCount(*value, rule);
}

// The text in lower case (ASCII).
std::string Lowercase(std::string_view text);

// The MatrixMarket header: sizes from the size line.
struct MatrixMarketHeader {
  std::int64_t num_rows = 0;
  std::int64_t num_columns = 0;
  std::int64_t num_entries = 0;
};

// Reads the banner and size line, leaving `lines` at the first entry line.
MatrixMarketHeader ReadMatrixMarketHeader(const std::string& path, LineSource* lines);

// "PATH:LINE: entry (ROW, COLUMN)", 1-based as in the file.
std::string EntryWhere(const std::string& path, std::int64_t line, std::int64_t row, std::int64_t column);

// Parses every entry line after the header, checking syntax, range and
// value, and calls on_entry(line_number, row0, column0, value) with 0-based
// indices; stops early when on_entry returns false. Checks the entry count
// against the header.
template <typename OnEntry>
void ParseMatrixMarketEntries(const std::string& path, const MatrixMarketHeader& header, LineSource* lines,
                              OnEntry&& on_entry) {
  std::string_view line;
  std::int64_t seen = 0;
  std::string rule;
  while (lines->Next(&line)) {
    if (line.empty() || IsBlankLine(line)) continue;
    if (line.front() == '%') continue;  // tolerated, though the format has none here
    std::int64_t fast[3];
    if (ThreeCounts(line, fast) && fast[0] >= 1 && fast[0] <= header.num_rows && fast[1] >= 1 &&
        fast[1] <= header.num_columns && fast[2] <= kMaxCount && seen < header.num_entries) {
      ++seen;  // a plain valid entry; any other line takes the checks below, with their messages
      if (!on_entry(lines->line_number(), fast[0] - 1, fast[1] - 1, static_cast<double>(fast[2]))) return;
      continue;
    }
    const std::int64_t line_number = lines->line_number();
    std::string_view rest = line;
    const std::string_view row_token = NextToken(&rest);
    const std::string_view column_token = NextToken(&rest);
    const std::string_view value_token = NextToken(&rest);
    // Messages are composed only on the error path: this loop runs per entry.
    const auto where = [&path, line_number]() { return path + ":" + std::to_string(line_number); };
    std::int64_t row = 0;
    std::int64_t column = 0;
    if (!ParseInteger(row_token, &row)) throw InputError(where(), Show(row_token), "a row index must be an integer");
    if (!ParseInteger(column_token, &column)) {
      throw InputError(where(), Show(column_token), "a column index must be an integer");
    }
    if (value_token.empty()) {
      throw InputError(EntryWhere(path, line_number, row, column), "no value",
                       "an entry line holds row, column and value");
    }
    if (!NextToken(&rest).empty()) {
      throw InputError(EntryWhere(path, line_number, row, column), "'" + std::string(line) + "'",
                       "an entry line holds exactly row, column and value");
    }
    if (++seen > header.num_entries) {
      throw InputError(EntryWhere(path, line_number, row, column), "extra entry",
                       "the size line declares " + std::to_string(header.num_entries) + " entries");
    }
    if (row < 1 || row > header.num_rows) {
      throw InputError(EntryWhere(path, line_number, row, column), "row " + std::to_string(row),
                       "must lie in 1.." + std::to_string(header.num_rows));
    }
    if (column < 1 || column > header.num_columns) {
      throw InputError(EntryWhere(path, line_number, row, column), "column " + std::to_string(column),
                       "must lie in 1.." + std::to_string(header.num_columns));
    }
    double value = 0.0;
    if (!ParseCount(value_token, &value, &rule)) {
      throw InputError(EntryWhere(path, line_number, row, column), std::string(value_token), rule);
    }
    if (!on_entry(line_number, row - 1, column - 1, value)) return;
  }
  if (seen < header.num_entries) {
    throw InputError(path, std::to_string(seen) + " entries",
                     "the size line declares " + std::to_string(header.num_entries) + " (file truncated?)");
  }
}

// Finds the line numbers of the first two entries at (row0, column0) for the
// duplicate-entry message; runs only on that error path.
std::pair<std::int64_t, std::int64_t> FindDuplicateLines(const std::string& path, LineSource* lines,
                                                         std::int64_t row0, std::int64_t column0);

// Parses field i + 1 of a dense row as a count.
double DenseCount(const std::vector<std::string>& fields, std::size_t i, const std::vector<std::string>& header,
                  LineSource* lines, std::string* rule);

}  // namespace nbglm::count_text

#endif  // NBGLM_SRC_IO_COUNT_TEXT_H_
