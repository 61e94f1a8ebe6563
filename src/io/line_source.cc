// Line sources (see line_source.h).
#include "io/line_source.h"

#include <cerrno>
#include <cstring>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

constexpr std::size_t kBufferSize = 1 << 20;

}  // namespace

StringLineSource::StringLineSource(const std::string& text, std::string name)
    : LineSource(std::move(name)), text_(text) {}

bool StringLineSource::Next(std::string_view* line) {
  if (next_ >= text_.size()) return false;
  std::size_t end = text_.find('\n', next_);
  if (end == std::string::npos) end = text_.size();
  *line = std::string_view(text_.data() + next_, end - next_);
  next_ = end + 1;
  ++line_number_;
  return true;
}

void StringLineSource::Rewind() {
  next_ = 0;
  line_number_ = 0;
}

FileLineSource::FileLineSource(const std::string& path) : LineSource(path) {
  file_ = gzopen(path.c_str(), "rb");
  if (file_ == nullptr) throw InputError(path, "cannot open", errno != 0 ? std::strerror(errno) : "out of memory");
  gzbuffer(file_, 1 << 17);
  buffer_.resize(kBufferSize);
}

FileLineSource::~FileLineSource() {
  if (file_ != nullptr) gzclose(file_);
}

bool FileLineSource::Fill() {
  if (at_end_) return false;
  // Move the unconsumed tail (a partial line) to the front; grow the buffer
  // when a single line fills it.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  const unsigned want = static_cast<unsigned>(std::min<std::size_t>(buffer_.size() - end_, 1u << 30));
  const int got = gzread(file_, buffer_.data() + end_, want);
  if (got < 0) {
    int code = 0;
    const char* message = gzerror(file_, &code);
    if (code == Z_ERRNO) throw InputError(name(), "cannot read", std::strerror(errno));
    // zlib prefixes the file name ("path: reason"); the message has it already.
    std::string reason = message != nullptr ? message : "invalid data";
    if (reason.compare(0, name().size() + 2, name() + ": ") == 0) reason.erase(0, name().size() + 2);
    throw InputError(name(), "corrupt gzip data", reason);
  }
  if (got == 0) {
    at_end_ = true;
    // A gzip stream that ends early reads as an end of file with Z_BUF_ERROR.
    int code = 0;
    gzerror(file_, &code);
    if (code == Z_BUF_ERROR) throw InputError(name(), "truncated gzip data", "file ends inside the stream");
    return false;
  }
  end_ += static_cast<std::size_t>(got);
  return true;
}

bool FileLineSource::Next(std::string_view* line) {
  for (;;) {
    if (begin_ < end_) {
      const void* newline = std::memchr(buffer_.data() + begin_, '\n', end_ - begin_);
      if (newline != nullptr) {
        const std::size_t stop = static_cast<std::size_t>(static_cast<const char*>(newline) - buffer_.data());
        *line = std::string_view(buffer_.data() + begin_, stop - begin_);
        begin_ = stop + 1;
        ++line_number_;
        return true;
      }
    }
    if (!Fill()) {
      if (begin_ >= end_) return false;
      // The last line, without a final newline.
      *line = std::string_view(buffer_.data() + begin_, end_ - begin_);
      begin_ = end_;
      ++line_number_;
      return true;
    }
  }
}

void FileLineSource::Rewind() {
  if (gzrewind(file_) != 0) throw InputError(name(), "cannot read", "rewinding the file failed");
  begin_ = end_ = 0;
  at_end_ = false;
  line_number_ = 0;
}

std::unique_ptr<LineSource> OpenLines(const std::string& path, const std::string* text) {
  if (text != nullptr) return std::make_unique<StringLineSource>(*text, path);
  return std::make_unique<FileLineSource>(path);
}

bool NextTableRow(LineSource* lines, char delimiter, std::int64_t line_offset, std::string* line,
                  std::vector<std::string>* fields) {
  std::string_view view;
  while (lines->Next(&view)) {
    if (lines->line_number() == 1 && view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);  // UTF-8 BOM
    if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
    if (view.find_first_not_of(' ') == std::string_view::npos) continue;  // blank line
    const std::string where = lines->name() + ":" + std::to_string(lines->line_number() + line_offset);
    if (view.find('\0') != std::string_view::npos) {
      throw InputError(where, "NUL byte", "a text table cannot contain binary data");
    }
    line->assign(view);
    SplitTableFields(*line, delimiter, where, fields);
    return true;
  }
  return false;
}

}  // namespace nbglm
