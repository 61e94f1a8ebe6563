// The read-only HDF5 view (docs/formats.md "HDF5 inputs") on the fixtures of
// tests/data/h5 (make_h5.py): objects, attributes of every kind, 1-D / 2-D
// numeric and string reads, and each refusal's message.
#include "io/hdf5_file.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "h5_fixture.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

using ::nbglm::testing::H5Copy;
using ::nbglm::testing::H5FixturePath;
using ::nbglm::testing::Message;

const std::string kCsr = H5FixturePath("x_csr.h5ad");
const std::string kDense = H5FixturePath("x_dense.h5ad");
const std::string kTenX = H5FixturePath("tenx_v3.h5");

// counts.tsv (the same counts as text) as observations × features, and its
// non-zeros in CSR order (observation by observation) — what X/data holds.
std::vector<std::vector<double>> ObservationRows() {
  const CountMatrix counts = ReadCounts(H5FixturePath("counts.tsv"));
  std::vector<std::vector<double>> rows(static_cast<std::size_t>(counts.num_observations()),
                                        std::vector<double>(static_cast<std::size_t>(counts.num_features())));
  std::vector<double> feature(static_cast<std::size_t>(counts.num_observations()));
  for (Index f = 0; f < counts.num_features(); ++f) {
    counts.CopyFeature(f, feature.data());
    for (std::size_t i = 0; i < feature.size(); ++i) rows[i][static_cast<std::size_t>(f)] = feature[i];
  }
  return rows;
}

std::vector<double> CsrValues() {
  std::vector<double> values;
  for (const auto& row : ObservationRows()) {
    for (const double v : row) {
      if (v != 0) values.push_back(v);
    }
  }
  return values;
}

TEST(Hdf5FileTest, OpensAndRefusesWhatIsNotAnIntactHdf5File) {
  const hdf5::File file(kCsr);
  EXPECT_EQ(file.path(), kCsr);
  EXPECT_GE(file.id(), 0);
  EXPECT_EQ(file.layout().sizeof_addr, 8u);
  EXPECT_EQ(file.layout().sizeof_size, 8u);
  EXPECT_EQ(file.Where("/obs"), kCsr + ":/obs");
  // Cut after the superblock: the signature is there, the rest is not.
  H5Copy cut("x_csr.h5ad");
  cut.bytes().resize(4096);
  cut.Save();
  EXPECT_EQ(Message([&] { hdf5::File f(cut.path()); }), cut.path() + ": cannot open: the HDF5 file is truncated or corrupt");
  H5Copy text("counts.tsv", "counts.h5ad");
  EXPECT_EQ(Message([&] { hdf5::File f(text.path()); }),
            text.path() + ": not an HDF5 file: .h5ad / .h5 inputs are HDF5 files (AnnData or 10x Cell Ranger)");
  // Opening the same path twice at once is fine (each closes only its own).
  const hdf5::File again(kCsr);
  EXPECT_TRUE(again.IsGroup("/obs"));
}

TEST(Hdf5FileTest, GroupsDatasetsAndMembers) {
  const hdf5::File file(kCsr);
  EXPECT_TRUE(file.IsGroup("/"));
  EXPECT_TRUE(file.IsGroup("/obs"));
  EXPECT_TRUE(file.IsGroup("/obs/"));
  EXPECT_TRUE(file.IsGroup("/obs/condition"));
  EXPECT_FALSE(file.IsDataset("/obs"));
  EXPECT_TRUE(file.IsDataset("/obs/_index"));
  EXPECT_TRUE(file.IsDataset("/X/data"));
  EXPECT_FALSE(file.IsGroup("/X/data"));
  // Missing objects, also below a missing group: false, not an error.
  EXPECT_FALSE(file.IsGroup("/nope"));
  EXPECT_FALSE(file.IsDataset("/nope/deeper/still"));
  EXPECT_FALSE(file.IsDataset("/obs/nope"));
  // Nothing lies below a dataset: false, not "corrupt".
  EXPECT_FALSE(file.IsDataset("/X/data/below"));
  EXPECT_FALSE(file.IsGroup("/obs/_index/x/y"));
  EXPECT_FALSE(file.HasAttribute("/X/data/below", "encoding-type"));
  EXPECT_EQ(file.Members("/obs"), (std::vector<std::string>{"_index", "condition", "depth", "donor", "flag", "n"}));
  EXPECT_EQ(file.Members("/obs/condition"), (std::vector<std::string>{"categories", "codes"}));
  EXPECT_TRUE(file.Members("/obsm").empty());
  EXPECT_EQ(file.Members("/"), (std::vector<std::string>{"X", "layers", "obs", "obsm", "obsp", "uns", "var", "varm",
                                                          "varp"}));
  EXPECT_EQ(Message([&] { file.Members("/nope"); }), kCsr + ":/nope: no such group: the file lacks it");
  EXPECT_EQ(Message([&] { file.Members("/obs/_index"); }), kCsr + ":/obs/_index: no such group: the file lacks it");
}

