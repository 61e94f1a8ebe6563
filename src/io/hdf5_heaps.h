// Checks of a file's global heap — where HDF5 keeps variable-length strings —
// made before the HDF5 library reads it. Version 1.10 of the library trusts
// what the heap and the strings' references declare; the fuzzer
// (fuzz/hdf5_fuzzer.cc) found a corrupt heap make it loop forever, copy out of
// bounds or follow a reference to nothing, and a corrupt length make it
// allocate gigabytes (docs/reliability.md). These checks read the file's
// bytes directly and refuse such a file with an InputError.
#ifndef NBGLM_SRC_IO_HDF5_HEAPS_H_
#define NBGLM_SRC_IO_HDF5_HEAPS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nbglm::hdf5 {

// What the checks need of a file: its size and the widths of the addresses
// and lengths its superblock declares.
struct FileLayout {
  std::uint64_t file_size = 0;
  std::size_t sizeof_addr = 8;
  std::size_t sizeof_size = 8;
};

// The global heap collections of a file, by address: the size of each object
// by its index.
using GlobalHeaps = std::map<std::uint64_t, std::map<std::uint32_t, std::uint64_t>>;

// Walks every global heap collection of the open file `file_id` as the
// library would, and throws InputError for one that would make it loop or
// read out of bounds. Collections are found by their signature outside the
// raw data of contiguous datasets (counts, indices), which is skipped: a
// count array cannot be mistaken for a heap, and only the rest is read.
// Returns the collections, or nothing when the file's bytes cannot be read
// (then the string checks below are skipped too).
std::optional<GlobalHeaps> CheckGlobalHeaps(std::int64_t file_id, const std::string& path, const FileLayout& layout);

// The little-endian unsigned number in `bytes` bytes at `p`, as the file
// format stores its fields.
std::uint64_t Decode(const unsigned char* p, std::size_t bytes);

// The heap references of `count` variable-length strings stored in
// `references` (4-byte length, address, 4-byte index each): all of them
// there, their lengths together within the file, each naming an object of
// `heaps` at least as long. Throws InputError naming `where` or `where`[i].
void CheckReferences(const std::vector<unsigned char>& references, std::int64_t count, const std::string& where,
                     const FileLayout& layout, const GlobalHeaps& heaps);

// The heap references of the `count` strings of a contiguous
// variable-length string dataset, read from its raw bytes and checked as
// CheckReferences does. Chunked (filtered) datasets
// cannot be read this way and are not checked.
void CheckStringReferences(std::int64_t dataset_id, std::int64_t count, const std::string& path,
                           const std::string& where, const FileLayout& layout, const GlobalHeaps& heaps);

}  // namespace nbglm::hdf5

#endif  // NBGLM_SRC_IO_HDF5_HEAPS_H_
