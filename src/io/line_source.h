// Lines of a text with 1-based line numbers, from memory or streamed from a
// file (plain or gzip, read through zlib with a bounded buffer), so that a
// large input is parsed without being held in memory whole. Internal header.
#ifndef NBGLM_SRC_IO_LINE_SOURCE_H_
#define NBGLM_SRC_IO_LINE_SOURCE_H_

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nbglm {

class LineSource {
 public:
  virtual ~LineSource() = default;
  // The next line without its '\n' (a '\r' before it is kept: callers that
  // accept CRLF strip it); false at the end. The view is valid until the
  // next call. Throws InputError for unreadable or damaged input.
  virtual bool Next(std::string_view* line) = 0;
  // Back to the first line, for another pass.
  virtual void Rewind() = 0;
  // 1-based number of the line last returned.
  std::int64_t line_number() const { return line_number_; }
  // What the messages call the input (its path).
  const std::string& name() const { return name_; }

 protected:
  explicit LineSource(std::string name) : name_(std::move(name)) {}
  std::int64_t line_number_ = 0;

 private:
  std::string name_;
};

// Lines of a string held by the caller (must outlive the source).
class StringLineSource final : public LineSource {
 public:
  StringLineSource(const std::string& text, std::string name);
  bool Next(std::string_view* line) override;
  void Rewind() override;

 private:
  const std::string& text_;
  std::size_t next_ = 0;
};

// Lines of a file, gzip-compressed or not (zlib reads plain files as they
// are), through a buffer that grows only to the longest line.
class FileLineSource final : public LineSource {
 public:
  explicit FileLineSource(const std::string& path);
  ~FileLineSource() override;
  FileLineSource(const FileLineSource&) = delete;
  FileLineSource& operator=(const FileLineSource&) = delete;
  bool Next(std::string_view* line) override;
  void Rewind() override;

 private:
  // Reads more data after the unconsumed tail; false at the end of the file.
  bool Fill();

  gzFile file_ = nullptr;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // end of valid data
  bool at_end_ = false;
};

// A source for `path`: its whole contents when `text` is not null (then
// `path` only names it), the file streamed otherwise.
std::unique_ptr<LineSource> OpenLines(const std::string& path, const std::string* text);

// The next non-blank line of a delimited table, by the rules of
// ParseTextTable (nbglm/table.h), which reads through it too: a UTF-8 BOM on
// the first line and a final CR removed, NUL bytes refused, the line split
// into `fields` (SplitTableFields); `line_offset` is added to the source's
// line numbers in messages. False at the end.
bool NextTableRow(LineSource* lines, char delimiter, std::int64_t line_offset, std::string* line,
                  std::vector<std::string>* fields);

}  // namespace nbglm

#endif  // NBGLM_SRC_IO_LINE_SOURCE_H_
