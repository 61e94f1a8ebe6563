#include "nbglm/counts_io.h"

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

namespace fs = std::filesystem;

#define EXPECT_INPUT_ERROR(statement, fragment)                                    \
  do {                                                                             \
    try {                                                                          \
      statement;                                                                   \
      ADD_FAILURE() << "no InputError from " #statement;                           \
    } catch (const InputError& thrown) {                                           \
      EXPECT_NE(std::string(thrown.what()).find(fragment), std::string::npos)      \
          << thrown.what();                                                        \
    }                                                                              \
  } while (0)

// A fresh directory per test, removed afterwards.
class CountsIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("nbglm_counts_io_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }
  std::string WriteGzip(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    fs::create_directories(fs::path(path).parent_path());
    gzFile file = gzopen(path.c_str(), "wb");
    gzwrite(file, contents.data(), static_cast<unsigned>(contents.size()));
    gzclose(file);
    return path;
  }

  fs::path dir_;
};

std::vector<double> Feature(const CountMatrix& counts, Index f) {
  std::vector<double> out(static_cast<std::size_t>(counts.num_observations()));
  counts.CopyFeature(f, out.data());
  return out;
}

// 3 features × 4 observations, entries column-major as 10x writes them.
const char kMtx[] =
    "%%MatrixMarket matrix coordinate integer general\n"
    "% a comment\n"
    "3 4 5\n"
    "1 1 4\n"
    "3 1 1\n"
    "3 2 2\n"
    "1 4 7\n"
    "3 4 12\n";

TEST_F(CountsIoTest, ReadsMatrixMarketAsSparse) {
  const CountMatrix counts = ReadCounts(Write("x.mtx", kMtx));
  EXPECT_TRUE(counts.is_sparse());
  EXPECT_EQ(counts.num_features(), 3);
  EXPECT_EQ(counts.num_observations(), 4);
  EXPECT_EQ(counts.feature_names()[2], "feature_2");
  EXPECT_EQ(counts.observation_names()[3], "obs_3");
  EXPECT_EQ(Feature(counts, 0), (std::vector<double>{4, 0, 0, 7}));
  EXPECT_TRUE(counts.FeatureIsAllZero(1));
  EXPECT_EQ(Feature(counts, 2), (std::vector<double>{1, 2, 0, 12}));
  // Library sizes summed while opening, as the matrix's own column sums.
  EXPECT_EQ(CountReader(Write("y.mtx", kMtx)).ObservationTotals(), (std::vector<double>{5, 2, 0, 19}));
  EXPECT_EQ(CountReader(Write("y.tsv", CountsToTsv(counts))).ObservationTotals(), (std::vector<double>{5, 2, 0, 19}));
  // Non-zeros per feature range, counted while opening.
  for (const std::string name : {"z.mtx", "z.tsv"}) {
    const CountReader reader(Write(name, name == "z.mtx" ? std::string(kMtx) : CountsToTsv(counts)));
    EXPECT_EQ(reader.Nonzeros(0, 3), 5) << name;
    EXPECT_EQ(reader.Nonzeros(1, 2), 0) << name;
    EXPECT_EQ(reader.Nonzeros(2, 3), 3) << name;
    EXPECT_EQ(reader.Nonzeros(1, 1), 0) << name;
    EXPECT_THROW(reader.Nonzeros(2, 4), InputError) << name;
  }
}

TEST_F(CountsIoTest, MatrixMarketAcceptsAnyOrderRealIntegralsAndDropsZeros) {
  const CountMatrix counts = ReadCounts(Write("x.mtx",
                                              "%%MatrixMarket Matrix Coordinate Real General\n"
                                              "2 3 4\n"
                                              "\n"
                                              "2 3 5.0\r\n"
                                              "1 2 0\n"
                                              "2 1 1e1\n"
                                              "1 1 3\n"));
  EXPECT_EQ(counts.num_stored_values(), 3);
  EXPECT_EQ(Feature(counts, 0), (std::vector<double>{3, 0, 0}));
  EXPECT_EQ(Feature(counts, 1), (std::vector<double>{10, 0, 5}));
  EXPECT_EQ(counts.column_indices(), (std::vector<std::int32_t>{0, 0, 2}));
}

