#include "io/hdf5_object_header.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <memory>
#include <set>

namespace nbglm::hdf5 {
namespace {

// Message types (HDF5 File Format Specification, "IV.A.2 Header Messages").
constexpr std::uint64_t kDatatypeMessage = 0x0003;
constexpr std::uint64_t kOldFillValueMessage = 0x0004;
constexpr std::uint64_t kFillValueMessage = 0x0005;
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

// The parts of an attribute message: version, flags (reserved in version
// 1), 2-byte sizes of its name (with the terminating NUL), datatype and
// dataspace, in version 3 a 1-byte name character set, then the name,
// datatype, dataspace and data. Version 1 pads the first three to 8 bytes.
struct AttributeParts {
  unsigned flags = 0;
  std::size_t name_at = 0, name_size = 0, type_at = 0, space_at = 0, data_at = 0;
};

std::optional<AttributeParts> ParseAttribute(const unsigned char* data, std::size_t size) {
  if (size < 8) return std::nullopt;
  const unsigned version = data[0];
  if (version < 1 || version > 3) return std::nullopt;
  AttributeParts parts;
  parts.flags = version == 1 ? 0 : data[1];
  std::uint64_t name_size = Decode(data + 2, 2);
  std::uint64_t type_size = Decode(data + 4, 2);
  std::uint64_t space_size = Decode(data + 6, 2);
  if (version == 1) {
    name_size = AlignedTo8(name_size);
    type_size = AlignedTo8(type_size);
    space_size = AlignedTo8(space_size);
  }
  parts.name_at = version == 3 ? 9 : 8;
  parts.name_size = static_cast<std::size_t>(name_size);
  parts.type_at = parts.name_at + parts.name_size;
  parts.space_at = parts.type_at + static_cast<std::size_t>(type_size);
  parts.data_at = parts.space_at + static_cast<std::size_t>(space_size);
  if (parts.data_at > size) return std::nullopt;
  return parts;
}

// Called with every message of a header not kept in the shared-message
// table: its type, data and size.
using MessageVisitor = std::function<void(std::uint64_t type, const unsigned char* data, std::size_t size)>;

class HeaderWalk {
 public:
  HeaderWalk(std::FILE* raw, const std::string& name, const FileLayout& layout, MessageVisitor visit = nullptr)
      : raw_(raw), name_(name), layout_(layout), visit_(std::move(visit)) {}

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

  // What of the header the walk found beyond the file ("" when nothing): a
  // header loaded from there would make libhdf5 allocate what its corrupt
  // sizes declare (the fuzzer found 4.1 GB for a header address beyond it).
  const std::string& outside() const { return outside_; }

