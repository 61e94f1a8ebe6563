// Finding attribute values in object headers (io/hdf5_object_header.h) and
// the check of their string references before H5Aread (io/hdf5_file.cc):
// every variable-length string attribute of the h5py and anndata fixtures
// (tests/data/h5/make_attribute_headers.py, make_h5.py) is found and its
// references lead, through the heap bytes parsed here independently, to the
// strings the library reads; dense storage is reported, not read; damaged
// references are refused with one line.
#include "io/hdf5_object_header.h"

#include <hdf5.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "h5_fixture.h"
#include "io/hdf5_file.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

using ::nbglm::testing::H5Copy;
using ::nbglm::testing::Message;

constexpr std::size_t kReference = 16;  // 4-byte length, 8-byte address, 4-byte index

H5O_info_t Info(const hdf5::File& file, const std::string& object) {
  H5O_info_t info;
  EXPECT_GE(H5Oget_info_by_name2(file.id(), object.c_str(), &info, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS | H5O_INFO_HDR, H5P_DEFAULT), 0);
  return info;
}

hdf5::AttributeValues Find(const hdf5::File& file, const std::string& object, const std::string& attribute) {
  return hdf5::FindAttributeValues(file.path(), Info(file, object).addr, attribute, file.layout());
}

// The strings `count` references of `value` name, read from the heap bytes.
std::vector<std::string> Dereference(const H5Copy& copy, const std::vector<unsigned char>& value, std::size_t count) {
  std::vector<std::string> out;
  EXPECT_GE(value.size(), count * kReference);
  for (std::size_t i = 0; i < count && (i + 1) * kReference <= value.size(); ++i) {
    const unsigned char* r = value.data() + i * kReference;
    const std::uint64_t length = hdf5::Decode(r, 4);
    if (length == 0) {
      out.emplace_back();
      continue;
    }
    const auto objects = copy.HeapObjects(static_cast<std::size_t>(hdf5::Decode(r + 4, 8)));
    const auto object = objects.find(static_cast<std::uint32_t>(hdf5::Decode(r + 12, 4)));
    out.push_back(object == objects.end() ? "<no object>" : copy.bytes().substr(object->second.data, length));
  }
  return out;
}

// Every attribute of every object of a file: (object, attribute, whether a
// variable-length string).
struct AttributeName {
  std::string object, attribute;
  bool variable_string;
};

std::vector<AttributeName> AllAttributes(const hdf5::File& file) {
  std::vector<AttributeName> names;
  const auto on_object = [](hid_t root, const char* object, const H5O_info_t*, void* out) -> herr_t {
    const auto on_attribute = [](hid_t location, const char* attribute, const H5A_info_t*, void* data) -> herr_t {
      auto* found = static_cast<std::pair<std::string, std::vector<AttributeName>*>*>(data);
      const hid_t a = H5Aopen(location, attribute, H5P_DEFAULT);
      const hid_t type = H5Aget_type(a);
      found->second->push_back({found->first, attribute, H5Tis_variable_str(type) > 0});
      H5Tclose(type);
      H5Aclose(a);
      return 0;
    };
    std::pair<std::string, std::vector<AttributeName>*> data{std::string("/") + (std::string(object) == "." ? "" : object),
                                                             static_cast<std::vector<AttributeName>*>(out)};
    const hid_t o = H5Oopen(root, object, H5P_DEFAULT);
    H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, nullptr, on_attribute, &data);
    H5Oclose(o);
    return 0;
  };
  H5Ovisit2(file.id(), H5_INDEX_NAME, H5_ITER_INC, on_object, &names, H5O_INFO_BASIC);
  return names;
}

// Every variable-length string attribute outside dense storage is found
// once, and its references name the strings the library reads; no other
// attribute is found. Returns how many were found.
int ExpectEveryStringAttributeFound(const std::string& fixture) {
  const H5Copy copy(fixture);
  const hdf5::File file(copy.path());
  int found_strings = 0;
  for (const AttributeName& a : AllAttributes(file)) {
    SCOPED_TRACE(fixture + ":" + a.object + " attribute " + a.attribute);
    const hdf5::AttributeValues found = Find(file, a.object, a.attribute);
    if (found.dense) {
      EXPECT_TRUE(found.values.empty());
      continue;
    }
    if (!a.variable_string) {
      EXPECT_TRUE(found.values.empty());
      continue;
    }
    EXPECT_EQ(found.values.size(), 1u);
    if (found.values.empty()) continue;
    const std::vector<std::string> read = file.StringArrayAttribute(a.object, a.attribute);
    EXPECT_EQ(Dereference(copy, found.values[0], read.size()), read);
    ++found_strings;
  }
  return found_strings;
}