TEST_F(CountsIoTest, MatrixMarketRoundTrip) {
  const CountMatrix original = ReadCounts(Write("x.mtx", kMtx));
  const std::string out = (dir_ / "y.mtx").string();
  WriteMatrixMarket(out, original);
  EXPECT_EQ(ReadFileContents(out),
            "%%MatrixMarket matrix coordinate integer general\n"
            "3 4 5\n"
            "1 1 4\n"
            "1 4 7\n"
            "3 1 1\n"
            "3 2 2\n"
            "3 4 12\n");
  const CountMatrix again = ReadCounts(out);
  for (Index f = 0; f < 3; ++f) EXPECT_EQ(Feature(again, f), Feature(original, f));
  // Dense storage writes the same text.
  EXPECT_EQ(CountsToMatrixMarket(original.ToDense()), ReadFileContents(out));
  EXPECT_FALSE(fs::exists(out + ".tmp." + std::to_string(::getpid())));
}

TEST_F(CountsIoTest, ReadsGzippedMatrixMarket) {
  const CountMatrix counts = ReadCounts(WriteGzip("x.mtx.gz", kMtx));
  EXPECT_EQ(Feature(counts, 2), (std::vector<double>{1, 2, 0, 12}));
}

std::string MtxWith(const std::string& size_line, const std::string& entries) {
  return "%%MatrixMarket matrix coordinate integer general\n" + size_line + "\n" + entries;
}

TEST_F(CountsIoTest, MatrixMarketValueErrorsNameFileLineAndEntry) {
  const std::string negative = Write("counts.mtx", MtxWith("3 9 2", "1 1 1\n3 9 -2\n"));
  EXPECT_INPUT_ERROR(ReadCounts(negative), negative + ":4: entry (3, 9): -2: counts must be non-negative integers");
  EXPECT_INPUT_ERROR(ReadCounts(Write("a.mtx", MtxWith("3 9 1", "2 2 1.5\n"))),
                     "a.mtx:3: entry (2, 2): 1.5: counts must be non-negative integers");
  EXPECT_INPUT_ERROR(ReadCounts(Write("b.mtx", MtxWith("3 9 1", "2 2 nan\n"))),
                     "entry (2, 2): nan: counts must be non-negative integers");
  EXPECT_INPUT_ERROR(ReadCounts(Write("c.mtx", MtxWith("3 9 1", "2 2 2147483648\n"))),
                     "entry (2, 2): 2147483648: counts must not exceed 2147483647");
  EXPECT_INPUT_ERROR(ReadCounts(Write("d.mtx", MtxWith("3 9 1", "2 2 x\n"))),
                     "entry (2, 2): x: counts must be non-negative integers");
}

TEST_F(CountsIoTest, MatrixMarketStructureErrors) {
  EXPECT_INPUT_ERROR(ReadCounts(Write("a.mtx", MtxWith("3 9 1", "4 1 1\n"))),
                     "a.mtx:3: entry (4, 1): row 4: must lie in 1..3");
  EXPECT_INPUT_ERROR(ReadCounts(Write("b.mtx", MtxWith("3 9 1", "1 0 1\n"))),
                     "b.mtx:3: entry (1, 0): column 0: must lie in 1..9");
  EXPECT_INPUT_ERROR(ReadCounts(Write("c.mtx", MtxWith("3 9 3", "1 1 1\n2 2 2\n1 1 3\n"))),
                     "c.mtx:5: entry (1, 1): duplicate entry: already given on line 3");
  EXPECT_INPUT_ERROR(ReadCounts(Write("d.mtx", MtxWith("3 9 3", "1 1 1\n2 2 2\n"))),
                     "d.mtx: 2 entries: the size line declares 3 (file truncated?)");
  EXPECT_INPUT_ERROR(ReadCounts(Write("e.mtx", MtxWith("3 9 1", "1 1 1\n2 2 2\n"))),
                     "e.mtx:4: entry (2, 2): extra entry: the size line declares 1 entries");
  EXPECT_INPUT_ERROR(ReadCounts(Write("f.mtx", MtxWith("3 9 1", "1 1\n"))), "f.mtx:3: entry (1, 1): no value");
  EXPECT_INPUT_ERROR(ReadCounts(Write("g.mtx", MtxWith("3 9 1", "1 1 1 1\n"))), "exactly row, column and value");
  EXPECT_INPUT_ERROR(ReadCounts(Write("h.mtx", MtxWith("3 9 1", "a 1 1\n"))),
                     "h.mtx:3: a: a row index must be an integer");
  EXPECT_INPUT_ERROR(ReadCounts(Write("i.mtx", MtxWith("3 x 1", ""))), "i.mtx:2: x: the size line holds");
  EXPECT_INPUT_ERROR(ReadCounts(Write("j.mtx", MtxWith("0 9 0", ""))), "at least one feature and one observation");
  EXPECT_INPUT_ERROR(ReadCounts(Write("k.mtx", MtxWith("2 2 5", ""))), "5 entries: more than rows x columns = 4");
  EXPECT_INPUT_ERROR(ReadCounts(Write("l.mtx", "%%MatrixMarket matrix coordinate integer general\n% only\n")),
                     "l.mtx: no size line");
  EXPECT_INPUT_ERROR(ReadCounts(Write("m.mtx", "")), "m.mtx: empty file");
}

