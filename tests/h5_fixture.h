// Damaged copies of the HDF5 fixtures of tests/data/h5 (tests/data/h5/make_h5.py)
// for the unit tests of the HDF5 readers: a fixture copied into a fresh temp
// directory, its bytes located by content (signatures, strings, heap objects)
// rather than fixed offsets, edited, saved, and removed with the copy.
#ifndef NBGLM_TESTS_H5_FIXTURE_H_
#define NBGLM_TESTS_H5_FIXTURE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "nbglm/error.h"

namespace nbglm::testing {

// The message of the InputError `f` throws ("no InputError" when none).
inline std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

inline std::string H5FixturePath(const std::string& name) { return SourcePath("tests/data/h5/" + name); }

class H5Copy {
 public:
  // One object of a global heap collection: its 16-byte header and its data.
  struct HeapObject {
    std::size_t header = 0;
    std::size_t data = 0;
    std::uint64_t size = 0;
  };

  explicit H5Copy(const std::string& fixture, const std::string& name = "")
      : dir_(MakeTempDir("h5")), path_(dir_ + "/" + (name.empty() ? fixture : name)),
        bytes_(ReadWholeFile(H5FixturePath(fixture))) {
    Save();
  }
  ~H5Copy() { std::filesystem::remove_all(dir_); }
  H5Copy(const H5Copy&) = delete;
  H5Copy& operator=(const H5Copy&) = delete;

  const std::string& path() const { return path_; }
  std::string& bytes() { return bytes_; }
  const std::string& bytes() const { return bytes_; }
  void Save() const { WriteText(path_, bytes_); }

  // Every offset where `needle` starts.
  std::vector<std::size_t> Find(const std::string& needle) const {
    std::vector<std::size_t> found;
    for (std::size_t at = bytes_.find(needle); at != std::string::npos; at = bytes_.find(needle, at + 1)) {
      found.push_back(at);
    }
    return found;
  }
  std::uint64_t Get(std::size_t offset, int width) const {
    std::uint64_t value = 0;
    for (int i = width; i > 0; --i) value = value << 8 | static_cast<unsigned char>(bytes_[offset + i - 1]);
    return value;
  }
  // Writes `value` little-endian in `width` bytes.
  void Put(std::size_t offset, std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) bytes_[offset + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  }
  // The objects (index > 0) of the collection at `collection` (8-byte lengths).
  std::map<std::uint32_t, HeapObject> HeapObjects(std::size_t collection) const {
    std::map<std::uint32_t, HeapObject> objects;
    const std::uint64_t size = Get(collection + 8, 8);
    for (std::size_t p = 16; p + 16 <= size;) {
      const auto index = static_cast<std::uint32_t>(Get(collection + p, 2));
      const std::uint64_t length = Get(collection + p + 8, 8);
      if (index == 0) break;  // free space
      objects[index] = HeapObject{collection + p, collection + p + 16, length};
      p += 16 + static_cast<std::size_t>((length + 7) / 8 * 8);
    }
    return objects;
  }
  // The heap object holding exactly `text` (its first one).
  std::uint32_t HeapIndexOf(std::size_t collection, const std::string& text) const {
    for (const auto& [index, object] : HeapObjects(collection)) {
      if (object.size == text.size() && bytes_.compare(object.data, text.size(), text) == 0) return index;
    }
    return 0;
  }
  // Offsets of the variable-length string references (4-byte length,
  // 8-byte collection address, 4-byte index) to heap object `index`.
  std::vector<std::size_t> ReferencesTo(std::size_t collection, std::uint32_t index) const {
    std::string pattern(12, '\0');
    for (int i = 0; i < 8; ++i) pattern[i] = static_cast<char>((collection >> (8 * i)) & 0xFF);
    for (int i = 0; i < 4; ++i) pattern[8 + i] = static_cast<char>((index >> (8 * i)) & 0xFF);
    std::vector<std::size_t> found;
    for (const std::size_t at : Find(pattern)) {
      if (at >= 4) found.push_back(at - 4);
    }
    return found;
  }

 private:
  std::string dir_;
  std::string path_;
  std::string bytes_;
};

}  // namespace nbglm::testing

#endif  // NBGLM_TESTS_H5_FIXTURE_H_