TEST(Hdf5ObjectHeaderTest, AnnDataFilesHaveEveryStringAttributeFound) {
  // anndata writes with h5py's default libver: version 1 headers.
  for (const char* fixture : {"x_csr.h5ad", "x_csc.h5ad", "x_dense.h5ad", "layer.h5ad"}) {
    EXPECT_GE(ExpectEveryStringAttributeFound(fixture), 10) << fixture;
  }
  const hdf5::File file(testing::H5FixturePath("x_csr.h5ad"));
  EXPECT_EQ(Info(file, "/var").hdr.version, 1u);
  EXPECT_EQ(file.StringAttribute("/var", "_index"), "_index");
  EXPECT_EQ(file.StringArrayAttribute("/obs", "column-order"),
            (std::vector<std::string>{"condition", "donor", "depth", "n", "flag"}));
}

TEST(Hdf5ObjectHeaderTest, Version1HeadersAreFollowedThroughContinuationBlocks) {
  // /many: 20 string attributes of 40, most in continuation blocks.
  EXPECT_EQ(ExpectEveryStringAttributeFound("attrs_v1.h5"), 2 + 20 + 1);
  const hdf5::File file(testing::H5FixturePath("attrs_v1.h5"));
  const H5O_info_t many = Info(file, "/many");
  EXPECT_EQ(many.hdr.version, 1u);
  EXPECT_GT(many.hdr.nchunks, 1u);
  EXPECT_EQ(many.num_attrs, 40u);
  EXPECT_EQ(file.StringAttribute("/many", "a36"), "value 36");
  EXPECT_EQ(file.StringArrayAttribute("/many", "a37"), (std::vector<std::string>{"x37", "", "z37z37z37"}));
  EXPECT_EQ(file.StringAttribute("/many", "a38"), "fixed38");
  EXPECT_FALSE(Find(file, "/many", "a3").dense);
  EXPECT_TRUE(Find(file, "/many", "a3").values.empty());  // an integer attribute
  EXPECT_TRUE(Find(file, "/many", "a99").values.empty());  // no such attribute
}

TEST(Hdf5ObjectHeaderTest, Version2HeadersAreFoundAndDenseStorageIsReported) {
  // /compact (2 string attributes), /ordered (4, creation order tracked),
  // /values (1); /many's 12 attributes are in dense storage.
  EXPECT_EQ(ExpectEveryStringAttributeFound("attrs_v2.h5"), 2 + 4 + 1);
  const hdf5::File file(testing::H5FixturePath("attrs_v2.h5"));
  for (const char* object : {"/compact", "/ordered", "/many", "/values"}) EXPECT_EQ(Info(file, object).hdr.version, 2u);
  EXPECT_EQ(Info(file, "/many").num_attrs, 12u);
  for (int i = 0; i < 12; ++i) {
    const hdf5::AttributeValues dense = Find(file, "/many", "a" + std::string(i < 10 ? "0" : "") + std::to_string(i));
    EXPECT_TRUE(dense.dense) << i;
    EXPECT_TRUE(dense.values.empty()) << i;
  }
  EXPECT_FALSE(Find(file, "/compact", "a00").dense);
  // Dense attributes are read unchecked, as before.
  EXPECT_EQ(file.StringAttribute("/many", "a08"), "value 8");
  EXPECT_EQ(file.StringArrayAttribute("/many", "a09"), (std::vector<std::string>{"x9", "", "z9z9z9"}));
  EXPECT_EQ(file.StringArrayAttribute("/ordered", "a05"), (std::vector<std::string>{"x5", "", "z5z5z5"}));
}