TEST(Hdf5FileTest, StringAttributes) {
  const hdf5::File file(kCsr);
  EXPECT_TRUE(file.HasAttribute("/obs", "_index"));
  EXPECT_FALSE(file.HasAttribute("/obs", "nope"));
  EXPECT_FALSE(file.HasAttribute("/nope", "_index"));
  EXPECT_EQ(file.StringAttribute("/", "encoding-type"), "anndata");
  EXPECT_EQ(file.StringAttribute("/X", "encoding-type"), "csr_matrix");
  EXPECT_EQ(file.StringAttribute("/obs", "_index"), "_index");
  EXPECT_EQ(file.StringArrayAttribute("/obs", "encoding-type"), (std::vector<std::string>{"dataframe"}));
  EXPECT_EQ(file.StringArrayAttribute("/obs", "column-order"),
            (std::vector<std::string>{"condition", "donor", "depth", "n", "flag"}));
  // h5py writes an empty list as an empty float array: no strings.
  EXPECT_TRUE(file.StringArrayAttribute("/var", "column-order").empty());
  const std::string obs = kCsr + ":/obs attribute ";
  EXPECT_EQ(Message([&] { file.StringAttribute("/obs", "column-order"); }),
            obs + "'column-order': 5 strings: expected one");
  EXPECT_EQ(Message([&] { file.StringAttribute("/var", "column-order"); }),
            kCsr + ":/var attribute 'column-order': 0 strings: expected one");
  EXPECT_EQ(Message([&] { file.StringAttribute("/obs", "nope"); }), obs + "'nope': missing: the file lacks it");
  EXPECT_EQ(Message([&] { file.StringAttribute("/nope", "x"); }), kCsr + ":/nope attribute 'x': missing: the file lacks it");
  EXPECT_EQ(Message([&] { file.StringArrayAttribute("/X", "shape"); }),
            kCsr + ":/X attribute 'shape': integer: expected strings");
  EXPECT_EQ(Message([&] { file.StringAttribute("/obs/condition", "ordered"); }),
            kCsr + ":/obs/condition attribute 'ordered': boolean: expected strings");
}

TEST(Hdf5FileTest, IntegerAndBooleanAttributes) {
  const hdf5::File file(kCsr);
  EXPECT_EQ(file.IntegerArrayAttribute("/X", "shape"), (std::vector<std::int64_t>{6, 7}));
  EXPECT_FALSE(file.BooleanAttribute("/obs/condition", "ordered"));
  EXPECT_FALSE(file.BooleanAttribute("/obs/donor", "ordered"));
  EXPECT_EQ(Message([&] { file.IntegerArrayAttribute("/X", "encoding-type"); }),
            kCsr + ":/X attribute 'encoding-type': string: expected integers");
  EXPECT_EQ(Message([&] { file.IntegerArrayAttribute("/obs/donor", "ordered"); }),
            kCsr + ":/obs/donor attribute 'ordered': boolean: expected integers");
  EXPECT_EQ(Message([&] { file.BooleanAttribute("/X", "shape"); }),
            kCsr + ":/X attribute 'shape': integer: expected one boolean");
  EXPECT_EQ(Message([&] { file.BooleanAttribute("/X", "encoding-type"); }),
            kCsr + ":/X attribute 'encoding-type': string: expected one boolean");
  EXPECT_EQ(Message([&] { file.IntegerArrayAttribute("/X", "nope"); }),
            kCsr + ":/X attribute 'nope': missing: the file lacks it");
  // `ordered` set: the attribute's one data byte follows its 8-byte name,
  // 40-byte enum type and 8-byte scalar dataspace (object header version 1).
  H5Copy copy("x_csr.h5ad");
  const std::vector<std::size_t> names = copy.Find(std::string("ordered\0", 8));
  ASSERT_EQ(names.size(), 2u);
  ASSERT_EQ(copy.bytes()[names[0] + 56], 0);
  copy.bytes()[names[0] + 56] = 1;
  copy.Save();
  const hdf5::File set(copy.path());
  EXPECT_NE(set.BooleanAttribute("/obs/condition", "ordered"), set.BooleanAttribute("/obs/donor", "ordered"));
}

