// Delimited text tables (TSV / CSV) as the library reads them from files.
//
// Rules (docs/formats.md): the first line is a header; fields are separated by
// a tab (".tsv", ".txt", or any other name) or a comma (".csv", ".csv.gz");
// a UTF-8 byte-order mark and CRLF line ends are accepted; a field may be
// double-quoted ("a,b", with "" for a quote); blank lines are skipped; every
// row must have as many fields as the header. Files ending in ".gz" are
// decompressed. Violations throw InputError naming file, line and rule.
#ifndef NBGLM_TABLE_H_
#define NBGLM_TABLE_H_

#include <cstddef>
#include <string>
#include <vector>

namespace nbglm {

struct TextTable {
  std::string path;                            // as given, for messages
  std::vector<std::string> header;             // column names
  std::vector<std::vector<std::string>> rows;  // each rows[i].size() == header.size()
  std::vector<std::size_t> line_numbers;       // 1-based file line of rows[i]

  // "path:line" of row i, for error messages.
  std::string Where(std::size_t row) const;
};

// Reads a whole table. Throws InputError for a missing/unreadable file, an
// empty file, or a row whose field count differs from the header's.
TextTable ReadTextTable(const std::string& path);
// The same rules applied to text already in memory; `path` names it in
// messages and picks the delimiter (',' for ".csv"/".csv.gz", else tab).
// `first_line_number` is the file line of the first line of `contents`.
TextTable ParseTextTable(const std::string& contents, const std::string& path,
                         std::size_t first_line_number = 1);

// The delimiter a table at `path` is read with: ',' for ".csv"/".csv.gz",
// else tab.
char TableDelimiter(const std::string& path);

// One line of a table split into `fields` by ParseTextTable's rules
// (delimiter-separated, "…" quoting with "" for a quote); `where` names the
// line in messages.
void SplitTableFields(const std::string& line, char delimiter, const std::string& where,
                      std::vector<std::string>* fields);

// Parses a whole field as a finite double ("1", "-2.5e3", "NA" is rejected).
// Throws InputError("<where>: '<text>': <what> must be a finite number").
double ParseFiniteDouble(const std::string& text, const std::string& where,
                         const std::string& what);

// Reads a whole file into memory, decompressing ".gz". Throws InputError.
std::string ReadFileContents(const std::string& path);
// The contents of gzip data in memory (what ReadFileContents does for a
// ".gz" file); throws InputError("<what>: corrupt gzip data: …" or
// "truncated gzip data") for a damaged stream.
std::string DecompressGzip(const std::string& data, const std::string& what);

// Writes `contents` to `path` atomically: to "<path>.tmp.<pid>" then rename,
// so a reader sees the complete file or none (docs/cli.md).
void WriteFileAtomically(const std::string& path, const std::string& contents);

// Formats a double so that it reads back to the same value (shortest
// round-trip form, "nan"/"inf" spelled as R and Python read them: NaN, Inf).
std::string FormatDouble(double value);
// The same text appended to *out (no temporary string: for writers of large
// tables).
void AppendFormattedDouble(double value, std::string* out);

}  // namespace nbglm

#endif  // NBGLM_TABLE_H_