TEST(Hdf5ObjectHeaderTest, UnreadableHeadersFindNothing) {
  const hdf5::File file(testing::H5FixturePath("x_csr.h5ad"));
  const std::uint64_t address = Info(file, "/var").addr;
  EXPECT_TRUE(hdf5::FindAttributeValues("/nonexistent/x.h5ad", address, "_index", file.layout()).values.empty());
  EXPECT_TRUE(hdf5::FindAttributeValues(file.path(), file.layout().file_size, "_index", file.layout()).values.empty());
  EXPECT_TRUE(hdf5::FindAttributeValues(file.path(), 0, "_index", file.layout()).values.empty());  // the superblock
}

TEST(Hdf5ObjectHeaderTest, ValuesTooShortForTheirStringsAreRefused) {
  // What a found value must hold: one 16-byte reference per string the
  // attribute's dataspace declares (the library would read past its message).
  hdf5::FileLayout layout;
  layout.file_size = 1000;
  const std::vector<unsigned char> one_empty_string(kReference, 0);
  EXPECT_EQ(Message([&] { hdf5::CheckReferences(one_empty_string, 1, "f.h5:/g attribute 'a'", layout, {}); }),
            "no InputError");
  EXPECT_EQ(Message([&] { hdf5::CheckReferences(one_empty_string, 2, "f.h5:/g attribute 'a'", layout, {}); }),
            "f.h5:/g attribute 'a': 2 strings in 16 bytes: each needs a 16-byte reference (corrupt)");
}

// Opening a copy of x_csr.h5ad after `edit` on its bytes: the message.
std::string OpenAfter(const std::function<void(H5Copy&)>& edit) {
  H5Copy copy("x_csr.h5ad", "damaged.h5ad");
  edit(copy);
  copy.Save();
  const std::string message = Message([&] { hdf5::File file(copy.path()); });
  const std::string prefix = copy.path() + ":";
  return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
}

TEST(Hdf5ObjectHeaderTest, MessagesTheLibraryWouldReadBeyondAreRefusedOnOpen) {
  EXPECT_EQ(OpenAfter([](H5Copy&) {}), "no InputError");
  // The boolean enum of /obs/flag's datatype message (v1 message header:
  // type 3, 40 bytes): 2 members of a 1-byte base type. Its base declaring
  // 6 MB made H5Dopen2 copy 12 MB from a 320-byte header (the fuzzer's
  // tests/data/bad/h5_enum_base_size.h5ad).
  EXPECT_EQ(OpenAfter([](H5Copy& copy) {
              const std::string message("\x03\x00\x28\x00\x01\x00\x00\x00\x18\x02\x00\x00\x01\x00\x00\x00", 16);
              const std::vector<std::size_t> at = copy.Find(message);
              ASSERT_EQ(at.size(), 1u);
              copy.Put(at[0] + 20, 0x5D0001, 4);
            }),
            "/obs/flag: datatype beyond its 40-byte message: the file is corrupt");
  // The value of attribute column-order of /obs: 5 strings; a dataspace of
  // 500 would make the library copy 8000 bytes.
  EXPECT_EQ(OpenAfter([](H5Copy& copy) {
              const std::vector<std::size_t> at = copy.Find(std::string("column-order\0\0\0\0\x19", 17));
              ASSERT_EQ(at.size(), 1u);
              const std::size_t dimension = at[0] + 16 + 24 + 8;  // name, datatype, dataspace prefix (v1)
              ASSERT_EQ(copy.Get(dimension, 8), 5u);
              copy.Put(dimension, 500, 8);
            }),
            "/obs: attribute value beyond its 152-byte message: the file is corrupt");
  // A fill value (message type 5, version 2, defined) of 1000 bytes in 8.
  // The object header address of /obs/flag (its symbol-table entry)
  // beyond the end of the file: libhdf5 would allocate what it reads there
  // as sizes (4.1 GB in the fuzzer's tests/data/bad/h5_object_header_beyond_file.h5ad).
  EXPECT_EQ(OpenAfter([](H5Copy& copy) {
              std::uint64_t address = 0;
              {
                const hdf5::File file(copy.path());
                address = Info(file, "/obs/flag").addr;
              }
              std::string bytes(8, '\0');
              for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((address >> (8 * i)) & 0xFF);
              const std::vector<std::size_t> at = copy.Find(bytes);
              ASSERT_FALSE(at.empty());
              for (const std::size_t entry : at) copy.Put(entry, 0xF50000C0, 8);
            }),
            "/obs/flag: object header beyond the file: the file is corrupt");
  const std::string fill = OpenAfter([](H5Copy& copy) {
    const std::vector<std::size_t> at = copy.Find(std::string("\x05\x00\x08\x00\x01\x00\x00\x00\x02\x02\x02\x01", 12));
    ASSERT_FALSE(at.empty());
    for (const std::size_t message : at) copy.Put(message + 12, 1000, 4);
  });
  EXPECT_NE(fill.find(": fill value beyond its 8-byte message: the file is corrupt"), std::string::npos) << fill;
}

