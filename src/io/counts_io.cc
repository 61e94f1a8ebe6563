#include "nbglm/counts_io.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <string_view>
#include <utility>
#include <vector>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

namespace fs = std::filesystem;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A token as shown in a message: empty ones made visible.
std::string Show(std::string_view token) { return token.empty() ? std::string("''") : std::string(token); }

// Walks a text buffer line by line without copying; tracks 1-based line numbers.
class LineReader {
 public:
  explicit LineReader(const std::string& text) : next_(text.data()), end_(text.data() + text.size()) {}

  // The next line without its end-of-line characters; false at end of text.
  bool Next(std::string_view* line) {
    if (next_ >= end_) return false;
    const char* newline = static_cast<const char*>(std::memchr(next_, '\n', static_cast<std::size_t>(end_ - next_)));
    const char* stop = newline == nullptr ? end_ : newline;
    *line = std::string_view(next_, static_cast<std::size_t>(stop - next_));
    next_ = newline == nullptr ? end_ : newline + 1;
    ++line_number_;
    return true;
  }
  std::int64_t line_number() const { return line_number_; }

 private:
  const char* next_;
  const char* end_;
  std::int64_t line_number_ = 0;
};

// Splits off the next blank-separated token of *rest ("" when none is left).
std::string_view NextToken(std::string_view* rest) {
  std::size_t begin = 0;
  while (begin < rest->size() && IsBlank((*rest)[begin])) ++begin;
  std::size_t end = begin;
  while (end < rest->size() && !IsBlank((*rest)[end])) ++end;
  const std::string_view token = rest->substr(begin, end - begin);
  rest->remove_prefix(end);
  return token;
}

bool IsBlankLine(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return IsBlank(c); });
}

// Parses a whole token as a non-negative-or-negative integer.
bool ParseInteger(std::string_view token, std::int64_t* value) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  const auto result = std::from_chars(token.data(), token.data() + token.size(), *value);
  return result.ec == std::errc() && result.ptr == token.data() + token.size() && !token.empty();
}

