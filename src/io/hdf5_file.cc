#include "io/hdf5_file.h"

#include <hdf5.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include "io/hdf5_object_header.h"
#include "nbglm/error.h"

namespace nbglm::hdf5 {
namespace {

static_assert(std::is_same_v<hid_t, std::int64_t>, "HDF5 >= 1.10 has 64-bit identifiers");

// The library prints its error stack to stderr on every failure unless told
// not to; our messages are one line. Done once per process.
void SilenceLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// Closes an identifier of any kind when it leaves scope.
class Id {
 public:
  explicit Id(hid_t id = -1) : id_(id) {}
  ~Id() {
    if (id_ >= 0) H5Idec_ref(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& other) noexcept : id_(std::exchange(other.id_, -1)) {}
  Id& operator=(Id&& other) noexcept {
    if (this != &other) {
      if (id_ >= 0) H5Idec_ref(id_);
      id_ = std::exchange(other.id_, -1);
    }
    return *this;
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
};

ValueClass ClassOf(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return ValueClass::kInteger;
    case H5T_FLOAT:
      return ValueClass::kFloat;
    case H5T_STRING:
      return ValueClass::kString;
    case H5T_ENUM: {
      // h5py stores numpy bool as an enum {FALSE = 0, TRUE = 1}.
      if (H5Tget_nmembers(type) != 2) return ValueClass::kOther;
      char* name = H5Tget_member_name(type, 0);
      const bool boolean = name != nullptr && std::strcmp(name, "FALSE") == 0;
      H5free_memory(name);
      return boolean ? ValueClass::kBoolean : ValueClass::kOther;
    }
    default:
      return ValueClass::kOther;
  }
}

const char* ClassName(ValueClass value_class) {
  switch (value_class) {
    case ValueClass::kInteger:
      return "integer";
    case ValueClass::kFloat:
      return "float";
    case ValueClass::kString:
      return "string";
    case ValueClass::kBoolean:
      return "boolean";
    case ValueClass::kOther:
      break;
  }
  return "not numbers or strings";
}

// The memory of variable-length strings read through one transfer property
// list, tracked: a read that fails part way leaves strings the library
// converted into its own buffers (found by fuzz/hdf5_fuzzer.cc), freed here.
class StringMemory {
 public:
  StringMemory() : transfer_(H5Pcreate(H5P_DATASET_XFER)) {
    H5Pset_vlen_mem_manager(transfer_.get(), &Allocate, this, &Free, this);
  }
  ~StringMemory() {
    for (void* p : live_) std::free(p);
  }
  StringMemory(const StringMemory&) = delete;
  StringMemory& operator=(const StringMemory&) = delete;
  hid_t transfer() const { return transfer_.get(); }
  void Release(void* p) {
    if (p != nullptr && live_.erase(p) > 0) std::free(p);
  }
  // Frees a string the read returned: ours when tracked, else the library's
  // (attribute reads use its default allocator).
  void ReleaseReturned(char* p) {
    if (p == nullptr) return;
    if (live_.count(p) > 0) {
      Release(p);
    } else {
      H5free_memory(p);
    }
  }

