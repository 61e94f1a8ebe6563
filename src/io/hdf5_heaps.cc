#include "io/hdf5_heaps.h"

#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "io/hdf5_object_header.h"
#include "nbglm/error.h"

namespace nbglm::hdf5 {
namespace {

struct Range {
  std::uint64_t begin, end;
};

struct Visit {
  const std::string& path;
  const FileLayout& layout;
  std::set<std::uint64_t> seen;   // object header addresses checked
  std::vector<Range> contiguous;  // raw data of contiguous datasets
  std::string object, problem;    // the first header the library would read beyond
};

// The object whose header starts at `address` (named `name`), before the
// library loads it: its header must lie in the file and its messages within
// their bounds (CheckHeaderMessages). Returns false on a problem.
bool CheckObject(Visit* visit, std::uint64_t address, const std::string& name) {
  if (!visit->seen.insert(address).second) return true;
  visit->problem = CheckHeaderMessages(visit->path, address, visit->layout);
  if (visit->problem.empty()) return true;
  visit->object = name;
  return false;
}

// Each link of the file. H5Lvisit calls back with a hard link's address
// before it loads the object (H5Ovisit loads it first: a header address
// beyond the file made it allocate 4.1 GB), so every object is checked
// before the library decodes it, by opening it here or later. An exception
// cannot cross the library's C frames: a problem stops the visit and is
// thrown after it.
herr_t VisitLink(hid_t group, const char* name, const H5L_info_t* link, void* data) {
  auto* visit = static_cast<Visit*>(data);
  if (link->type != H5L_TYPE_HARD) return 0;
  if (!CheckObject(visit, link->u.address, "/" + std::string(name))) return -1;
  H5O_info_t info;
  if (H5Oget_info_by_name2(group, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_DATASET) {
    return 0;
  }
  const hid_t dataset = H5Dopen2(group, name, H5P_DEFAULT);
  if (dataset < 0) return 0;
  const haddr_t offset = H5Dget_offset(dataset);
  const hsize_t size = H5Dget_storage_size(dataset);
  if (offset != HADDR_UNDEF && size > 0) visit->contiguous.push_back({offset, offset + size});
  H5Dclose(dataset);
  return 0;
}

// One collection at `offset`, walked as the library deserialises it
// (H5HG_deserialize): a free-space object of size 0 would loop forever, an
// object beyond its collection would be copied out of bounds.
void CheckCollection(std::FILE* raw, std::uint64_t offset, std::uint64_t file_size, std::size_t sizeof_size,
                     const std::string& path, GlobalHeaps* heaps) {
  const std::size_t header = 8 + sizeof_size;
  const std::size_t object_header = 8 + sizeof_size;
  unsigned char head[32];
  if (offset + header > file_size || std::fseek(raw, static_cast<long>(offset), SEEK_SET) != 0 ||
      std::fread(head, 1, header, raw) != header) {
    return;  // too short to be read as a collection
  }
  if (head[4] != 1) return;  // the library refuses other versions itself
  const std::uint64_t size = Decode(head + 8, sizeof_size);
  const std::string where = path + ": global heap at byte " + std::to_string(offset);
  if (size < header || size > file_size - offset) {
    throw InputError(where, "size " + std::to_string(size), "beyond the file (corrupt)");
  }
  std::vector<unsigned char> chunk(static_cast<std::size_t>(size));
  if (std::fseek(raw, static_cast<long>(offset), SEEK_SET) != 0 || std::fread(chunk.data(), 1, chunk.size(), raw) != chunk.size()) {
    throw InputError(where, "unreadable", "the file is truncated or corrupt");
  }
  std::map<std::uint32_t, std::uint64_t>& objects = (*heaps)[offset];
  std::uint64_t p = header;
  while (p < size) {
    if (p + object_header > size) break;  // a tail too small for an object: free space
    const std::uint64_t index = Decode(chunk.data() + p, 2);
    const std::uint64_t object_size = Decode(chunk.data() + p + 8, sizeof_size);
    if (object_size > size) {
      throw InputError(where, "object of " + std::to_string(object_size) + " bytes",
                       "larger than its collection of " + std::to_string(size) + " (corrupt)");
    }
    const std::uint64_t need = index > 0 ? object_header + (object_size + 7) / 8 * 8 : object_size;
    if (need == 0 || need > size - p) {
      throw InputError(where, "object " + std::to_string(index) + " of " + std::to_string(object_size) + " bytes",
                       "does not fit its collection (corrupt)");
    }
    if (index > 0) objects[static_cast<std::uint32_t>(index)] = object_size;
    p += need;
  }
}

}  // namespace

std::uint64_t Decode(const unsigned char* p, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = bytes; i > 0; --i) value = value << 8 | p[i - 1];
  return value;
}

std::optional<GlobalHeaps> CheckGlobalHeaps(std::int64_t file_id, const std::string& path, const FileLayout& layout) {
  GlobalHeaps heaps;
  // A visit that fails on a corrupt object leaves fewer ranges to skip: the
  // scan then reads more, and the corrupt object is reported when read.
  Visit visit{path, layout, {}, {}, "", ""};
  H5O_info_t root;  // loaded by the library when it opened the file
  if (H5Oget_info2(file_id, &root, H5O_INFO_BASIC) >= 0 && CheckObject(&visit, root.addr, "/")) {
    H5Lvisit(file_id, H5_INDEX_NAME, H5_ITER_INC, &VisitLink, &visit);
  }
  if (!visit.problem.empty()) throw InputError(path + ":" + visit.object, visit.problem, "the file is corrupt");
  std::vector<Range>& skip = visit.contiguous;
  std::sort(skip.begin(), skip.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  const std::uint64_t file_size = layout.file_size;
  std::FILE* raw = std::fopen(path.c_str(), "rb");
  if (raw == nullptr) return std::nullopt;
  try {
    constexpr std::size_t kBlock = std::size_t{4} << 20;
    std::vector<unsigned char> block(kBlock + 3);
    std::uint64_t position = 0;
    std::size_t next_skip = 0;
    while (position < file_size) {
      while (next_skip < skip.size() && skip[next_skip].end <= position) ++next_skip;
      if (next_skip < skip.size() && skip[next_skip].begin <= position) {
        position = skip[next_skip].end;
        continue;
      }
      std::uint64_t stop = std::min<std::uint64_t>(file_size, position + kBlock);
      if (next_skip < skip.size()) stop = std::min<std::uint64_t>(stop, skip[next_skip].begin);
      // Read 3 more bytes so that a signature across the stop is seen.
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(file_size - position, stop - position + 3));
      if (std::fseek(raw, static_cast<long>(position), SEEK_SET) != 0 || std::fread(block.data(), 1, want, raw) != want) {
        std::fclose(raw);
        return std::nullopt;
      }
      // The block is in memory: checking a collection may move the file's position.
      for (std::size_t i = 0; i + 4 <= want && position + i < stop; ++i) {
        if (block[i] == 'G' && block[i + 1] == 'C' && block[i + 2] == 'O' && block[i + 3] == 'L') {
          CheckCollection(raw, position + i, file_size, layout.sizeof_size, path, &heaps);
        }
      }
      position = stop;
    }
  } catch (...) {
    std::fclose(raw);
    throw;
  }
  std::fclose(raw);
  return heaps;
}

void CheckStringReferences(std::int64_t dataset, std::int64_t count, const std::string& path,
                           const std::string& where, const FileLayout& layout, const GlobalHeaps& heaps) {
  const haddr_t offset = H5Dget_offset(dataset);
  if (offset == HADDR_UNDEF || count == 0) return;
  const std::uintmax_t element = 4 + layout.sizeof_addr + 4;
  const std::uintmax_t file_size = layout.file_size;
  if (offset > file_size || static_cast<std::uintmax_t>(count) > (file_size - offset) / element) {
    throw InputError(where, std::to_string(count) + " strings", "more than the file holds (corrupt)");
  }
  std::FILE* raw = std::fopen(path.c_str(), "rb");
  if (raw == nullptr) return;
  std::vector<unsigned char> bytes(static_cast<std::size_t>(count) * element);
  const bool read = std::fseek(raw, static_cast<long>(offset), SEEK_SET) == 0 &&
                    std::fread(bytes.data(), 1, bytes.size(), raw) == bytes.size();
  std::fclose(raw);
  if (!read) throw InputError(where, "unreadable strings", "the file is truncated or corrupt");
  CheckReferences(bytes, count, where, layout, heaps);
}

// The library allocates the length a reference declares before reading (a
// corrupt length of 4 GiB was found), and follows it to (collection, index)
// without checking that such an object exists (a crash). Every string's bytes
// live uncompressed in the global heap, so together they cannot exceed the
// file. A reference is a 4-byte length, an address and a 4-byte index.
void CheckReferences(const std::vector<unsigned char>& references, std::int64_t count, const std::string& where,
                     const FileLayout& layout, const GlobalHeaps& heaps) {
  const std::size_t sizeof_addr = layout.sizeof_addr;
  const std::size_t element = 4 + sizeof_addr + 4;
  const std::uintmax_t file_size = layout.file_size;
  if (count < 0 || static_cast<std::uintmax_t>(count) > references.size() / element) {
    throw InputError(where, std::to_string(count) + " strings in " + std::to_string(references.size()) + " bytes",
                     "each needs a " + std::to_string(element) + "-byte reference (corrupt)");
  }
  std::uintmax_t total = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const unsigned char* e = references.data() + static_cast<std::size_t>(i) * element;
    const std::uint64_t length = Decode(e, 4);
    total += length;
    if (total > file_size) {
      throw InputError(where + "[" + std::to_string(i) + "]", "strings of " + std::to_string(total) + " bytes",
                       "more than the file's " + std::to_string(file_size) + " bytes (corrupt)");
    }
    if (length == 0) continue;
    const std::uint64_t address = Decode(e + 4, sizeof_addr);
    const std::uint64_t index = Decode(e + 4 + sizeof_addr, 4);
    const auto collection = heaps.find(address);
    const bool found = collection != heaps.end() && collection->second.count(static_cast<std::uint32_t>(index)) > 0;
    if (!found || collection->second.at(static_cast<std::uint32_t>(index)) < length) {
      throw InputError(where + "[" + std::to_string(i) + "]",
                       "heap object " + std::to_string(index) + " at byte " + std::to_string(address),
                       found ? "shorter than the string (corrupt)" : "no such object in the file (corrupt)");
    }
  }
}

}  // namespace nbglm::hdf5