TEST_F(CountsIoTest, MatrixMarketRewrittenBetweenOpenAndReadIsRefused) {
  const std::string path = Write("changing.mtx", MtxWith("3 4 2", "1 1 1\n2 2 2\n"));
  const CountReader reader(path);
  Write("changing.mtx", MtxWith("3 4 2", "1 1 1\n1 2 2\n"));  // row 1 now has two entries
  EXPECT_INPUT_ERROR(reader.Read(0, 3), "changing.mtx: changed while read: the file was modified during the run");
}

TEST_F(CountsIoTest, MatrixMarketBannerErrors) {
  EXPECT_INPUT_ERROR(ReadCounts(Write("a.mtx", "%%MatrixMarket matrix coordinate pattern general\n1 1 1\n1 1\n")),
                     "a.mtx:1: field 'pattern': counts need field 'integer' or 'real'");
  EXPECT_INPUT_ERROR(ReadCounts(Write("b.mtx", "%%MatrixMarket matrix coordinate complex general\n1 1 0\n")),
                     "field 'complex'");
  EXPECT_INPUT_ERROR(ReadCounts(Write("c.mtx", "%%MatrixMarket matrix array integer general\n1 1\n1\n")),
                     "c.mtx:1: format 'array': only the sparse 'coordinate' MatrixMarket format is read");
  EXPECT_INPUT_ERROR(ReadCounts(Write("d.mtx", "%%MatrixMarket matrix coordinate integer symmetric\n1 1 0\n")),
                     "symmetry 'symmetric'");
  EXPECT_INPUT_ERROR(ReadCounts(Write("e.mtx", "1 1 1\n1 1 1\n")), "e.mtx:1: '1 1 1': a MatrixMarket file starts with");
}

TEST_F(CountsIoTest, Reads10xDirectoryInAllSpellings) {
  // Cell Ranger 3: gzipped features.tsv with id, name, type.
  WriteGzip("v3/matrix.mtx.gz", kMtx);
  WriteGzip("v3/features.tsv.gz", "ENSG1\tA\tGene Expression\nENSG2\tB\tGene Expression\nENSG3\tC\tGene Expression\n");
  WriteGzip("v3/barcodes.tsv.gz", "AAA-1\nCCC-1\nGGG-1\nTTT-1\n");
  const CountMatrix v3 = ReadCounts((dir_ / "v3").string());
  EXPECT_EQ(v3.feature_names(), (std::vector<std::string>{"ENSG1", "ENSG2", "ENSG3"}));
  EXPECT_EQ(v3.observation_names(), (std::vector<std::string>{"AAA-1", "CCC-1", "GGG-1", "TTT-1"}));
  EXPECT_EQ(Feature(v3, 2), (std::vector<double>{1, 2, 0, 12}));

  // Cell Ranger 2: plain genes.tsv (CRLF, final blank line tolerated).
  Write("v2/matrix.mtx", kMtx);
  Write("v2/genes.tsv", "g1\tA\r\ng2\tB\r\ng3\tC\r\n\n");
  Write("v2/barcodes.tsv", "b1\nb2\nb3\nb4");
  const CountMatrix v2 = ReadCounts((dir_ / "v2").string());
  EXPECT_EQ(v2.feature_names(), (std::vector<std::string>{"g1", "g2", "g3"}));
  EXPECT_EQ(v2.observation_names()[3], "b4");
  // Naming the matrix file inside a 10x directory reads the names too.
  const CountMatrix by_file = ReadCounts((dir_ / "v2" / "matrix.mtx").string());
  EXPECT_EQ(by_file.feature_names(), v2.feature_names());
}