 private:
  static void* Allocate(std::size_t size, void* self) {
    void* p = std::malloc(size);
    if (p != nullptr) static_cast<StringMemory*>(self)->live_.insert(p);
    return p;
  }
  static void Free(void* p, void* self) { static_cast<StringMemory*>(self)->Release(p); }
  Id transfer_;
  std::unordered_set<void*> live_;
};

// Reads the strings of a dataset or attribute of string type `file_type`
// holding `count` elements; `read(memory_type, buffer, transfer)` does the
// read (attributes have no transfer list and ignore it).
template <typename ReadFn>
std::vector<std::string> ReadStringValues(hid_t file_type, std::size_t count, const std::string& where, ReadFn read) {
  std::vector<std::string> out;
  out.reserve(count);
  Id memory_type(H5Tcopy(H5T_C_S1));
  H5Tset_cset(memory_type.get(), H5Tget_cset(file_type));
  if (H5Tis_variable_str(file_type) > 0) {
    // The library sizes its conversion buffer as a string's length times
    // the size of its characters, which the datatype declares: a corrupt
    // character size of 721 MB made it allocate 4.3 GB for a 6-byte string
    // (found by fuzz/hdf5_fuzzer.cc). Every string the library writes has
    // 1-byte characters.
    const Id base(H5Tget_super(file_type));
    const std::size_t character = base.ok() ? H5Tget_size(base.get()) : 0;
    if (character != 1) {
      throw InputError(where, "strings of " + std::to_string(character) + "-byte characters",
                       "variable-length strings have 1-byte characters (corrupt)");
    }
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    std::vector<char*> buffer(count, nullptr);
    StringMemory memory;
    if (count > 0 && read(memory_type.get(), buffer.data(), memory.transfer()) < 0) {
      throw InputError(where, "unreadable strings", "the file is truncated or corrupt");
    }
    for (char* s : buffer) {
      out.emplace_back(s == nullptr ? "" : s);
      memory.ReleaseReturned(s);
    }
    return out;
  }
  const std::size_t width = H5Tget_size(file_type);
  if (width == 0) throw InputError(where, "0-byte strings", "a string array needs a width");
  H5Tset_size(memory_type.get(), width);
  H5Tset_strpad(memory_type.get(), H5T_STR_NULLPAD);
  std::vector<char> buffer(count * width);
  if (count > 0 && read(memory_type.get(), buffer.data(), H5P_DEFAULT) < 0) {
    throw InputError(where, "unreadable strings", "the file is truncated or corrupt");
  }
  for (std::size_t i = 0; i < count; ++i) {
    const char* s = buffer.data() + i * width;
    out.emplace_back(s, strnlen(s, width));
  }
  return out;
}

std::vector<std::int64_t> DimsOf(hid_t space, const std::string& where) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) throw InputError(where, "no shape", "the file is corrupt");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return std::vector<std::int64_t>(dims.begin(), dims.end());
}

}  // namespace

// ---------------------------------------------------------------------------
// File

File::File(const std::string& path) : path_(path) {
  SilenceLibrary();
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    FILE* probe = std::fopen(path.c_str(), "rb");
    if (probe == nullptr) throw InputError(path, "no such file", "an HDF5 input must exist and be readable");
    std::fclose(probe);
    throw InputError(path, "not an HDF5 file", ".h5ad / .h5 inputs are HDF5 files (AnnData or 10x Cell Ranger)");
  }
  // Closing the file closes every object still open in it: a later open of
  // the same path never meets this file's cached metadata.
  Id access(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG);
  id_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get());
  if (id_ < 0) throw InputError(path, "cannot open", "the HDF5 file is truncated or corrupt");
  try {
    Id create(H5Fget_create_plist(id_));
    if (!create.ok() || H5Pget_sizes(create.get(), &layout_.sizeof_addr, &layout_.sizeof_size) < 0 ||
        layout_.sizeof_size > 16) {
      throw InputError(path, "unreadable superblock", "the file is truncated or corrupt");
    }
    std::error_code error;
    layout_.file_size = std::filesystem::file_size(path, error);
    if (!error) heaps_ = CheckGlobalHeaps(id_, path, layout_);
  } catch (...) {
    H5Fclose(id_);
    id_ = -1;
    throw;
  }
}

File::~File() {
  if (id_ >= 0) H5Fclose(id_);
}

namespace {
// Whether every link of `name` exists (H5Lexists needs its parents to). A
// link the library cannot look up is a corrupt file, not a missing object.
bool LinkExists(const File& file, const std::string& name) {
  if (name.empty() || name == "/") return true;
  std::size_t position = name[0] == '/' ? 1 : 0;
  for (;;) {
    const std::size_t slash = name.find('/', position);
    const std::string prefix = name.substr(0, slash);
    const htri_t exists = H5Lexists(file.id(), prefix.c_str(), H5P_DEFAULT);
    if (exists < 0) throw InputError(file.Where(prefix), "unreadable", "the file is truncated or corrupt");
    if (exists == 0) return false;
    file.CheckHeader(prefix);
    if (slash == std::string::npos || slash + 1 == name.size()) return true;
    // Links lie only below groups: below a dataset nothing exists (the
    // library's lookup would fail as if the file were corrupt).
    H5O_info_t info;
    if (H5Oget_info_by_name(file.id(), prefix.c_str(), &info, H5P_DEFAULT) < 0) {
      throw InputError(file.Where(prefix), "unreadable", "the file is truncated or corrupt");
    }
    if (info.type != H5O_TYPE_GROUP) return false;
    position = slash + 1;
  }
}

H5O_type_t ObjectType(const File& file, const std::string& name) {
  if (!LinkExists(file, name)) return H5O_TYPE_UNKNOWN;
  H5O_info_t info;
  if (H5Oget_info_by_name(file.id(), name.c_str(), &info, H5P_DEFAULT) < 0) {
    throw InputError(file.Where(name), "unreadable", "the file is truncated or corrupt");
  }
  return info.type;
}
}  // namespace