TEST(Hdf5FileTest, DatasetShapeAndClass) {
  const hdf5::File file(kCsr);
  const hdf5::Dataset index(file, "/obs/_index");
  EXPECT_EQ(index.name(), "/obs/_index");
  EXPECT_EQ(index.Where(), kCsr + ":/obs/_index");
  EXPECT_EQ(index.rank(), 1);
  EXPECT_EQ(index.dims(), (std::vector<std::int64_t>{6}));
  EXPECT_EQ(index.size(), 6);
  EXPECT_EQ(index.value_class(), hdf5::ValueClass::kString);
  EXPECT_EQ(hdf5::Dataset(file, "/X/data").value_class(), hdf5::ValueClass::kFloat);
  EXPECT_EQ(hdf5::Dataset(file, "/X/indptr").value_class(), hdf5::ValueClass::kInteger);
  EXPECT_EQ(hdf5::Dataset(file, "/obs/flag").value_class(), hdf5::ValueClass::kBoolean);
  const hdf5::File dense(kDense);
  const hdf5::Dataset x(dense, "/X");
  EXPECT_EQ(x.dims(), (std::vector<std::int64_t>{6, 7}));
  EXPECT_EQ(x.size(), 42);
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs"); }), kCsr + ":/obs: a group: expected a dataset here");
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs/nope"); }), kCsr + ":/obs/nope: missing: expected a dataset here");
  // Moved, a dataset still reads; the moved-from one closes nothing.
  hdf5::Dataset moved = hdf5::Dataset(file, "/obs/n");
  hdf5::Dataset target(file, "/obs/depth");
  target = std::move(moved);
  std::vector<std::int64_t> n(6);
  target.Read(0, 6, n.data());
  EXPECT_EQ(n, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(target.name(), "/obs/n");
}

TEST(Hdf5FileTest, ReadsOneDimensionalNumbers) {
  const hdf5::File file(kCsr);
  const hdf5::Dataset data(file, "/X/data");  // float32, chunked
  const std::vector<double> expected = CsrValues();
  ASSERT_EQ(data.size(), static_cast<std::int64_t>(expected.size()));
  std::vector<double> values(expected.size());
  data.Read(0, data.size(), values.data());
  EXPECT_EQ(values, expected);  // 2^24 included: exact
  std::vector<std::int64_t> integers(3);
  data.Read(5, 3, integers.data());
  EXPECT_EQ(integers, (std::vector<std::int64_t>{static_cast<std::int64_t>(expected[5]),
                                                 static_cast<std::int64_t>(expected[6]),
                                                 static_cast<std::int64_t>(expected[7])}));
  data.Read(data.size(), 0, values.data());  // empty, at the end: nothing read
  // int8 codes and numpy bools (0/1, as integers only).
  std::vector<std::int64_t> codes(6), flags(6);
  hdf5::Dataset(file, "/obs/condition/codes").Read(0, 6, codes.data());
  EXPECT_EQ(codes, (std::vector<std::int64_t>{0, 1, 0, 1, 0, 1}));
  hdf5::Dataset(file, "/obs/flag").Read(0, 6, flags.data());
  EXPECT_EQ(flags, (std::vector<std::int64_t>{1, 0, 1, 1, 0, 0}));
  std::vector<double> depth(2);
  hdf5::Dataset(file, "/obs/depth").Read(2, 2, depth.data());
  EXPECT_EQ(depth, (std::vector<double>{3.0, 1e-3}));

  const std::string where = kCsr + ":/X/data: ";
  EXPECT_EQ(Message([&] { data.Read(data.size() - 2, 3, values.data()); }),
            where + "elements 27:30: beyond its 29 elements");
  EXPECT_EQ(Message([&] { data.Read(-1, 1, values.data()); }), where + "elements -1:0: beyond its 29 elements");
  EXPECT_EQ(Message([&] { data.Read(0, -1, values.data()); }), where + "elements 0:-1: beyond its 29 elements");
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs/flag").Read(0, 6, depth.data()); }),
            kCsr + ":/obs/flag: boolean: expected numbers");
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs/_index").Read(0, 1, codes.data()); }),
            kCsr + ":/obs/_index: string: expected numbers");
  const hdf5::File dense(kDense);
  EXPECT_EQ(Message([&] { hdf5::Dataset(dense, "/X").Read(0, 1, depth.data()); }), kDense + ":/X: 2-D: expected a 1-D array");
}

