#include "nbglm/table.h"

#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <iterator>
#include <limits>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "io/line_source.h"
#include "io/path_suffix.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

std::string ReadGzip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open", std::strerror(errno));
  std::string compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(path, "cannot read", std::strerror(errno));
  return DecompressGzip(compressed, path);
}

}  // namespace

// Splits one line into fields. Quoted fields may contain the delimiter.
void SplitTableFields(const std::string& line, char delimiter, const std::string& where,
                      std::vector<std::string>* out) {
  std::vector<std::string>& fields = *out;
  fields.clear();
  std::string field;
  std::size_t i = 0;
  const std::size_t n = line.size();
  for (;;) {
    field.clear();
    if (i < n && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= n) throw InputError(where, "unterminated quoted field", "a quote opened must be closed on the same line");
        if (line[i] == '"') {
          if (i + 1 < n && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          field.push_back(line[i++]);
        }
      }
      if (i < n && line[i] != delimiter) {
        throw InputError(where, "text after a closing quote", "a quoted field must end at a delimiter");
      }
    } else {
      while (i < n && line[i] != delimiter) field.push_back(line[i++]);
    }
    fields.push_back(field);
    if (i >= n) break;
    ++i;  // skip the delimiter
  }
}

std::string DecompressGzip(const std::string& data, const std::string& what) {
  z_stream stream{};
  // 16 + MAX_WBITS: gzip format; concatenated members are read one after another.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) throw InputError(what, "cannot decompress", "zlib failed to start");
  std::string out;
  char buffer[1 << 16];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  if (data.size() > std::numeric_limits<uInt>::max()) {
    inflateEnd(&stream);
    throw InputError(what, std::to_string(data.size()) + " bytes", "gzip files above 4 GiB are not supported");
  }
  for (;;) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    const int code = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
    if (code == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      // Another gzip member follows (as `cat a.gz b.gz` makes): continue.
      if (inflateReset(&stream) != Z_OK) break;
      continue;
    }
    if (code == Z_OK) continue;
    const std::string message = stream.msg != nullptr ? stream.msg : "invalid data";
    inflateEnd(&stream);
    if (code == Z_BUF_ERROR) throw InputError(what, "truncated gzip data", "file ends inside the stream");
    throw InputError(what, "corrupt gzip data", message);
  }
  inflateEnd(&stream);
  return out;
}

std::string TextTable::Where(std::size_t row) const {
  return path + ":" + std::to_string(line_numbers.at(row));
}

std::string ReadFileContents(const std::string& path) {
  if (EndsWith(path, ".gz")) return ReadGzip(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open", std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(path, "read failed", std::strerror(errno));
  return buffer.str();
}

TextTable ReadTextTable(const std::string& path) {
  return ParseTextTable(ReadFileContents(path), path);
}

char TableDelimiter(const std::string& path) {
  return EndsWith(path, ".csv") || EndsWith(path, ".csv.gz") ? ',' : '\t';
}

TextTable ParseTextTable(const std::string& contents, const std::string& path,
                         std::size_t first_line_number) {
  const char delimiter = TableDelimiter(path);
  const auto line_offset = static_cast<std::int64_t>(first_line_number) - 1;
  TextTable table;
  table.path = path;
  StringLineSource lines(contents, path);
  std::string line;
  std::vector<std::string> fields;
  if (!NextTableRow(&lines, delimiter, line_offset, &line, &fields)) {
    throw InputError(path, "empty file", "a table needs a header line");
  }
  table.header = std::move(fields);
  while (NextTableRow(&lines, delimiter, line_offset, &line, &fields)) {
    const auto line_number = static_cast<std::size_t>(lines.line_number() + line_offset);
    if (fields.size() != table.header.size()) {
      throw InputError(path + ":" + std::to_string(line_number), std::to_string(fields.size()) + " fields",
                       "expected " + std::to_string(table.header.size()) + " (as many as the header)");
    }
    table.rows.push_back(std::move(fields));
    table.line_numbers.push_back(line_number);
  }
  return table;
}

double ParseFiniteDouble(const std::string& text, const std::string& where, const std::string& what) {
  // std::from_chars accepts neither a leading '+' nor surrounding blanks; allow both.
  std::size_t begin = text.find_first_not_of(" ");
  std::size_t end = text.find_last_not_of(" ");
  if (begin == std::string::npos) throw InputError(where, "''", what + " must be a finite number");
  if (text[begin] == '+') {
    ++begin;
    // from_chars would read a second sign ("+-1" as -1): refuse it here.
    if (begin <= end && text[begin] == '-') {
      throw InputError(where, "'" + text + "'", what + " must be a finite number");
    }
  }
  double value = 0.0;
  const char* first = text.data() + begin;
  const char* last = text.data() + end + 1;
  const auto result = std::from_chars(first, last, value);
  if (result.ec != std::errc() || result.ptr != last || !std::isfinite(value)) {
    throw InputError(where, "'" + text + "'", what + " must be a finite number");
  }
  return value;
}

void WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path, "cannot write", std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      throw InputError(path, "write failed", std::strerror(errno));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temporary.c_str());
    throw InputError(path, "cannot rename into place", reason);
  }
}

void AppendFormattedDouble(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "Inf" : "-Inf");
  } else {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out->append(buffer, result.ptr);
  }
}

std::string FormatDouble(double value) {
  std::string text;
  AppendFormattedDouble(value, &text);
  return text;
}

}  // namespace nbglm
