// Global-heap and string-reference checks (docs/reliability.md, docs/formats.md
// "HDF5 inputs"): the collections found in intact fixtures, and each damage
// the checks refuse, made by editing copies of tests/data/h5 fixtures.
#include "io/hdf5_heaps.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "h5_fixture.h"
#include "io/hdf5_file.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

using ::nbglm::testing::H5Copy;
using ::nbglm::testing::H5FixturePath;
using ::nbglm::testing::Message;

// The one global heap collection of an AnnData fixture (its strings).
std::size_t Collection(const H5Copy& copy) {
  const std::vector<std::size_t> found = copy.Find("GCOL");
  EXPECT_EQ(found.size(), 1u);
  return found.empty() ? 0 : found[0];
}

std::vector<std::string> ObsNames(const std::string& path) {
  const hdf5::File file(path);
  return hdf5::Dataset(file, "/obs/_index").ReadStrings();
}

TEST(Hdf5HeapsTest, IntactFilesListTheirCollections) {
  const H5Copy copy("x_csr.h5ad");
  const std::size_t collection = Collection(copy);
  const auto objects = copy.HeapObjects(collection);
  ASSERT_GT(objects.size(), 20u);  // names, categories, encodings
  const hdf5::File file(copy.path());
  ASSERT_TRUE(file.global_heaps().has_value());
  const hdf5::GlobalHeaps& heaps = *file.global_heaps();
  ASSERT_EQ(heaps.size(), 1u);
  EXPECT_EQ(heaps.begin()->first, collection);
  // Every object with its size, as parsed independently here.
  ASSERT_EQ(heaps.begin()->second.size(), objects.size());
  for (const auto& [index, object] : objects) EXPECT_EQ(heaps.begin()->second.at(index), object.size) << index;
  EXPECT_EQ(heaps.begin()->second.at(copy.HeapIndexOf(collection, "cell0")), 5u);
  EXPECT_EQ(heaps.begin()->second.at(copy.HeapIndexOf(collection, "categorical")), 11u);
  EXPECT_EQ(file.layout().file_size, copy.bytes().size());
  // A 10x file of fixed-length strings has no collection.
  const hdf5::File tenx(H5FixturePath("tenx_v3.h5"));
  ASSERT_TRUE(tenx.global_heaps().has_value());
  EXPECT_TRUE(tenx.global_heaps()->empty());
}

TEST(Hdf5HeapsTest, UnreadableBytesSkipTheChecks) {
  const hdf5::File file(H5FixturePath("x_csr.h5ad"));
  hdf5::FileLayout layout = file.layout();
  EXPECT_FALSE(hdf5::CheckGlobalHeaps(file.id(), "/nonexistent/x.h5ad", layout).has_value());
  // A size beyond the real file cannot be read: nothing, not an error.
  layout.file_size += 1 << 20;
  EXPECT_FALSE(hdf5::CheckGlobalHeaps(file.id(), file.path(), layout).has_value());
  // A size short of the objects' headers: they would be loaded from beyond
  // it (the headers are checked before the heaps are scanned).
  layout.file_size = 0;
  EXPECT_EQ(Message([&] { hdf5::CheckGlobalHeaps(file.id(), file.path(), layout); }),
            file.path() + ":/: object header beyond the file: the file is corrupt");
}

TEST(Hdf5HeapsTest, CollectionSizeMustLieInTheFile) {
  for (const std::uint64_t size : {std::uint64_t{1} << 20, std::uint64_t{8}}) {
    SCOPED_TRACE(size);
    H5Copy copy("x_csr.h5ad");
    const std::size_t collection = Collection(copy);
    copy.Put(collection + 8, size, 8);
    copy.Save();
    EXPECT_EQ(Message([&] { hdf5::File file(copy.path()); }),
              copy.path() + ": global heap at byte " + std::to_string(collection) + ": size " + std::to_string(size) +
                  ": beyond the file (corrupt)");
  }
}

TEST(Hdf5HeapsTest, ObjectsMustFitTheirCollection) {
  H5Copy copy("x_csr.h5ad");
  const std::size_t collection = Collection(copy);
  const std::uint64_t size = copy.Get(collection + 8, 8);
  const auto [first_index, first] = *copy.HeapObjects(collection).begin();
  const std::string where = copy.path() + ": global heap at byte " + std::to_string(collection) + ": ";
  // Larger than the whole collection.
  copy.Put(first.header + 8, size + 1, 8);
  copy.Save();
  EXPECT_EQ(Message([&] { hdf5::File file(copy.path()); }),
            where + "object of " + std::to_string(size + 1) + " bytes: larger than its collection of " +
                std::to_string(size) + " (corrupt)");
  // Smaller than the collection but running past its end.
  copy.Put(first.header + 8, size - 10, 8);
  copy.Save();
  EXPECT_EQ(Message([&] { hdf5::File file(copy.path()); }),
            where + "object " + std::to_string(first_index) + " of " + std::to_string(size - 10) +
                " bytes: does not fit its collection (corrupt)");
  // A free-space object of size 0 (the library would loop forever).
  copy.Put(first.header, 0, 2);
  copy.Put(first.header + 8, 0, 8);
  copy.Save();
  EXPECT_EQ(Message([&] { hdf5::File file(copy.path()); }),
            where + "object 0 of 0 bytes: does not fit its collection (corrupt)");
}