TEST_F(CountsIoTest, LoneMatrixMarketGetsGenericNames) {
  Write("plain/matrix.mtx", kMtx);
  Write("plain/genes.tsv", "g1\ng2\ng3\n");  // no barcodes: not a 10x directory
  const CountMatrix counts = ReadCounts((dir_ / "plain" / "matrix.mtx").string());
  EXPECT_EQ(counts.feature_names()[0], "feature_0");
  EXPECT_EQ(counts.observation_names()[0], "obs_0");
}

// The format-specific readers read their format whatever the name says:
// ReadMatrixMarket a MatrixMarket file with generic names (also a 10x
// directory's matrix.mtx), ReadDenseCounts a table, Read10xDirectory only a
// directory.
TEST_F(CountsIoTest, FormatSpecificReadersIgnoreTheName) {
  Write("x/matrix.mtx", kMtx);
  Write("x/genes.tsv", "g1\ng2\ng3\n");
  Write("x/barcodes.tsv", "b1\nb2\nb3\nb4\n");
  EXPECT_EQ(ReadCounts((dir_ / "x" / "matrix.mtx").string()).feature_names()[0], "g1");
  const CountMatrix generic = ReadMatrixMarket((dir_ / "x" / "matrix.mtx").string());
  EXPECT_EQ(generic.feature_names()[0], "feature_0");
  EXPECT_EQ(generic.observation_names()[0], "obs_0");
  EXPECT_EQ(Read10xDirectory((dir_ / "x").string()).observation_names()[3], "b4");
  const CountMatrix renamed = ReadMatrixMarket(Write("counts.txt", kMtx));
  EXPECT_EQ(renamed.num_features(), generic.num_features());
  EXPECT_EQ(Feature(renamed, 0), Feature(generic, 0));
  const CountMatrix table = ReadDenseCounts(Write("table.mtx", "gene\ts1\ng1\t3\n"));
  EXPECT_EQ(table.feature_names(), (std::vector<std::string>{"g1"}));
  EXPECT_INPUT_ERROR(Read10xDirectory((dir_ / "x" / "matrix.mtx").string()), "not a directory");
  EXPECT_INPUT_ERROR(Read10xDirectory((dir_ / "nowhere").string()), "no such file or directory");
}

TEST_F(CountsIoTest, TenXErrors) {
  Write("a/matrix.mtx", kMtx);
  Write("a/genes.tsv", "g1\ng2\ng3\n");
  EXPECT_INPUT_ERROR(ReadCounts((dir_ / "a").string()), "no barcodes.tsv[.gz]");
  Write("a/barcodes.tsv", "b1\nb2\nb3\n");
  EXPECT_INPUT_ERROR(ReadCounts((dir_ / "a").string()),
                     "barcodes.tsv: 3 observations: " + (dir_ / "a" / "matrix.mtx").string() + " has 4 columns");
  Write("a/barcodes.tsv", "b1\n\nb3\nb4\n");
  EXPECT_INPUT_ERROR(ReadCounts((dir_ / "a").string()), "barcodes.tsv:2: '': barcode must be non-empty");
  Write("a/barcodes.tsv", "b1\nb2\nb1\nb4\n");
  EXPECT_INPUT_ERROR(ReadCounts((dir_ / "a").string()), "observation name 'b1': observation names must be unique");
  fs::create_directories(dir_ / "empty");
  EXPECT_INPUT_ERROR(ReadCounts((dir_ / "empty").string()), "no matrix.mtx or matrix.mtx.gz");
  EXPECT_INPUT_ERROR(ReadCounts((dir_ / "missing.tsv").string()), "no such file or directory");
}

