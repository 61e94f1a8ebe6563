// Sample sheets as text (docs/formats.md "Sample sheets", "HDF5 inputs"): an
// AnnData obs read column by column (categorical, numeric, boolean; missing
// codes; the file's column order or else member order) and its refusals, on
// the fixtures of tests/data/h5 and edited copies of them.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "h5_fixture.h"
#include "nbglm/error.h"
#include "nbglm/sample_table.h"

namespace nbglm {
namespace {

using ::nbglm::testing::H5Copy;
using ::nbglm::testing::H5FixturePath;
using ::nbglm::testing::Message;
using Row = std::vector<std::string>;

// Replaces `from` by `to` (same length) at each of its occurrences; returns
// how many there were.
std::size_t ReplaceAll(H5Copy* copy, const std::string& from, const std::string& to) {
  const std::vector<std::size_t> found = copy->Find(from);
  for (const std::size_t at : found) copy->bytes().replace(at, to.size(), to);
  return found.size();
}

// Replaces the text of every global heap object holding exactly `from`.
std::size_t ReplaceHeapStrings(H5Copy* copy, const std::string& from, const std::string& to) {
  const std::vector<std::size_t> collections = copy->Find("GCOL");
  std::size_t replaced = 0;
  for (const std::size_t collection : collections) {
    for (const auto& [index, object] : copy->HeapObjects(collection)) {
      if (object.size == from.size() && copy->bytes().compare(object.data, from.size(), from) == 0) {
        copy->bytes().replace(object.data, to.size(), to);
        ++replaced;
      }
    }
  }
  return replaced;
}

// The int8 codes of /obs/donor (0 0 1 1 2 2), stored just before its int64
// categories 101, 102, 103.
std::size_t DonorCodes(const H5Copy& copy) {
  std::string pattern = {0, 0, 1, 1, 2, 2, 101, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<std::size_t> found = copy.Find(pattern);
  EXPECT_EQ(found.size(), 1u);
  return found.empty() ? 0 : found[0];
}

TEST(H5adObsTest, ReadsEveryColumnAsText) {
  const std::string path = H5FixturePath("x_csr.h5ad");
  const SampleSheetText sheet = ReadSampleSheetText(path);
  const TextTable& table = sheet.table;
  EXPECT_EQ(table.path, path + ":/obs");
  // The index is "observation"; the columns in the file's column order.
  EXPECT_EQ(table.header, (Row{"observation", "condition", "donor", "depth", "n", "flag"}));
  ASSERT_EQ(table.rows.size(), 6u);
  EXPECT_EQ(table.rows[0], (Row{"cell0", "untreated", "101", "1.5", "1", "TRUE"}));
  EXPECT_EQ(table.rows[1], (Row{"cell1", "treated", "101", "0.25", "2", "FALSE"}));
  EXPECT_EQ(table.rows[3], (Row{"cell3", "treated", "102", "0.001", "4", "TRUE"}));
  EXPECT_EQ(table.rows[5], (Row{"cell5", "treated", "103", "7", "6", "FALSE"}));
  EXPECT_EQ(table.line_numbers, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(table.Where(4), path + ":/obs:5");
  // Categories in the file's order, the unused one included (dropped later).
  using Categories = std::vector<std::pair<std::string, std::vector<std::string>>>;
  EXPECT_EQ(sheet.categories, (Categories{{"condition", {"untreated", "treated", "unused"}},
                                          {"donor", {"101", "102", "103"}}}));
  // Every AnnData fixture carries the same obs.
  for (const char* other : {"x_csc.h5ad", "x_dense.h5ad", "layer.h5ad"}) {
    const SampleSheetText same = ReadSampleSheetText(H5FixturePath(other));
    EXPECT_EQ(same.table.header, table.header) << other;
    EXPECT_EQ(same.table.rows, table.rows) << other;
  }
}

TEST(H5adObsTest, TextSheetsAreReadAsTables) {
  const SampleSheetText sheet = ReadSampleSheetText(H5FixturePath("samples.tsv"));
  EXPECT_TRUE(sheet.categories.empty());
  EXPECT_EQ(sheet.table.header, (Row{"observation", "condition", "donor", "depth", "n", "flag"}));
  EXPECT_EQ(sheet.table.rows[0], (Row{"cell0", "untreated", "101", "1.5", "1", "True"}));
  EXPECT_EQ(sheet.table.Where(0), H5FixturePath("samples.tsv") + ":2");
}

TEST(H5adObsTest, CodeMinusOneIsMissingOthersOutOfRangeAreRefused) {
  H5Copy copy("x_csr.h5ad");
  const std::size_t codes = DonorCodes(copy);
  copy.bytes()[codes + 2] = -1;
  copy.Save();
  const SampleSheetText sheet = ReadSampleSheetText(copy.path());
  EXPECT_EQ(sheet.table.rows[2][2], "NA");
  EXPECT_EQ(sheet.table.rows[3][2], "102");
  EXPECT_EQ(sheet.categories[1].second, (std::vector<std::string>{"101", "102", "103"}));
  const std::string where = copy.path() + ":/obs/donor/codes[2]: ";
  for (const int bad : {3, -2, 127}) {
    copy.bytes()[codes + 2] = static_cast<char>(bad);
    copy.Save();
    EXPECT_EQ(Message([&] { ReadSampleSheetText(copy.path()); }),
              where + std::to_string(bad) + ": codes lie in [-1, 3) (-1: missing)");
  }
}

TEST(H5adObsTest, WithoutColumnOrderTheMembersAreReadInNameOrder) {
  H5Copy copy("x_csr.h5ad");
  // Rename the attribute (of /obs and /var) so that the file has none.
  ASSERT_EQ(ReplaceAll(&copy, std::string("column-order\0", 13), std::string("column-ordex\0", 13)), 2u);
  copy.Save();
  const SampleSheetText sheet = ReadSampleSheetText(copy.path());
  EXPECT_EQ(sheet.table.header, (Row{"observation", "condition", "depth", "donor", "flag", "n"}));
  EXPECT_EQ(sheet.table.rows[0], (Row{"cell0", "untreated", "1.5", "101", "TRUE", "1"}));
  EXPECT_EQ(sheet.categories.size(), 2u);
}

TEST(H5adObsTest, AnIndexOtherThanUnderscoreIndexNamesTheFirstColumn) {
  H5Copy copy("x_csr.h5ad");
  // The /obs group's link "_index" (its local heap lists it before
  // "condition") and the index attributes' values become "_cellz".
  ASSERT_EQ(ReplaceAll(&copy, std::string("_index\0\0condition\0", 18), "_cellz"), 1u);
  ASSERT_EQ(ReplaceHeapStrings(&copy, "_index", "_cellz"), 2u);
  ASSERT_EQ(ReplaceAll(&copy, std::string("column-order\0", 13), std::string("column-ordex\0", 13)), 2u);
  copy.Save();
  const SampleSheetText sheet = ReadSampleSheetText(copy.path());
  // Named by the index column, which the member listing leaves out.
  EXPECT_EQ(sheet.table.header, (Row{"_cellz", "condition", "depth", "donor", "flag", "n"}));
  EXPECT_EQ(sheet.table.rows[5][0], "cell5");
}

TEST(H5adObsTest, RefusesUnknownEncodingsAndMissingColumns) {
  H5Copy encoding("x_csr.h5ad");
  ASSERT_EQ(ReplaceHeapStrings(&encoding, "categorical", "categoricaX"), 2u);
  encoding.Save();
  EXPECT_EQ(Message([&] { ReadSampleSheetText(encoding.path()); }),
            encoding.path() +
                ":/obs/condition: encoding 'categoricaX': obs columns are read when categorical, numeric, boolean or "
                "strings");
  // A dataset with an unknown encoding is refused alike.
  H5Copy array("x_csr.h5ad");
  ASSERT_GE(ReplaceHeapStrings(&array, "array", "arrax"), 1u);
  array.Save();
  const std::string message = Message([&] { ReadSampleSheetText(array.path()); });
  EXPECT_NE(message.find(": encoding 'arrax': obs columns are read when"), std::string::npos) << message;
  // column-order naming a column the file lacks.
  H5Copy missing("x_csr.h5ad");
  ASSERT_EQ(ReplaceHeapStrings(&missing, "depth", "dopth"), 1u);
  missing.Save();
  EXPECT_EQ(Message([&] { ReadSampleSheetText(missing.path()); }),
            missing.path() + ":/obs/dopth: missing: named by /obs attribute 'column-order'");
  // No index dataset.
  H5Copy no_index("x_csr.h5ad");
  ASSERT_EQ(ReplaceAll(&no_index, std::string("_index\0\0condition\0", 18), "_indey"), 1u);
  no_index.Save();
  EXPECT_EQ(Message([&] { ReadSampleSheetText(no_index.path()); }),
            no_index.path() + ":/obs: no index '_index': an AnnData dataframe holds its row names");
}

TEST(H5adObsTest, FilesWithoutObsAreRefused) {
  const std::string tenx = H5FixturePath("tenx_v2.h5");
  EXPECT_EQ(Message([&] { ReadSampleSheetText(tenx); }),
            tenx + ":/obs: missing: a sample sheet is read from an AnnData file's obs (a 10x .h5 has none: give "
                   "--samples)");
  H5Copy text("samples.tsv", "samples.h5ad");
  EXPECT_EQ(Message([&] { ReadSampleSheetText(text.path()); }),
            text.path() + ": not an HDF5 file: .h5ad / .h5 inputs are HDF5 files (AnnData or 10x Cell Ranger)");
}

}  // namespace
}  // namespace nbglm