TEST(Hdf5HeapsTest, SignaturesInsideContiguousDataAreNotCollections) {
  // /obs/depth holds six float64s stored contiguously: write a bogus
  // collection header over them. The scan skips the dataset's bytes.
  H5Copy copy("x_csr.h5ad");
  std::string depth(48, '\0');
  for (int i = 0; i < 6; ++i) {
    const double values[] = {1.5, 0.25, 3.0, 1e-3, 2.0, 7.0};
    std::memcpy(depth.data() + 8 * i, &values[i], 8);
  }
  const std::vector<std::size_t> found = copy.Find(depth);
  ASSERT_EQ(found.size(), 1u);
  copy.bytes().replace(found[0], 4, "GCOL");
  copy.bytes()[found[0] + 4] = 1;
  copy.Put(found[0] + 8, std::uint64_t{1} << 40, 8);
  copy.Save();
  const hdf5::File skipped(copy.path());
  EXPECT_EQ(skipped.global_heaps()->size(), 1u);
  // The same header outside any dataset is checked (here over the free space
  // at the end of the real collection).
  H5Copy loose("x_csr.h5ad");
  const std::size_t collection = Collection(loose);
  const std::size_t at = collection + loose.Get(collection + 8, 8) - 64;
  loose.bytes().replace(at, 4, "GCOL");
  loose.bytes()[at + 4] = 1;
  loose.Put(at + 8, std::uint64_t{1} << 40, 8);
  loose.Save();
  EXPECT_EQ(Message([&] { hdf5::File file(loose.path()); }),
            loose.path() + ": global heap at byte " + std::to_string(at) +
                ": size 1099511627776: beyond the file (corrupt)");
  // …unless its version is not 1 (the library refuses those itself).
  loose.bytes()[at + 4] = 2;
  loose.Save();
  EXPECT_NO_THROW(hdf5::File file(loose.path()));
}

TEST(Hdf5HeapsTest, StringReferencesMustNameExistingObjects) {
  H5Copy copy("x_csr.h5ad");
  const std::size_t collection = Collection(copy);
  const std::uint32_t cell0 = copy.HeapIndexOf(collection, "cell0");
  const std::vector<std::size_t> references = copy.ReferencesTo(collection, cell0);
  ASSERT_EQ(references.size(), 1u);  // /obs/_index[0]
  const std::size_t reference = references[0];
  ASSERT_EQ(copy.Get(reference, 4), 5u);
  EXPECT_EQ(ObsNames(copy.path()), (std::vector<std::string>{"cell0", "cell1", "cell2", "cell3", "cell4", "cell5"}));
  const std::string where = copy.path() + ":/obs/_index[0]: ";
  // An index with no object.
  copy.Put(reference + 12, 999, 4);
  copy.Save();
  EXPECT_EQ(Message([&] { ObsNames(copy.path()); }),
            where + "heap object 999 at byte " + std::to_string(collection) + ": no such object in the file (corrupt)");
  // An address with no collection.
  copy.Put(reference + 12, cell0, 4);
  copy.Put(reference + 4, collection + 16, 8);
  copy.Save();
  EXPECT_EQ(Message([&] { ObsNames(copy.path()); }),
            where + "heap object " + std::to_string(cell0) + " at byte " + std::to_string(collection + 16) +
                ": no such object in the file (corrupt)");
  // A length longer than the object.
  copy.Put(reference + 4, collection, 8);
  copy.Put(reference, 6, 4);
  copy.Save();
  EXPECT_EQ(Message([&] { ObsNames(copy.path()); }),
            where + "heap object " + std::to_string(cell0) + " at byte " + std::to_string(collection) +
                ": shorter than the string (corrupt)");
  // Lengths adding up to more than the file (a 4 GiB allocation otherwise).
  copy.Put(reference, 0xFFFFFFFF, 4);
  copy.Save();
  EXPECT_EQ(Message([&] { ObsNames(copy.path()); }),
            where + "strings of 4294967295 bytes: more than the file's " + std::to_string(copy.bytes().size()) +
                " bytes (corrupt)");
  // Restored, the file reads again.
  copy.Put(reference, 5, 4);
  copy.Save();
  EXPECT_EQ(ObsNames(copy.path()).front(), "cell0");
}

TEST(Hdf5HeapsTest, ReferencesToAnUncheckedCollectionAreRefused) {
  // A collection of another version is left to the library, so no string
  // may point into it.
  H5Copy copy("x_csr.h5ad");
  const std::size_t collection = Collection(copy);
  copy.bytes()[collection + 4] = 2;
  copy.Save();
  const hdf5::File file(copy.path());
  EXPECT_TRUE(file.global_heaps()->empty());
  EXPECT_NE(Message([&] { hdf5::Dataset(file, "/obs/_index").ReadStrings(); })
                .find(":/obs/_index[0]: heap object "),
            std::string::npos);
}

}  // namespace
}  // namespace nbglm