TEST_F(CountsIoTest, ReadsDenseTables) {
  const CountMatrix tsv = ReadCounts(Write("c.tsv", "gene\ts1\ts2\ts3\ng1\t1\t0\t4\ng2\t0\t0\t 2 \n"));
  EXPECT_FALSE(tsv.is_sparse());
  EXPECT_EQ(tsv.feature_names(), (std::vector<std::string>{"g1", "g2"}));
  EXPECT_EQ(tsv.observation_names(), (std::vector<std::string>{"s1", "s2", "s3"}));
  EXPECT_EQ(Feature(tsv, 1), (std::vector<double>{0, 0, 2}));
  const CountMatrix csv = ReadCounts(WriteGzip("c.csv.gz", "gene,s1,s2,s3\ng1,1,0,4\n\"g,2\",0,0,2\n"));
  EXPECT_EQ(csv.feature_names()[1], "g,2");
  EXPECT_EQ(Feature(csv, 0), (std::vector<double>{1, 0, 4}));
}

TEST_F(CountsIoTest, MostlyZeroDenseTableIsStoredSparse) {
  // 8 of 10 zeros (80% > 70%).
  const CountMatrix counts = ReadCounts(Write("z.tsv", "id\ta\tb\tc\td\te\nf1\t0\t0\t3\t0\t0\nf2\t0\t0\t0\t1\t0\n"));
  EXPECT_TRUE(counts.is_sparse());
  EXPECT_EQ(Feature(counts, 1), (std::vector<double>{0, 0, 0, 1, 0}));
  // 6 of 10 zeros stays dense.
  EXPECT_FALSE(ReadCounts(Write("y.tsv", "id\ta\tb\tc\td\te\nf1\t1\t0\t3\t0\t0\nf2\t0\t2\t0\t1\t0\n")).is_sparse());
}

TEST_F(CountsIoTest, DenseTableErrorsNameLineAndColumn) {
  const std::string path = Write("bad.tsv", "gene\ts1\ts2\ng1\t1\t2\ng2\t-2\t0\n");
  EXPECT_INPUT_ERROR(ReadCounts(path), path + ":3: column 's1': -2: counts must be non-negative integers");
  EXPECT_INPUT_ERROR(ReadCounts(Write("na.tsv", "gene\ts1\ts2\ng1\tNA\t2\n")),
                     "na.tsv:2: column 's1': NA: counts must be non-negative integers");
  EXPECT_INPUT_ERROR(ReadCounts(Write("frac.tsv", "gene\ts1\ng1\t0.5\n")), "0.5: counts must be non-negative integers");
  EXPECT_INPUT_ERROR(ReadCounts(Write("empty.tsv", "gene\ts1\ng1\t\n")), "'': counts must be non-negative integers");
  EXPECT_INPUT_ERROR(ReadCounts(Write("short.tsv", "gene\ts1\ts2\ng1\t1\n")), "short.tsv:2: 2 fields");
  EXPECT_INPUT_ERROR(ReadCounts(Write("one.tsv", "gene\ng1\n")), "one.tsv:1: 1 columns");
  EXPECT_INPUT_ERROR(ReadCounts(Write("none.tsv", "gene\ts1\n")), "none.tsv: no rows");
  EXPECT_INPUT_ERROR(ReadCounts(Write("dup.tsv", "gene\ts1\ts1\ng1\t1\t2\n")), "observation names must be unique");
  EXPECT_INPUT_ERROR(ReadCounts(Write("noid.tsv", "gene\ts1\n\t1\n")), "noid.tsv:2: '': a feature id must be non-empty");
}

TEST_F(CountsIoTest, TsvTextRoundTrip) {
  const CountMatrix original = ReadCounts(Write("c.tsv", "gene\ts1\ts2\ng1\t1\t0\ng2\t7\t3\n"));
  EXPECT_EQ(CountsToTsv(original), "feature\ts1\ts2\ng1\t1\t0\ng2\t7\t3\n");
  EXPECT_EQ(CountsToTsv(original.ToSparse()), CountsToTsv(original));
}

}  // namespace
}  // namespace nbglm
