#include "io/count_text.h"

#include <cctype>

#include "nbglm/counts_io.h"

namespace nbglm::count_text {

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads the banner and size line, leaving `lines` at the first entry line.
MatrixMarketHeader ReadMatrixMarketHeader(const std::string& path, LineSource* lines) {
  std::string_view line;
  if (!lines->Next(&line)) throw InputError(path, "empty file", "a MatrixMarket file starts with a %%MatrixMarket line");
  const std::string where = path + ":1";
  std::string_view rest = line;
  const std::string banner = Lowercase(NextToken(&rest));
  if (banner != "%%matrixmarket") {
    throw InputError(where, "'" + std::string(line.substr(0, 40)) + "'",
                     "a MatrixMarket file starts with '%%MatrixMarket matrix coordinate integer general'");
  }
  const std::string object = Lowercase(NextToken(&rest));
  const std::string format = Lowercase(NextToken(&rest));
  const std::string field = Lowercase(NextToken(&rest));
  const std::string symmetry = Lowercase(NextToken(&rest));
  if (object != "matrix") throw InputError(where, "object '" + object + "'", "only 'matrix' MatrixMarket files hold counts");
  if (format != "coordinate") {
    throw InputError(where, "format '" + format + "'",
                     "only the sparse 'coordinate' MatrixMarket format is read (write dense counts as TSV)");
  }
  if (field != "integer" && field != "real") {
    throw InputError(where, "field '" + field + "'",
                     "counts need field 'integer' or 'real' (pattern and complex matrices carry no counts)");
  }
  if (symmetry != "general") {
    throw InputError(where, "symmetry '" + symmetry + "'",
                     "only 'general' MatrixMarket files are read (a count matrix is not symmetric)");
  }
  if (!NextToken(&rest).empty()) throw InputError(where, "extra text", "the banner has exactly five words");

  // Comments and blank lines may precede the size line.
  for (;;) {
    if (!lines->Next(&line)) throw InputError(path, "no size line", "file ends before 'rows columns entries'");
    if (!line.empty() && line.front() == '%') continue;
    if (IsBlankLine(line)) continue;
    break;
  }
  const std::string size_where = path + ":" + std::to_string(lines->line_number());
  rest = line;
  MatrixMarketHeader header;
  const char* names[3] = {"rows", "columns", "entries"};
  std::int64_t* targets[3] = {&header.num_rows, &header.num_columns, &header.num_entries};
  for (int k = 0; k < 3; ++k) {
    const std::string_view token = NextToken(&rest);
    if (!ParseInteger(token, targets[k]) || *targets[k] < 0) {
      throw InputError(size_where, Show(token),
                       std::string("the size line holds rows, columns and entries as non-negative integers (") +
                           names[k] + ")");
    }
  }
  if (!NextToken(&rest).empty()) {
    throw InputError(size_where, "'" + std::string(line) + "'", "the size line holds exactly rows, columns and entries");
  }
  if (header.num_rows < 1 || header.num_columns < 1) {
    throw InputError(size_where, std::to_string(header.num_rows) + " x " + std::to_string(header.num_columns),
                     "a count matrix needs at least one feature and one observation");
  }
  // Every feature and observation costs memory (names, offsets, design rows)
  // whether or not it has entries; a size line beyond any real data set
  // (the largest single-cell atlases have ~10^7 cells) is a corrupt file, to
  // be refused before anything is allocated for it.
  if (header.num_rows > kMaxCountDimension || header.num_columns > kMaxCountDimension) {
    throw InputError(size_where, std::to_string(header.num_rows) + " x " + std::to_string(header.num_columns),
                     "at most " + std::to_string(kMaxCountDimension) + " rows and columns are supported (a corrupt size line?)");
  }
  // rows × columns fits in int64 after the check above.
  if (header.num_entries > header.num_rows * header.num_columns) {
    throw InputError(size_where, std::to_string(header.num_entries) + " entries",
                     "more than rows x columns = " + std::to_string(header.num_rows * header.num_columns));
  }
  return header;
}

std::string EntryWhere(const std::string& path, std::int64_t line, std::int64_t row, std::int64_t column) {
  return path + ":" + std::to_string(line) + ": entry (" + std::to_string(row) + ", " + std::to_string(column) + ")";
}

// Finds the line numbers of the first two entries at (row0, column0) for the
// duplicate-entry message; runs only on that error path.
std::pair<std::int64_t, std::int64_t> FindDuplicateLines(const std::string& path, LineSource* lines,
                                                         std::int64_t row0, std::int64_t column0) {
  lines->Rewind();
  const MatrixMarketHeader header = ReadMatrixMarketHeader(path, lines);
  std::pair<std::int64_t, std::int64_t> found(0, 0);
  ParseMatrixMarketEntries(path, header, lines, [&](std::int64_t line, std::int64_t r, std::int64_t c, double) {
    if (r != row0 || c != column0) return true;
    if (found.first == 0) {
      found.first = line;
      return true;
    }
    found.second = line;
    return false;
  });
  return found;
}

// Parses field i + 1 of a dense row as a count.
double DenseCount(const std::vector<std::string>& fields, std::size_t i, const std::vector<std::string>& header,
                  LineSource* lines, std::string* rule) {
  std::string_view field(fields[i + 1]);
  while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
  while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
  double value = 0.0;
  if (!ParseCount(field, &value, rule)) {
    throw InputError(lines->name() + ":" + std::to_string(lines->line_number()) + ": column '" + header[i + 1] + "'",
                     Show(fields[i + 1]), *rule);
  }
  return value;
}

}  // namespace nbglm::count_text
