#include "io/hdf5_object_header.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <set>

namespace nbglm::hdf5 {
namespace {

// Message types (HDF5 File Format Specification, "IV.A.2 Header Messages").
constexpr std::uint64_t kAttributeMessage = 0x000C;
constexpr std::uint64_t kContinuationMessage = 0x0010;
constexpr std::uint64_t kAttributeInfoMessage = 0x0015;
// Header message flag: the message is stored in the shared-message table.
constexpr unsigned kMessageShared = 0x02;
// Attribute message flag (versions 2 and 3): its datatype is shared.
constexpr unsigned kDatatypeShared = 0x01;
// Datatype class 9 is variable-length; its type field 1 is a string.
constexpr unsigned kVariableLengthClass = 9;
constexpr unsigned kVariableLengthString = 1;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// `size` bytes at `offset`, or nothing when they do not all lie in the file.
bool ReadAt(std::FILE* raw, std::uint64_t offset, std::uint64_t size, std::uint64_t file_size,
            std::vector<unsigned char>* out) {
  if (offset > file_size || size > file_size - offset) return false;
  out->resize(static_cast<std::size_t>(size));
  return std::fseek(raw, static_cast<long>(offset), SEEK_SET) == 0 && std::fread(out->data(), 1, out->size(), raw) == out->size();
}

std::uint64_t AlignedTo8(std::uint64_t n) { return (n + 7) / 8 * 8; }

// A block of header messages to walk: [begin, end) of the file.
struct Block {
  std::uint64_t begin, end;
};

class HeaderWalk {
 public:
  HeaderWalk(std::FILE* raw, const std::string& name, const FileLayout& layout)
      : raw_(raw), name_(name), layout_(layout) {}

  // Reads the prefix at `address`, then every block of messages in the
  // order the library loads them: the first, then each continuation block
  // in the order its message was met.
  AttributeValues Walk(std::uint64_t address) {
    std::deque<Block> blocks;
    if (!Prefix(address, &blocks)) return std::move(found_);
    std::set<std::uint64_t> seen;
    while (!blocks.empty()) {
      const Block block = blocks.front();
      blocks.pop_front();
      // A continuation met twice would walk the same messages forever.
      if (!seen.insert(block.begin).second) break;
      if (!Messages(block, &blocks)) break;
    }
    return std::move(found_);
  }

 private:
  // The header prefix: its version, the flags that shape its messages, and
  // its first block of messages.
  bool Prefix(std::uint64_t address, std::deque<Block>* blocks) {
    std::vector<unsigned char> head;
    if (!ReadAt(raw_, address, 16, layout_.file_size, &head)) return false;
    if (head[0] == 1) {
      // Version 1: version, reserved, 2-byte message count, 4-byte reference
      // count, 4-byte size of the first block, then padding to 16 bytes.
      version_ = 1;
      const std::uint64_t size = Decode(head.data() + 8, 4);
      blocks->push_back({address + 16, address + 16 + size});
      return true;
    }
    if (std::memcmp(head.data(), "OHDR", 4) != 0 || head[4] != 2) return false;
    // Version 2: "OHDR", version, flags, four 4-byte times when flag bit 5
    // is set, two 2-byte attribute phase-change values when bit 4 is, then
    // the size of the first block in 1, 2, 4 or 8 bytes (bits 0-1). Each
    // block ends in a 4-byte checksum.
    version_ = 2;
    const unsigned flags = head[5];
    creation_order_ = (flags & 0x04) != 0;
    std::uint64_t at = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
    const std::size_t width = std::size_t{1} << (flags & 0x03);
    std::vector<unsigned char> field;
    if (!ReadAt(raw_, address + at, width, layout_.file_size, &field)) return false;
    const std::uint64_t size = Decode(field.data(), width);
    at += width;
    if (size > layout_.file_size) return false;
    blocks->push_back({address + at, address + at + size});
    return true;
  }

  // Walks the messages of one block; false when they cannot be followed.
  bool Messages(const Block& block, std::deque<Block>* blocks) {
    std::vector<unsigned char> bytes;
    if (block.end < block.begin || !ReadAt(raw_, block.begin, block.end - block.begin, layout_.file_size, &bytes)) {
      return false;
    }
    // The blocks of a header do not overlap: more bytes than the file holds
    // are blocks walked again (bounds the work on a corrupt file).
    walked_ += bytes.size();
    if (walked_ > layout_.file_size) return false;
    // Version 1 message header: 2-byte type, 2-byte size, flags, 3 reserved.
    // Version 2: 1-byte type, 2-byte size, flags, and a 2-byte creation
    // order when the prefix says so. A tail shorter than a message header
    // is a gap.
    const std::size_t header = version_ == 1 ? 8 : (creation_order_ ? 6 : 4);
    std::size_t p = 0;
    while (p + header <= bytes.size()) {
      const std::uint64_t type = version_ == 1 ? Decode(&bytes[p], 2) : bytes[p];
      const std::size_t size_at = version_ == 1 ? 2 : 1;
      const std::uint64_t size = Decode(&bytes[p + size_at], 2);
      const unsigned flags = bytes[p + size_at + 2];
      p += header;
      if (size > bytes.size() - p) return false;
      const unsigned char* data = bytes.data() + p;
      if ((flags & kMessageShared) == 0) {
        if (type == kAttributeMessage) Attribute(data, static_cast<std::size_t>(size));
        if (type == kAttributeInfoMessage) AttributeInfo(data, static_cast<std::size_t>(size));
        if (type == kContinuationMessage && !Continuation(data, static_cast<std::size_t>(size), blocks)) return false;
      }
      p += static_cast<std::size_t>(size);
    }
    return true;
  }

