// A read-only view of an HDF5 file over the HDF5 C library (Debian
// libhdf5-dev), holding what the count and sample-sheet readers need: groups,
// attributes, and 1-D / 2-D datasets read a slice at a time.
//
// Why the C API and not the C++ API or HighFive: HighFive is not packaged in
// Debian 12, and the HDF5 C++ API prints the library's error stack and throws
// its own exception types; here the library's automatic error printing is
// switched off and every failure becomes one InputError line naming the file,
// the object inside it and the rule (docs/formats.md "HDF5 inputs").
//
// Object names are absolute paths inside the file ("/X/indptr").
#ifndef NBGLM_SRC_IO_HDF5_FILE_H_
#define NBGLM_SRC_IO_HDF5_FILE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "io/hdf5_heaps.h"

namespace nbglm::hdf5 {

// The most strings ReadStrings reads (names and labels of at most 10^8
// observations or features, as elsewhere).
inline constexpr std::int64_t kMaxStrings = 100000000;

// What the values of a dataset or attribute are.
enum class ValueClass { kInteger, kFloat, kString, kBoolean, kOther };

class File;

// An open dataset.
class Dataset {
 public:
  Dataset(const File& file, const std::string& name);
  ~Dataset();
  Dataset(Dataset&&) noexcept;
  Dataset& operator=(Dataset&&) noexcept;

  const std::string& name() const { return name_; }
  // "file.h5ad:/X/data", for messages.
  std::string Where() const;
  int rank() const { return static_cast<int>(dims_.size()); }
  const std::vector<std::int64_t>& dims() const { return dims_; }
  // Number of elements (product of dims; 1 for a scalar).
  std::int64_t size() const;
  ValueClass value_class() const { return value_class_; }

  // Elements [offset, offset + count) of a 1-D numeric dataset, converted to
  // double / int64 by HDF5. Throws InputError when the dataset is not 1-D
  // numeric (integer or float; booleans as 0/1 only for ReadInt64) or the
  // read fails (a truncated or corrupt file).
  void Read(std::int64_t offset, std::int64_t count, double* out) const;
  void Read(std::int64_t offset, std::int64_t count, std::int64_t* out) const;
  // Rows [row, row + rows), columns [column, column + columns) of a 2-D
  // numeric dataset, row-major into out.
  void ReadBlock(std::int64_t row, std::int64_t rows, std::int64_t column, std::int64_t columns, double* out) const;
  // Every element of a 1-D string dataset (fixed or variable length).
  std::vector<std::string> ReadStrings() const;

 private:
  friend class File;
  void ReadNumeric(std::int64_t offset, std::int64_t count, bool as_double, void* out) const;
  std::string path_;  // the file, for messages
  const File* file_ = nullptr;
  std::string name_;
  std::int64_t id_ = -1;
  std::vector<std::int64_t> dims_;
  ValueClass value_class_ = ValueClass::kOther;
};

class File {
 public:
  // Opens `path` read-only and checks its global heap (CheckGlobalHeaps).
  // Throws InputError when it is missing, not an HDF5 file, or corrupt.
  explicit File(const std::string& path);
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::string& path() const { return path_; }
  std::int64_t id() const { return id_; }

  // Whether `name` exists and is a group / a dataset (every link along the
  // path is checked; a missing intermediate group gives false).
  bool IsGroup(const std::string& name) const;
  bool IsDataset(const std::string& name) const;
  // The names of a group's members, in name order.
  std::vector<std::string> Members(const std::string& group) const;

  bool HasAttribute(const std::string& object, const std::string& attribute) const;
  // Checks the header of the object `name` links to before the library loads
  // or decodes it (CheckHeaderMessages), once per object: opened by path, an
  // object may lie beyond where the visit on open stopped. Throws InputError.
  void CheckHeader(const std::string& name) const;
  // A string attribute (scalar, or the only element of a 1-D array).
  std::string StringAttribute(const std::string& object, const std::string& attribute) const;
  // A 1-D (or scalar) string array attribute.
  std::vector<std::string> StringArrayAttribute(const std::string& object, const std::string& attribute) const;
  // A 1-D (or scalar) integer array attribute.
  std::vector<std::int64_t> IntegerArrayAttribute(const std::string& object, const std::string& attribute) const;
  // A scalar boolean or integer attribute (h5py writes Python bools as numpy bool_).
  bool BooleanAttribute(const std::string& object, const std::string& attribute) const;

  // "file.h5ad:/obs", for messages.
  std::string Where(const std::string& name) const { return path_ + ":" + name; }
  // Sizes read from the superblock, and the global heap collections walked
  // when the file was opened (none when its bytes could not be read).
  const FileLayout& layout() const { return layout_; }
  const std::optional<GlobalHeaps>& global_heaps() const { return heaps_; }

 private:
  std::string path_;
  std::int64_t id_ = -1;
  FileLayout layout_;
  std::optional<GlobalHeaps> heaps_;
  mutable std::set<std::uint64_t> checked_headers_;
};

}  // namespace nbglm::hdf5

#endif  // NBGLM_SRC_IO_HDF5_FILE_H_