// A copy of x_csr.h5ad with the `index`th reference of attribute
// `attribute` of `object` located by its bytes (each names its own heap
// object, so the 16 bytes occur once).
struct DamagedAttribute {
  DamagedAttribute(const std::string& object, const std::string& attribute, std::size_t index)
      : copy("x_csr.h5ad", "damaged.h5ad") {
    const hdf5::File file(copy.path());
    const hdf5::AttributeValues found = Find(file, object, attribute);
    EXPECT_EQ(found.values.size(), 1u);
    if (found.values.empty()) return;
    const std::vector<unsigned char>& value = found.values[0];
    const std::string reference(value.begin() + index * kReference, value.begin() + (index + 1) * kReference);
    const std::vector<std::size_t> at = copy.Find(reference);
    EXPECT_EQ(at.size(), 1u);
    if (!at.empty()) offset = at[0];
  }
  H5Copy copy;
  std::size_t offset = 0;
};

TEST(Hdf5ObjectHeaderTest, ImpossibleLengthsAreRefusedBeforeTheLibraryAllocates) {
  DamagedAttribute damaged("/var", "_index", 0);
  ASSERT_GT(damaged.offset, 0u);
  damaged.copy.Put(damaged.offset, 0xFFFFFFFFu, 4);  // 4 GiB, as the fuzzer found
  damaged.copy.Save();
  const hdf5::File file(damaged.copy.path());
  EXPECT_EQ(Message([&] { file.StringAttribute("/var", "_index"); }),
            damaged.copy.path() + ":/var attribute '_index'[0]: strings of 4294967295 bytes: more than the file's " +
                std::to_string(damaged.copy.bytes().size()) + " bytes (corrupt)");
}

TEST(Hdf5ObjectHeaderTest, ReferencesToMissingOrShorterObjectsAreRefused) {
  {
    DamagedAttribute damaged("/obs", "column-order", 2);
    ASSERT_GT(damaged.offset, 0u);
    const std::uint64_t collection = damaged.copy.Get(damaged.offset + 4, 8);
    damaged.copy.Put(damaged.offset + 12, 0xABCDEF, 4);
    damaged.copy.Save();
    const hdf5::File file(damaged.copy.path());
    EXPECT_EQ(Message([&] { file.StringArrayAttribute("/obs", "column-order"); }),
              damaged.copy.path() + ":/obs attribute 'column-order'[2]: heap object 11259375 at byte " +
                  std::to_string(collection) + ": no such object in the file (corrupt)");
  }
  {
    DamagedAttribute damaged("/obs", "column-order", 1);
    ASSERT_GT(damaged.offset, 0u);
    damaged.copy.Put(damaged.offset, 6, 4);  // "donor" is 5 bytes
    damaged.copy.Save();
    const hdf5::File file(damaged.copy.path());
    const std::string message = Message([&] { file.StringArrayAttribute("/obs", "column-order"); });
    EXPECT_NE(message.find(":/obs attribute 'column-order'[1]: heap object "), std::string::npos) << message;
    EXPECT_NE(message.find(": shorter than the string (corrupt)"), std::string::npos) << message;
  }
  // An intact copy reads as the fixture does.
  const H5Copy intact("x_csr.h5ad");
  EXPECT_EQ(hdf5::File(intact.path()).StringAttribute("/var", "_index"), "_index");
}

}  // namespace
}  // namespace nbglm