 private:
  // The header prefix: its version, the flags that shape its messages, and
  // its first block of messages.
  bool Prefix(std::uint64_t address, std::deque<Block>* blocks) {
    std::vector<unsigned char> head;
    if (address >= layout_.file_size ||
        !ReadAt(raw_, address, std::min<std::uint64_t>(16, layout_.file_size - address), layout_.file_size, &head) ||
        head.size() < 8) {
      outside_ = "object header beyond the file";
      return false;
    }
    if (head[0] == 1) {
      if (head.size() < 16) {
        outside_ = "object header beyond the file";
        return false;
      }
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
    if (!ReadAt(raw_, address + at, width, layout_.file_size, &field)) {
      outside_ = "object header beyond the file";
      return false;
    }
    const std::uint64_t size = Decode(field.data(), width);
    at += width;
    if (size > layout_.file_size) {
      outside_ = "object header block beyond the file";
      return false;
    }
    blocks->push_back({address + at, address + at + size});
    return true;
  }

  // Walks the messages of one block; false when they cannot be followed.
  bool Messages(const Block& block, std::deque<Block>* blocks) {
    std::vector<unsigned char> bytes;
    if (block.end < block.begin || !ReadAt(raw_, block.begin, block.end - block.begin, layout_.file_size, &bytes)) {
      outside_ = "object header block beyond the file";
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
        if (visit_) visit_(type, data, static_cast<std::size_t>(size));
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
  bool Continuation(const unsigned char* data, std::size_t size, std::deque<Block>* blocks) {
    const std::size_t need = layout_.sizeof_addr + layout_.sizeof_size;
    if (size < need) return false;
    const std::uint64_t address = Decode(data, layout_.sizeof_addr);
    const std::uint64_t length = Decode(data + layout_.sizeof_addr, layout_.sizeof_size);
    if (address > layout_.file_size || length > layout_.file_size - address) {
      outside_ = "continuation block beyond the file";
      return false;
    }
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

  // An attribute message named as asked (AttributeParts).
  void Attribute(const unsigned char* data, std::size_t size) {
    const std::optional<AttributeParts> parts = ParseAttribute(data, size);
    if (!parts) return;
    const std::size_t name_at = parts->name_at, name_size = parts->name_size, type_at = parts->type_at;
    const std::size_t type_size = parts->space_at - type_at, data_at = parts->data_at;
    const unsigned flags = parts->flags;
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
  const std::string name_;
  const FileLayout& layout_;
  MessageVisitor visit_;
  std::string outside_;  // what of the header lies beyond the file
  int version_ = 1;
  bool creation_order_ = false;
  std::uint64_t walked_ = 0;
  AttributeValues found_;
};


// The bytes the datatype at `p` occupies as libhdf5 decodes it
// (H5O_dtype_decode_helper), or 0 when that runs past `size` bytes: the
// library copies an enum's values, member names and opaque tags without
// looking at the message's end. Byte 0 is the class (bits 0-3) and version
// (4-7), bytes 1-3 class bits, bytes 4-7 the size of one element; the
// properties of the class follow.
std::size_t DatatypeBytes(const unsigned char* p, std::size_t size, int depth) {
  if (depth > 16 || size < 8) return 0;
  const unsigned type_class = p[0] & 0x0F;
  const unsigned version = p[0] >> 4;
  const std::uint64_t bits = Decode(p + 1, 3);
  const std::uint64_t element = Decode(p + 4, 4);
  std::size_t at = 8;
  const auto take = [&](std::uint64_t n) {
    if (n > size - at) return false;
    at += static_cast<std::size_t>(n);
    return true;
  };
  // A NUL-terminated name, padded to 8 bytes before version 3.
  const auto name = [&] {
    const std::size_t length = strnlen(reinterpret_cast<const char*>(p + at), size - at);
    return length < size - at && take(version < 3 ? AlignedTo8(length + 1) : length + 1);
  };
  const auto base = [&] {
    const std::size_t used = DatatypeBytes(p + at, size - at, depth + 1);
    return used > 0 && take(used);
  };
  switch (type_class) {
    case 0:  // fixed-point, bitfield: bit offset, precision
    case 4:
      return take(4) ? at : 0;
    case 1:  // floating-point: offset, precision, exponent and mantissa fields, bias
      return take(12) ? at : 0;
    case 2:  // time: precision
      return take(2) ? at : 0;
    case 3:  // string, reference: none
    case 7:
      return at;
    case 5:  // opaque: an ASCII tag of class bits 0-7 bytes
      return take(bits & 0xFF) ? at : 0;
    case 6: {  // compound: each member's name, offset (and in version 1 its dimensions), type
      std::size_t offset_bytes = 1;
      for (std::uint64_t v = element >> 8; v > 0; v >>= 8) ++offset_bytes;
      for (std::uint64_t i = 0; i < (bits & 0xFFFF); ++i) {
        if (!name() || !take(version < 3 ? 4 : offset_bytes) || (version == 1 && !take(28)) || !base()) return 0;
      }
      return at;
    }
    case 8: {  // enum: base type, member names, then each member's value
      const std::size_t base_at = at;
      if (!base()) return 0;
      const std::uint64_t value = Decode(p + base_at + 4, 4);
      const std::uint64_t members = bits & 0xFFFF;
      for (std::uint64_t i = 0; i < members; ++i) {
        if (!name()) return 0;
      }
      if (value > 0 && members > (size - at) / value) return 0;
      return take(members * value) ? at : 0;
    }
    case 9:  // variable-length: base type
      return base() ? at : 0;
    case 10: {  // array: rank, (reserved), dimensions, (permutations), base type
      if (size - at < 1) return 0;
      const std::uint64_t rank = p[at];
      if (!take(version < 3 ? 4 : 1) || !take(rank * 4) || (version < 3 && !take(rank * 4))) return 0;
      return base() ? at : 0;
    }
    default:
      return 0;
  }
}

// The number of elements of the dataspace message at `p`, or nothing when it
// runs past `size`. Version 1: version, rank, flags, 5 reserved bytes; 2:
// version, rank, flags, type (2: null, no elements). Then the dimensions.
std::optional<std::uint64_t> DataspaceElements(const unsigned char* p, std::size_t size, std::size_t sizeof_size) {
  if (size < 4 || p[0] < 1 || p[0] > 2) return std::nullopt;
  const std::size_t dims_at = p[0] == 1 ? 8 : 4;
  const std::size_t rank = p[1];
  if (dims_at + rank * sizeof_size > size) return std::nullopt;
  if (p[0] == 2 && p[3] == 2) return 0;
  std::uint64_t elements = 1;
  for (std::size_t i = 0; i < rank; ++i) {
    const std::uint64_t dim = Decode(p + dims_at + i * sizeof_size, sizeof_size);
    if (dim != 0 && elements > UINT64_MAX / dim) return std::nullopt;
    elements *= dim;
  }
  return elements;
}

// What of a message libhdf5 would copy from beyond it, or "" when nothing.
std::string OverrunOf(std::uint64_t type, const unsigned char* data, std::size_t size, std::size_t sizeof_size) {
  const std::string beyond = " beyond its " + std::to_string(size) + "-byte message";
  if (type == kDatatypeMessage) return DatatypeBytes(data, size, 0) > 0 ? "" : "datatype" + beyond;
  if (type == kOldFillValueMessage || type == kFillValueMessage) {
    // Old: a 4-byte size and the value. New, versions 1-2: allocation time,
    // write time, "defined" byte, then (when defined) size and value; version
    // 3: flags (bit 5: a value follows), then size and value.
    std::size_t at = 0;
    if (type == kFillValueMessage) {
      if (size < 1) return "fill value" + beyond;
      const bool value = data[0] < 3 ? size >= 4 && data[3] != 0 : size >= 2 && (data[1] & 0x20) != 0;
      if (!value) return "";
      at = data[0] < 3 ? 4 : 2;
    }
    if (at + 4 > size) return "fill value" + beyond;
    // The new message's size is decoded signed: none is copied for a
    // negative one (the library's "undefined").
    const std::uint64_t value = Decode(data + at, 4);
    if (type == kFillValueMessage && value >= 0x80000000u) return "";
    return value > size - at - 4 ? "fill value" + beyond : "";
  }
  if (type != kAttributeMessage) return "";
  // The library copies an attribute's data, elements x element size, from
  // after its dataspace.
  const std::optional<AttributeParts> parts = ParseAttribute(data, size);
  if (!parts) return "attribute" + beyond;
  if (parts->flags & kDatatypeShared) return "";
  const std::size_t type_bytes = DatatypeBytes(data + parts->type_at, size - parts->type_at, 0);
  if (type_bytes == 0) return "attribute datatype" + beyond;
  if (parts->flags & 0x02) return "";  // a shared dataspace
  const std::optional<std::uint64_t> elements =
      DataspaceElements(data + parts->space_at, size - parts->space_at, sizeof_size);
  if (!elements) return "attribute dataspace" + beyond;
  const std::uint64_t element = Decode(data + parts->type_at + 4, 4);
  const std::uint64_t room = size - parts->data_at;
  if (element > 0 && *elements > room / element) return "attribute value" + beyond;
  return "";
}

}  // namespace

AttributeValues FindAttributeValues(const std::string& path, std::uint64_t address, const std::string& name,
                                    const FileLayout& layout) {
  const FilePtr raw(std::fopen(path.c_str(), "rb"));
  if (!raw) return {};
  return HeaderWalk(raw.get(), name, layout).Walk(address);
}

std::string CheckHeaderMessages(const std::string& path, std::uint64_t address, const FileLayout& layout) {
  const FilePtr raw(std::fopen(path.c_str(), "rb"));
  if (!raw) return "";
  std::string problem;
  HeaderWalk walk(raw.get(), "", layout, [&](std::uint64_t type, const unsigned char* data, std::size_t size) {
    if (problem.empty()) problem = OverrunOf(type, data, size, layout.sizeof_size);
  });
  walk.Walk(address);
  return problem.empty() ? walk.outside() : problem;
}

}  // namespace nbglm::hdf5