  // A continuation message: the address and length of the next block. A
  // version 2 block starts with "OCHK" and ends with a checksum.
  bool Continuation(const unsigned char* data, std::size_t size, std::deque<Block>* blocks) const {
    const std::size_t need = layout_.sizeof_addr + layout_.sizeof_size;
    if (size < need) return false;
    const std::uint64_t address = Decode(data, layout_.sizeof_addr);
    const std::uint64_t length = Decode(data + layout_.sizeof_addr, layout_.sizeof_size);
    if (address > layout_.file_size || length > layout_.file_size - address) return false;
    if (version_ == 1) {
      blocks->push_back({address, address + length});
      return true;
    }
    std::vector<unsigned char> signature;
    if (length < 8 || !ReadAt(raw_, address, 4, layout_.file_size, &signature) ||
        std::memcmp(signature.data(), "OCHK", 4) != 0) {
      return false;
    }
    blocks->push_back({address + 4, address + length - 4});
    return true;
  }

  // An attribute information message: version 0, flags, a 2-byte maximum
  // creation index when flag bit 0 is set, then the address of the fractal
  // heap of dense storage, undefined (all ones) when there is none.
  void AttributeInfo(const unsigned char* data, std::size_t size) {
    if (size < 2 || data[0] != 0) return;
    const std::size_t at = 2 + ((data[1] & 0x01) ? 2 : 0);
    if (at + layout_.sizeof_addr > size) return;
    bool undefined = true;
    for (std::size_t i = 0; i < layout_.sizeof_addr; ++i) undefined = undefined && data[at + i] == 0xFF;
    found_.dense = found_.dense || !undefined;
  }

  // An attribute message: version, flags (reserved in version 1), 2-byte
  // sizes of its name (with the terminating NUL), datatype and dataspace,
  // in version 3 a 1-byte name character set, then the name, datatype,
  // dataspace and data. Version 1 pads the first three to 8 bytes each.
  void Attribute(const unsigned char* data, std::size_t size) {
    if (size < 8) return;
    const unsigned version = data[0];
    if (version < 1 || version > 3) return;
    const unsigned flags = version == 1 ? 0 : data[1];
    std::uint64_t name_size = Decode(data + 2, 2);
    std::uint64_t type_size = Decode(data + 4, 2);
    std::uint64_t space_size = Decode(data + 6, 2);
    const std::uint64_t name_at = version == 3 ? 9 : 8;
    if (version == 1) {
      name_size = AlignedTo8(name_size);
      type_size = AlignedTo8(type_size);
      space_size = AlignedTo8(space_size);
    }
    const std::uint64_t type_at = name_at + name_size;
    const std::uint64_t data_at = type_at + type_size + space_size;
    if (data_at > size) return;
    // The library takes the name up to its first NUL.
    const auto* name = reinterpret_cast<const char*>(data + name_at);
    if (strnlen(name, static_cast<std::size_t>(name_size)) != name_.size() || name_.compare(0, name_.size(), name, name_.size()) != 0) {
      return;
    }
    // A datatype of its own is byte 0: class (bits 0-3), version (4-7);
    // bytes 1-3: class bits, for a variable-length type its kind (0-3).
    if ((flags & kDatatypeShared) == 0) {
      if (type_size < 2) return;
      const unsigned char* type = data + type_at;
      if ((type[0] & 0x0F) != kVariableLengthClass || (type[1] & 0x0F) != kVariableLengthString) return;
    }
    found_.values.emplace_back(data + data_at, data + size);
  }

  std::FILE* raw_;
  const std::string& name_;
  const FileLayout& layout_;
  int version_ = 1;
  bool creation_order_ = false;
  std::uint64_t walked_ = 0;
  AttributeValues found_;
};

}  // namespace

AttributeValues FindAttributeValues(const std::string& path, std::uint64_t address, const std::string& name,
                                    const FileLayout& layout) {
  const FilePtr raw(std::fopen(path.c_str(), "rb"));
  if (!raw) return {};
  return HeaderWalk(raw.get(), name, layout).Walk(address);
}

}  // namespace nbglm::hdf5