bool File::IsGroup(const std::string& name) const { return ObjectType(*this, name) == H5O_TYPE_GROUP; }
bool File::IsDataset(const std::string& name) const { return ObjectType(*this, name) == H5O_TYPE_DATASET; }

void File::CheckHeader(const std::string& name) const {
  H5L_info_t link;
  if (H5Lget_info(id_, name.c_str(), &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD) return;
  if (!checked_headers_.insert(link.u.address).second) return;
  const std::string problem = CheckHeaderMessages(path_, link.u.address, layout_);
  if (!problem.empty()) throw InputError(Where(name), problem, "the file is corrupt");
}

std::vector<std::string> File::Members(const std::string& group) const {
  if (!LinkExists(*this, group)) throw InputError(Where(group), "no such group", "the file lacks it");
  Id handle(H5Gopen2(id_, group.c_str(), H5P_DEFAULT));
  if (!handle.ok()) throw InputError(Where(group), "no such group", "the file lacks it");
  H5G_info_t info;
  if (H5Gget_info(handle.get(), &info) < 0) throw InputError(Where(group), "unreadable group", "the file is corrupt");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size = H5Lget_name_by_idx(handle.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (size < 0) throw InputError(Where(group), "unreadable member", "the file is corrupt");
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(handle.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(size));
    names.push_back(std::move(name));
  }
  return names;
}

bool File::HasAttribute(const std::string& object, const std::string& attribute) const {
  if (!LinkExists(*this, object)) return false;
  const htri_t exists = H5Aexists_by_name(id_, object.c_str(), attribute.c_str(), H5P_DEFAULT);
  if (exists < 0) throw InputError(Where(object), "unreadable attributes", "the file is truncated or corrupt");
  return exists > 0;
}

namespace {
struct OpenAttribute {
  Id attribute;
  Id type;
  Id space;
  std::size_t count = 0;
};

OpenAttribute OpenAttributeOf(const File& file, const std::string& object, const std::string& attribute) {
  const std::string where = file.Where(object) + " attribute '" + attribute + "'";
  if (!file.HasAttribute(object, attribute)) throw InputError(where, "missing", "the file lacks it");
  OpenAttribute out{Id(H5Aopen_by_name(file.id(), object.c_str(), attribute.c_str(), H5P_DEFAULT, H5P_DEFAULT)), Id(),
                    Id(), 0};
  if (!out.attribute.ok()) throw InputError(where, "unreadable", "the file is corrupt");
  out.type = Id(H5Aget_type(out.attribute.get()));
  out.space = Id(H5Aget_space(out.attribute.get()));
  const std::vector<std::int64_t> dims = DimsOf(out.space.get(), where);
  if (dims.size() > 1) throw InputError(where, std::to_string(dims.size()) + "-D", "expected a scalar or a 1-D array");
  out.count = dims.empty() ? 1 : static_cast<std::size_t>(dims[0]);
  return out;
}

// Attribute strings get the checks dataset strings get (Dataset::ReadStrings)
// before H5Aread converts them, on their references found in the object
// header: the library gives no other way to see them first
// (io/hdf5_object_header.h). An attribute in dense storage or in the
// shared-message table is not found there and is read unchecked.
void CheckAttributeReferences(const File& file, const std::string& object, const std::string& attribute,
                              const OpenAttribute& a, const std::string& where) {
  if (H5Tis_variable_str(a.type.get()) <= 0 || !file.global_heaps()) return;
  const hssize_t count = H5Sget_simple_extent_npoints(a.space.get());  // 0 for an empty (null) dataspace
  if (count <= 0) return;
  H5O_info_t info;
  if (H5Oget_info_by_name2(file.id(), object.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    throw InputError(file.Where(object), "unreadable", "the file is truncated or corrupt");
  }
  const AttributeValues found = FindAttributeValues(file.path(), info.addr, attribute, file.layout());
  for (const std::vector<unsigned char>& value : found.values) {
    CheckReferences(value, count, where, file.layout(), *file.global_heaps());
  }
}
}  // namespace

std::vector<std::string> File::StringArrayAttribute(const std::string& object, const std::string& attribute) const {
  const OpenAttribute a = OpenAttributeOf(*this, object, attribute);
  const std::string where = Where(object) + " attribute '" + attribute + "'";
  if (a.count == 0) return {};  // h5py writes an empty list as an empty float array
  if (ClassOf(a.type.get()) != ValueClass::kString) {
    throw InputError(where, ClassName(ClassOf(a.type.get())), "expected strings");
  }
  CheckAttributeReferences(*this, object, attribute, a, where);
  return ReadStringValues(a.type.get(), a.count, where,
                          [&](hid_t memory_type, void* buffer, hid_t) { return H5Aread(a.attribute.get(), memory_type, buffer); });
}

std::string File::StringAttribute(const std::string& object, const std::string& attribute) const {
  const std::vector<std::string> values = StringArrayAttribute(object, attribute);
  if (values.size() != 1) {
    throw InputError(Where(object) + " attribute '" + attribute + "'", std::to_string(values.size()) + " strings",
                     "expected one");
  }
  return values[0];
}

std::vector<std::int64_t> File::IntegerArrayAttribute(const std::string& object, const std::string& attribute) const {
  const OpenAttribute a = OpenAttributeOf(*this, object, attribute);
  const std::string where = Where(object) + " attribute '" + attribute + "'";
  if (ClassOf(a.type.get()) != ValueClass::kInteger) {
    throw InputError(where, ClassName(ClassOf(a.type.get())), "expected integers");
  }
  std::vector<std::int64_t> values(a.count);
  if (a.count > 0 && H5Aread(a.attribute.get(), H5T_NATIVE_INT64, values.data()) < 0) {
    throw InputError(where, "unreadable", "the file is corrupt");
  }
  return values;
}

bool File::BooleanAttribute(const std::string& object, const std::string& attribute) const {
  const OpenAttribute a = OpenAttributeOf(*this, object, attribute);
  const std::string where = Where(object) + " attribute '" + attribute + "'";
  const ValueClass value_class = ClassOf(a.type.get());
  if ((value_class != ValueClass::kBoolean && value_class != ValueClass::kInteger) || a.count != 1) {
    throw InputError(where, ClassName(value_class), "expected one boolean");
  }
  // An enum reads through its own type; its values are 0 / 1.
  const std::size_t size = H5Tget_size(a.type.get());
  if (size == 0 || size > 8) throw InputError(where, std::to_string(size) + "-byte value", "expected one boolean");
  Id native(H5Tget_native_type(a.type.get(), H5T_DIR_ASCEND));
  unsigned char buffer[8] = {0};
  if (H5Aread(a.attribute.get(), native.get(), buffer) < 0) throw InputError(where, "unreadable", "the file is corrupt");
  for (std::size_t i = 0; i < size; ++i) {
    if (buffer[i] != 0) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Dataset

Dataset::Dataset(const File& file, const std::string& name) : path_(file.path()), file_(&file), name_(name) {
  if (!file.IsDataset(name)) {
    throw InputError(Where(), file.IsGroup(name) ? "a group" : "missing", "expected a dataset here");
  }
  id_ = H5Dopen2(file.id(), name.c_str(), H5P_DEFAULT);
  if (id_ < 0) throw InputError(Where(), "unreadable", "the file is corrupt");
  try {  // a constructor that throws runs no destructor: close the dataset here
    Id space(H5Dget_space(id_));
    Id type(H5Dget_type(id_));
    if (!space.ok() || !type.ok()) throw InputError(Where(), "unreadable", "the file is corrupt");
    dims_ = DimsOf(space.get(), Where());
    value_class_ = ClassOf(type.get());
    // The library's conversion buffer holds at least one element of the
    // size the datatype declares: a corrupt size of 4 GB made H5Dread
    // allocate and clear 4 GB (found by fuzz/hdf5_fuzzer.cc). No writer
    // stores numbers wider than 16 bytes (a long double).
    const std::size_t width = H5Tget_size(type.get());
    if (value_class_ != ValueClass::kOther && value_class_ != ValueClass::kString && width > 16) {
      throw InputError(Where(), std::to_string(width) + "-byte " + ClassName(value_class_) + " values",
                       "numbers are at most 16 bytes (corrupt)");
    }
  } catch (...) {
    H5Dclose(id_);
    id_ = -1;
    throw;
  }
}

Dataset::~Dataset() {
  if (id_ >= 0) H5Dclose(id_);
}

Dataset::Dataset(Dataset&& other) noexcept
    : path_(std::move(other.path_)),
      file_(other.file_),
      name_(std::move(other.name_)),
      id_(std::exchange(other.id_, -1)),
      dims_(std::move(other.dims_)),
      value_class_(other.value_class_) {}

Dataset& Dataset::operator=(Dataset&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0) H5Dclose(id_);
    path_ = std::move(other.path_);
    file_ = other.file_;
    name_ = std::move(other.name_);
    id_ = std::exchange(other.id_, -1);
    dims_ = std::move(other.dims_);
    value_class_ = other.value_class_;
  }
  return *this;
}

std::string Dataset::Where() const { return path_ + ":" + name_; }

std::int64_t Dataset::size() const {
  std::int64_t n = 1;
  for (const std::int64_t d : dims_) n *= d;
  return n;
}

void Dataset::ReadNumeric(std::int64_t offset, std::int64_t count, bool as_double, void* out) const {
  const bool numeric = value_class_ == ValueClass::kInteger || value_class_ == ValueClass::kFloat ||
                       (!as_double && value_class_ == ValueClass::kBoolean);
  if (!numeric) throw InputError(Where(), ClassName(value_class_), "expected numbers");
  if (rank() != 1) throw InputError(Where(), std::to_string(rank()) + "-D", "expected a 1-D array");
  if (offset < 0 || count < 0 || offset + count > dims_[0]) {
    throw InputError(Where(), "elements " + std::to_string(offset) + ":" + std::to_string(offset + count),
                     "beyond its " + std::to_string(dims_[0]) + " elements");
  }
  if (count == 0) return;
  Id file_space(H5Dget_space(id_));
  const hsize_t start[1] = {static_cast<hsize_t>(offset)};
  const hsize_t extent[1] = {static_cast<hsize_t>(count)};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr);
  Id memory_space(H5Screate_simple(1, extent, nullptr));
  hid_t memory_type = as_double ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
  Id enum_type;
  if (value_class_ == ValueClass::kBoolean) {
    // No conversion path from an enum to an integer: read the 0/1 bytes.
    Id file_type(H5Dget_type(id_));
    enum_type = Id(H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND));
    std::vector<signed char> bytes(static_cast<std::size_t>(count));
    if (H5Tget_size(enum_type.get()) != 1 ||
        H5Dread(id_, enum_type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, bytes.data()) < 0) {
      throw InputError(Where(), "unreadable booleans", "the file is truncated or corrupt");
    }
    auto* values = static_cast<std::int64_t*>(out);
    for (std::size_t i = 0; i < bytes.size(); ++i) values[i] = bytes[i];
    return;
  }
  if (H5Dread(id_, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    throw InputError(Where(), "unreadable values", "the file is truncated or corrupt");
  }
}

void Dataset::Read(std::int64_t offset, std::int64_t count, double* out) const { ReadNumeric(offset, count, true, out); }
void Dataset::Read(std::int64_t offset, std::int64_t count, std::int64_t* out) const {
  ReadNumeric(offset, count, false, out);
}

void Dataset::ReadBlock(std::int64_t row, std::int64_t rows, std::int64_t column, std::int64_t columns,
                        double* out) const {
  if (value_class_ != ValueClass::kInteger && value_class_ != ValueClass::kFloat) {
    throw InputError(Where(), ClassName(value_class_), "expected numbers");
  }
  if (rank() != 2) throw InputError(Where(), std::to_string(rank()) + "-D", "expected a 2-D array");
  if (row < 0 || rows < 0 || row + rows > dims_[0] || column < 0 || columns < 0 || column + columns > dims_[1]) {
    throw InputError(Where(), "block", "beyond its shape");
  }
  if (rows == 0 || columns == 0) return;
  Id file_space(H5Dget_space(id_));
  const hsize_t start[2] = {static_cast<hsize_t>(row), static_cast<hsize_t>(column)};
  const hsize_t extent[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(columns)};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr);
  Id memory_space(H5Screate_simple(2, extent, nullptr));
  if (H5Dread(id_, H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    throw InputError(Where(), "unreadable values", "the file is truncated or corrupt");
  }
}

std::vector<std::string> Dataset::ReadStrings() const {
  if (value_class_ != ValueClass::kString) throw InputError(Where(), ClassName(value_class_), "expected strings");
  if (rank() > 1) throw InputError(Where(), std::to_string(rank()) + "-D", "expected a 1-D array of strings");
  if (size() > kMaxStrings) {
    throw InputError(Where(), std::to_string(size()) + " strings", "at most " + std::to_string(kMaxStrings) + " are read");
  }
  Id type(H5Dget_type(id_));
  if (H5Tis_variable_str(type.get()) > 0 && file_->global_heaps()) {
    CheckStringReferences(id_, size(), path_, Where(), file_->layout(), *file_->global_heaps());
  }
  return ReadStringValues(type.get(), static_cast<std::size_t>(size()), Where(), [&](hid_t memory_type, void* buffer, hid_t transfer) {
    return H5Dread(id_, memory_type, H5S_ALL, H5S_ALL, transfer, buffer);
  });
}

}  // namespace nbglm::hdf5