TEST(Hdf5FileTest, ReadsTwoDimensionalBlocks) {
  const hdf5::File file(kDense);
  const hdf5::Dataset x(file, "/X");  // observations × features, float64
  const auto rows = ObservationRows();
  std::vector<double> all(42);
  x.ReadBlock(0, 6, 0, 7, all.data());
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(std::vector<double>(all.begin() + 7 * i, all.begin() + 7 * (i + 1)), rows[i]) << i;
  }
  // Rows 1–3, columns 2–5, row-major.
  std::vector<double> block(12);
  x.ReadBlock(1, 3, 2, 4, block.data());
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 4; ++c) EXPECT_EQ(block[4 * r + c], rows[1 + r][2 + c]) << r << "," << c;
  }
  x.ReadBlock(6, 0, 0, 7, block.data());  // empty: nothing read
  const std::string where = kDense + ":/X: ";
  EXPECT_EQ(Message([&] { x.ReadBlock(4, 3, 0, 7, all.data()); }), where + "block: beyond its shape");
  EXPECT_EQ(Message([&] { x.ReadBlock(0, 1, 5, 3, all.data()); }), where + "block: beyond its shape");
  EXPECT_EQ(Message([&] { x.ReadBlock(-1, 1, 0, 1, all.data()); }), where + "block: beyond its shape");
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs/depth").ReadBlock(0, 1, 0, 1, all.data()); }),
            kDense + ":/obs/depth: 1-D: expected a 2-D array");
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs/flag").ReadBlock(0, 1, 0, 1, all.data()); }),
            kDense + ":/obs/flag: boolean: expected numbers");
}

TEST(Hdf5FileTest, ReadsVariableAndFixedLengthStrings) {
  const hdf5::File file(kCsr);
  EXPECT_EQ(hdf5::Dataset(file, "/var/_index").ReadStrings(),
            (std::vector<std::string>{"gene0", "gene1", "gene2", "gene3", "gene4", "gene5", "gene6"}));
  EXPECT_EQ(hdf5::Dataset(file, "/obs/condition/categories").ReadStrings(),
            (std::vector<std::string>{"untreated", "treated", "unused"}));
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs/depth").ReadStrings(); }),
            kCsr + ":/obs/depth: float: expected strings");
  // Fixed width, NUL-padded ("cell0") and filling the width ("Gene Expression").
  const hdf5::File tenx(kTenX);
  EXPECT_EQ(hdf5::Dataset(tenx, "/matrix/barcodes").ReadStrings(),
            (std::vector<std::string>{"cell0", "cell1", "cell2", "cell3", "cell4", "cell5"}));
  EXPECT_EQ(hdf5::Dataset(tenx, "/matrix/features/feature_type").ReadStrings(),
            std::vector<std::string>(7, "Gene Expression"));
  EXPECT_EQ(hdf5::Dataset(tenx, "/matrix/features/name").ReadStrings()[6], "GENE6");
  EXPECT_EQ(Message([&] { hdf5::Dataset(tenx, "/matrix/shape").ReadStrings(); }),
            kTenX + ":/matrix/shape: integer: expected strings");
}

TEST(Hdf5FileTest, VariableLengthStringsNeedOneByteCharacters) {
  // The datatype anndata writes for strings: variable-length (class 9)
  // UTF-8 string of a 1-byte base type. A character size of 256 would make
  // the library allocate 256 bytes per character (the fuzzer's input,
  // tests/data/bad/h5_attribute_character_size.h5ad, declared 721 MB).
  const std::string type("\x19\x01\x01\x00\x10\x00\x00\x00\x10\x00\x00\x00\x01\x00\x00\x00", 16);
  H5Copy copy("x_csr.h5ad");
  const std::vector<std::size_t> types = copy.Find(type);
  ASSERT_GE(types.size(), 10u);  // attributes and datasets
  for (const std::size_t at : types) copy.Put(at + 12, 256, 4);
  copy.Save();
  const hdf5::File file(copy.path());
  EXPECT_EQ(Message([&] { file.StringAttribute("/var", "_index"); }),
            copy.path() + ":/var attribute '_index': strings of 256-byte characters: variable-length strings have " +
                "1-byte characters (corrupt)");
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs/_index").ReadStrings(); }),
            copy.path() + ":/obs/_index: strings of 256-byte characters: variable-length strings have 1-byte " +
                "characters (corrupt)");
}

TEST(Hdf5FileTest, NumbersWiderThan16BytesAreRefused) {
  // The datatype messages (v1 header: type 3, 16 bytes, constant) of the
  // 64-bit signed integer datasets, /obs/n among them, declaring 4 GB
  // elements: H5Dread would allocate and clear one such element.
  H5Copy copy("x_csr.h5ad");
  const std::string message("\x03\x00\x10\x00\x01\x00\x00\x00\x10\x08\x00\x00\x08\x00\x00\x00", 16);
  const std::vector<std::size_t> at = copy.Find(message);
  ASSERT_FALSE(at.empty());
  for (const std::size_t type : at) copy.Put(type + 12, 0xFFFFF709u, 4);
  copy.Save();
  const hdf5::File file(copy.path());
  EXPECT_EQ(Message([&] { hdf5::Dataset(file, "/obs/n"); }),
            copy.path() + ":/obs/n: 4294965001-byte integer values: numbers are at most 16 bytes (corrupt)");
}

}  // namespace
}  // namespace nbglm