// Parses a whole token as a count; on failure sets *rule. Integers take the
// fast path; "3.0", "1e3" are accepted as the integral reals they are.
bool ParseCount(std::string_view token, double* value, std::string* rule) {
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

// ---------------------------------------------------------------------------
// MatrixMarket

struct MatrixMarketHeader {
  std::int64_t num_rows = 0;
  std::int64_t num_columns = 0;
  std::int64_t num_entries = 0;
};

// Reads the banner and size line, leaving `lines` at the first entry line.
MatrixMarketHeader ReadMatrixMarketHeader(const std::string& path, LineReader* lines) {
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

// Parses every entry line after the header, checking syntax, range and
// value, and calls on_entry(line_number, row0, column0, value) with 0-based
// indices; stops early when on_entry returns false. Checks the entry count
// against the header.
template <typename OnEntry>
void ParseMatrixMarketEntries(const std::string& path, const MatrixMarketHeader& header, LineReader* lines,
                              OnEntry&& on_entry) {
  std::string_view line;
  std::int64_t seen = 0;
  std::string rule;
  while (lines->Next(&line)) {
    if (line.empty() || IsBlankLine(line)) continue;
    if (line.front() == '%') continue;  // tolerated, though the format has none here
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
std::pair<std::int64_t, std::int64_t> FindDuplicateLines(const std::string& path, const std::string& contents,
                                                         std::int64_t row0, std::int64_t column0) {
  LineReader lines(contents);
  const MatrixMarketHeader header = ReadMatrixMarketHeader(path, &lines);
  std::pair<std::int64_t, std::int64_t> found(0, 0);
  ParseMatrixMarketEntries(path, header, &lines, [&](std::int64_t line, std::int64_t r, std::int64_t c, double) {
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

// Parses MatrixMarket text into CSR by row (feature).
CountMatrix ParseMatrixMarket(const std::string& path, const std::string& contents,
                              std::vector<std::string> feature_names, std::vector<std::string> observation_names,
                              const std::string& feature_source, const std::string& observation_source) {
  LineReader lines(contents);
  const MatrixMarketHeader header = ReadMatrixMarketHeader(path, &lines);
  if (!feature_names.empty() && static_cast<std::int64_t>(feature_names.size()) != header.num_rows) {
    throw InputError(feature_source, std::to_string(feature_names.size()) + " features",
                     path + " has " + std::to_string(header.num_rows) + " rows (one per feature)");
  }
  if (!observation_names.empty() && static_cast<std::int64_t>(observation_names.size()) != header.num_columns) {
    throw InputError(observation_source, std::to_string(observation_names.size()) + " observations",
                     path + " has " + std::to_string(header.num_columns) + " columns (one per observation)");
  }

  // Entries in file order. A lying size line must not make us allocate
  // terabytes: an entry line takes at least 6 bytes ("1 1 1\n").
  const std::size_t capacity =
      static_cast<std::size_t>(std::min<std::int64_t>(header.num_entries, static_cast<std::int64_t>(contents.size() / 6 + 1)));
  std::vector<std::int32_t> rows;
  std::vector<std::int32_t> columns;
  std::vector<double> values;
  rows.reserve(capacity);
  columns.reserve(capacity);
  values.reserve(capacity);
  ParseMatrixMarketEntries(path, header, &lines, [&](std::int64_t, std::int64_t r, std::int64_t c, double v) {
    rows.push_back(static_cast<std::int32_t>(r));
    columns.push_back(static_cast<std::int32_t>(c));
    values.push_back(v);
    return true;
  });

  // Counting sort by row; a stable scatter keeps the file order within a row,
  // which is already column order for 10x files (column-major) and for
  // row-major files, so the per-row sort below rarely runs.
  const std::size_t num_rows = static_cast<std::size_t>(header.num_rows);
  std::vector<std::int64_t> row_offsets(num_rows + 1, 0);
  for (const std::int32_t r : rows) ++row_offsets[static_cast<std::size_t>(r) + 1];
  std::partial_sum(row_offsets.begin(), row_offsets.end(), row_offsets.begin());
  std::vector<std::int32_t> csr_columns(values.size());
  std::vector<double> csr_values(values.size());
  {
    std::vector<std::int64_t> cursor(row_offsets.begin(), row_offsets.end() - 1);
    for (std::size_t k = 0; k < values.size(); ++k) {
      const std::size_t target = static_cast<std::size_t>(cursor[static_cast<std::size_t>(rows[k])]++);
      csr_columns[target] = columns[k];
      csr_values[target] = values[k];
    }
  }
  std::vector<std::int32_t>().swap(rows);
  std::vector<std::int32_t>().swap(columns);
  std::vector<double>().swap(values);

  std::vector<std::pair<std::int32_t, double>> scratch;
  std::size_t write = 0;  // compaction cursor: explicit zeros are dropped
  for (std::size_t r = 0; r < num_rows; ++r) {
    const std::size_t begin = static_cast<std::size_t>(row_offsets[r]);
    const std::size_t end = static_cast<std::size_t>(row_offsets[r + 1]);
    if (!std::is_sorted(csr_columns.begin() + static_cast<std::ptrdiff_t>(begin),
                        csr_columns.begin() + static_cast<std::ptrdiff_t>(end))) {
      scratch.clear();
      for (std::size_t k = begin; k < end; ++k) scratch.emplace_back(csr_columns[k], csr_values[k]);
      std::stable_sort(scratch.begin(), scratch.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t k = begin; k < end; ++k) {
        csr_columns[k] = scratch[k - begin].first;
        csr_values[k] = scratch[k - begin].second;
      }
    }
    for (std::size_t k = begin; k + 1 < end; ++k) {
      if (csr_columns[k] == csr_columns[k + 1]) {
        const auto found = FindDuplicateLines(path, contents, static_cast<std::int64_t>(r), csr_columns[k]);
        throw InputError(EntryWhere(path, found.second, static_cast<std::int64_t>(r) + 1,
                                    static_cast<std::int64_t>(csr_columns[k]) + 1),
                         "duplicate entry", "already given on line " + std::to_string(found.first));
      }
    }
    row_offsets[r] = static_cast<std::int64_t>(write);
    for (std::size_t k = begin; k < end; ++k) {
      if (csr_values[k] == 0.0) continue;
      csr_columns[write] = csr_columns[k];
      csr_values[write] = csr_values[k];
      ++write;
    }
  }
  row_offsets[num_rows] = static_cast<std::int64_t>(write);
  csr_columns.resize(write);
  csr_values.resize(write);
  csr_columns.shrink_to_fit();
  csr_values.shrink_to_fit();
  return CountMatrix::FromCsr(header.num_rows, header.num_columns, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), std::move(feature_names), std::move(observation_names), path);
}

// ---------------------------------------------------------------------------
// 10x

// First tab-separated field of every line of a headerless 10x name file.
std::vector<std::string> ReadNameColumn(const std::string& path, const std::string& what) {
  const std::string contents = ReadFileContents(path);
  LineReader lines(contents);
  std::vector<std::string_view> all_lines;
  std::string_view line;
  while (lines.Next(&line)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    all_lines.push_back(line);
  }
  // Trailing blank lines are only a doubled final newline; a blank line in
  // the middle would shift every later name, so it is an error.
  while (!all_lines.empty() && IsBlankLine(all_lines.back())) all_lines.pop_back();
  if (all_lines.empty()) throw InputError(path, "empty file", "a 10x " + what + " file lists one name per line");
  std::vector<std::string> names;
  names.reserve(all_lines.size());
  for (std::size_t k = 0; k < all_lines.size(); ++k) {
    const std::string_view name = all_lines[k].substr(0, all_lines[k].find('\t'));
    if (name.empty()) throw InputError(path + ":" + std::to_string(k + 1), "''", what + " must be non-empty");
    names.emplace_back(name);
  }
  return names;
}

// The first of `candidates` that exists in `directory`, or "" if none does.
std::string FindFile(const fs::path& directory, std::initializer_list<const char*> candidates) {
  for (const char* name : candidates) {
    const fs::path candidate = directory / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return candidate.string();
  }
  return "";
}

struct TenXFiles {
  std::string features;
  std::string barcodes;
};

TenXFiles Find10xNameFiles(const fs::path& directory) {
  TenXFiles files;
  files.features = FindFile(directory, {"features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv"});
  files.barcodes = FindFile(directory, {"barcodes.tsv.gz", "barcodes.tsv"});
  return files;
}

CountMatrix Read10x(const std::string& directory, const std::string& matrix_path, const TenXFiles& files) {
  const std::string rule =
      "a 10x directory holds matrix.mtx[.gz], features.tsv[.gz] (or genes.tsv[.gz]) and barcodes.tsv[.gz]";
  if (matrix_path.empty()) throw InputError(directory, "no matrix.mtx or matrix.mtx.gz", rule);
  if (files.features.empty()) throw InputError(directory, "no features.tsv[.gz] or genes.tsv[.gz]", rule);
  if (files.barcodes.empty()) throw InputError(directory, "no barcodes.tsv[.gz]", rule);
  std::vector<std::string> features = ReadNameColumn(files.features, "feature id");
  std::vector<std::string> barcodes = ReadNameColumn(files.barcodes, "barcode");
  return ParseMatrixMarket(matrix_path, ReadFileContents(matrix_path), std::move(features), std::move(barcodes),
                           files.features, files.barcodes);
}

void AppendInteger(std::string* out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

}  // namespace

CountMatrix ReadMatrixMarket(const std::string& path) {
  return ParseMatrixMarket(path, ReadFileContents(path), {}, {}, path, path);
}

CountMatrix ParseMatrixMarketText(const std::string& contents, const std::string& what) {
  return ParseMatrixMarket(what, contents, {}, {}, what, what);
}

CountMatrix Read10xDirectory(const std::string& directory) {
  const fs::path dir(directory);
  return Read10x(directory, FindFile(dir, {"matrix.mtx.gz", "matrix.mtx"}), Find10xNameFiles(dir));
}

CountMatrix ReadDenseCounts(const std::string& path) { return ParseDenseCountsText(ReadFileContents(path), path); }

CountMatrix ParseDenseCountsText(const std::string& contents, const std::string& path) {
  const TextTable table = ParseTextTable(contents, path);
  if (table.header.size() < 2) {
    throw InputError(path + ":1", std::to_string(table.header.size()) + " columns",
                     "a counts table needs a feature-id column and at least one observation column");
  }
  if (table.rows.empty()) throw InputError(path, "no rows", "a counts table needs at least one feature");
  const std::size_t num_features = table.rows.size();
  const std::size_t num_observations = table.header.size() - 1;
  Matrix counts = Matrix::from_shape({num_features, num_observations});
  std::vector<std::string> feature_names;
  feature_names.reserve(num_features);
  std::size_t zeros = 0;
  std::string rule;
  for (std::size_t f = 0; f < num_features; ++f) {
    const std::vector<std::string>& row = table.rows[f];
    if (row[0].empty()) throw InputError(table.Where(f), "''", "a feature id must be non-empty");
    feature_names.push_back(row[0]);
    double* out = counts.data() + f * num_observations;
    for (std::size_t i = 0; i < num_observations; ++i) {
      std::string_view field(row[i + 1]);
      while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
      while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
      if (!ParseCount(field, &out[i], &rule)) {
        throw InputError(table.Where(f) + ": column '" + table.header[i + 1] + "'", Show(row[i + 1]), rule);
      }
      if (out[i] == 0.0) ++zeros;
    }
  }
  std::vector<std::string> observation_names(table.header.begin() + 1, table.header.end());
  CountMatrix matrix = CountMatrix::FromDense(std::move(counts), std::move(feature_names),
                                              std::move(observation_names), path);
  const double zero_fraction = static_cast<double>(zeros) / static_cast<double>(num_features * num_observations);
  return zero_fraction > kSparseZeroFraction ? matrix.ToSparse() : matrix;
}

CountMatrix ReadCounts(const std::string& path) {
  std::error_code error;
  const fs::path file(path);
  if (fs::is_directory(file, error)) return Read10xDirectory(path);
  if (!fs::exists(file, error)) {
    throw InputError(path, "no such file or directory", "counts are a file or a 10x directory");
  }
  if (EndsWith(path, ".mtx") || EndsWith(path, ".mtx.gz")) {
    // "matrix.mtx" beside 10x name files is that directory's matrix: read the
    // names too rather than inventing feature_0, ….
    const std::string name = file.filename().string();
    if (name == "matrix.mtx" || name == "matrix.mtx.gz") {
      const fs::path directory = file.has_parent_path() ? file.parent_path() : fs::path(".");
      const TenXFiles files = Find10xNameFiles(directory);
      if (!files.features.empty() && !files.barcodes.empty()) return Read10x(directory.string(), path, files);
    }
    return ReadMatrixMarket(path);
  }
  return ReadDenseCounts(path);
}

std::string CountsToMatrixMarket(const CountMatrix& counts) {
  const Index num_features = counts.num_features();
  const Index num_observations = counts.num_observations();
  std::int64_t nonzeros = 0;
  if (counts.is_sparse()) {
    for (const double v : counts.sparse_values()) nonzeros += v != 0.0;
  } else {
    const Matrix& dense = counts.dense_counts();
    for (std::size_t k = 0; k < dense.size(); ++k) nonzeros += dense.data()[k] != 0.0;
  }
  std::string out = "%%MatrixMarket matrix coordinate integer general\n";
  out.reserve(out.size() + 32 + static_cast<std::size_t>(nonzeros) * 16);
  AppendInteger(&out, num_features);
  out.push_back(' ');
  AppendInteger(&out, num_observations);
  out.push_back(' ');
  AppendInteger(&out, nonzeros);
  out.push_back('\n');
  auto append_entry = [&out](Index feature, Index observation, double value) {
    AppendInteger(&out, feature + 1);
    out.push_back(' ');
    AppendInteger(&out, observation + 1);
    out.push_back(' ');
    AppendInteger(&out, static_cast<std::int64_t>(value));  // counts are integers ≤ kMaxCount
    out.push_back('\n');
  };
  if (counts.is_sparse()) {
    const std::vector<std::int64_t>& offsets = counts.row_offsets();
    const std::vector<std::int32_t>& columns = counts.column_indices();
    const std::vector<double>& values = counts.sparse_values();
    for (Index f = 0; f < num_features; ++f) {
      for (std::int64_t k = offsets[static_cast<std::size_t>(f)]; k < offsets[static_cast<std::size_t>(f) + 1]; ++k) {
        const double value = values[static_cast<std::size_t>(k)];
        if (value != 0.0) append_entry(f, columns[static_cast<std::size_t>(k)], value);
      }
    }
  } else {
    const double* data = counts.dense_counts().data();
    for (Index f = 0; f < num_features; ++f) {
      for (Index i = 0; i < num_observations; ++i) {
        const double value = data[f * num_observations + i];
        if (value != 0.0) append_entry(f, i, value);
      }
    }
  }
  return out;
}

void WriteMatrixMarket(const std::string& path, const CountMatrix& counts) {
  WriteFileAtomically(path, CountsToMatrixMarket(counts));
}

std::string CountsToTsv(const CountMatrix& counts) {
  std::string out = "feature";
  for (const std::string& name : counts.observation_names()) {
    out.push_back('\t');
    out += name;
  }
  out.push_back('\n');
  std::vector<double> row(static_cast<std::size_t>(counts.num_observations()));
  for (Index f = 0; f < counts.num_features(); ++f) {
    out += counts.feature_names()[static_cast<std::size_t>(f)];
    counts.CopyFeature(f, row.data());
    for (const double value : row) {
      out.push_back('\t');
      AppendInteger(&out, static_cast<std::int64_t>(value));
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace nbglm
