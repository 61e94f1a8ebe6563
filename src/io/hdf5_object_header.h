// The stored value of an attribute, read from its object's header without the
// HDF5 library. The library offers no way to read an attribute's raw bytes:
// H5Aread converts variable-length strings as it reads, allocating the
// length each heap reference declares before looking at the heap, and takes
// no transfer property list, hence no memory manager (libhdf5 1.10.8; HDF
// Group issue 2193 asks for a way to query the lengths first): a corrupt
// length of 4 GiB is allocated as declared (docs/reliability.md). To check the
// references before the library reads them (CheckReferences), the value is
// found here by walking the object header as the file format specification
// describes it (docs/formats.md "HDF5 inputs"): version 1 and 2 headers,
// their continuation blocks, and attribute messages of versions 1 to 3.
//
// What is not followed: attributes kept in dense storage (a fractal heap and
// a B-tree, which the library uses for more than 8 attributes of a version 2
// header, or attributes over 64 KiB) and attribute messages shared through
// the file's shared-message table. Their values are not found here.
#ifndef NBGLM_SRC_IO_HDF5_OBJECT_HEADER_H_
#define NBGLM_SRC_IO_HDF5_OBJECT_HEADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5_heaps.h"

namespace nbglm::hdf5 {

struct AttributeValues {
  // The stored data of every attribute message named as asked whose
  // datatype is a variable-length string or is shared (normally one): the
  // bytes after its dataspace to the end of its message, which hold the
  // value and at most the message's padding after it.
  std::vector<std::vector<unsigned char>> values;
  // The header says its attributes are in dense storage (not read here).
  bool dense = false;
};

// The values of attribute `name` of the object whose header starts at byte
// `address` of the file `path` (the header address H5Oget_info gives). A
// structure that cannot be followed — a block outside the file, an unknown
// version, a message overrunning its block — ends the walk: what was found
// before it is returned, and nothing is thrown. The library parsed the same
// header to open the attribute, so a file it accepts is walked whole.
AttributeValues FindAttributeValues(const std::string& path, std::uint64_t address, const std::string& name,
                                    const FileLayout& layout);

// What of the header at `address` libhdf5 1.10 would copy from beyond the
// message holding it — a datatype (in a datatype or attribute message), a
// fill value or an attribute's value — as "datatype beyond its 40-byte
// message", or what of the header lies beyond the file ("object header
// beyond the file"; the library would allocate what it read there as sizes:
// 4.1 GB for one the fuzzer found), or "" when nothing. The library decodes these without looking at
// the message's end when it opens the object or its attributes: the fuzzer
// found an enum whose base type declared 6 MB members make H5Dopen2 copy
// 12 MB out of a 320-byte header. Structures the walk cannot follow are
// left to the library, as in FindAttributeValues.
std::string CheckHeaderMessages(const std::string& path, std::uint64_t address, const FileLayout& layout);

}  // namespace nbglm::hdf5

#endif  // NBGLM_SRC_IO_HDF5_OBJECT_HEADER_H_
