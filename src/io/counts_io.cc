#include "nbglm/counts_io.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <string_view>
#include <utility>
#include <vector>

#include "io/array_counts.h"
#include "io/count_text.h"
#include "io/hdf5_counts.h"
#include "io/huge_pages.h"
#include "io/line_source.h"
#include "io/path_suffix.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

namespace fs = std::filesystem;
using count_text::DenseCount;
using count_text::EntryWhere;
using count_text::IsBlankLine;
using count_text::FindDuplicateLines;
using count_text::MatrixMarketHeader;
using count_text::ParseMatrixMarketEntries;
using count_text::ReadMatrixMarketHeader;

}  // namespace

// ---------------------------------------------------------------------------
// CountReader

struct CountReader::Impl {
  enum class Kind { kMatrixMarket, kDense, kBlocks };
  Kind kind = Kind::kMatrixMarket;
  std::string path;                  // the counts file (a 10x directory's matrix file)
  const std::string* text = nullptr;  // in-memory contents (tests, fuzzers), or null
  std::string text_storage;
  std::vector<std::string> feature_names;      // empty: defaults
  std::vector<std::string> observation_names;  // filled unless kBlocks
  bool default_feature_names = false;
  Index num_features = 0;
  Index num_observations = 0;
  MatrixMarketHeader header;           // kMatrixMarket
  char delimiter = '\t';               // kDense
  std::vector<std::string> table_header;  // kDense
  // Per feature: entries in the file (kMatrixMarket; explicit zeros
  // included) and non-zero counts (both kinds).
  std::vector<std::uint32_t> entries, nonzeros;
  std::vector<double> observation_totals;  // Σ_f y_fi, from the open pass
  // kBlocks: HDF5 or a caller's arrays; it holds the names, non-zeros and
  // totals (the fields above stay empty).
  std::unique_ptr<BlockCountSource> blocks;

  const std::vector<std::string>& Features() const { return blocks ? blocks->feature_names() : feature_names; }
  const std::vector<std::string>& Observations() const {
    return blocks ? blocks->observation_names() : observation_names;
  }
  const std::vector<std::uint32_t>& Nonzeros() const { return blocks ? blocks->nonzeros() : nonzeros; }
  const std::vector<double>& Totals() const { return blocks ? blocks->observation_totals() : observation_totals; }

  std::unique_ptr<LineSource> Lines() const { return OpenLines(path, text); }
  void OpenMatrixMarket(std::vector<std::string> features, std::vector<std::string> barcodes,
                        const std::string& feature_source, const std::string& observation_source);
  void OpenDense();
  void OpenBlocks(std::unique_ptr<BlockCountSource> source);
  CountMatrix ReadMatrixMarket(Index begin, Index end) const;
  CountMatrix ReadDense(Index begin, Index end) const;
  std::vector<std::string> FeatureNames(Index begin, Index end) const;
};

void CountReader::Impl::OpenMatrixMarket(std::vector<std::string> features, std::vector<std::string> barcodes,
                                         const std::string& feature_source, const std::string& observation_source) {
  kind = Kind::kMatrixMarket;
  const std::unique_ptr<LineSource> lines = Lines();
  header = ReadMatrixMarketHeader(path, lines.get());
  if (!features.empty() && static_cast<std::int64_t>(features.size()) != header.num_rows) {
    throw InputError(feature_source, std::to_string(features.size()) + " features",
                     path + " has " + std::to_string(header.num_rows) + " rows (one per feature)");
  }
  if (!barcodes.empty() && static_cast<std::int64_t>(barcodes.size()) != header.num_columns) {
    throw InputError(observation_source, std::to_string(barcodes.size()) + " observations",
                     path + " has " + std::to_string(header.num_columns) + " columns (one per observation)");
  }
  num_features = header.num_rows;
  num_observations = header.num_columns;
  entries.assign(static_cast<std::size_t>(num_features), 0);
  nonzeros.assign(static_cast<std::size_t>(num_features), 0);
  observation_totals.assign(static_cast<std::size_t>(num_observations), 0.0);
  ParseMatrixMarketEntries(path, header, lines.get(), [&](std::int64_t, std::int64_t r, std::int64_t c, double v) {
    ++entries[static_cast<std::size_t>(r)];
    if (v != 0.0) ++nonzeros[static_cast<std::size_t>(r)];
    observation_totals[static_cast<std::size_t>(c)] += v;
    return true;
  });
  default_feature_names = features.empty();
  feature_names = std::move(features);
  observation_names = barcodes.empty() ? DefaultObservationNames(num_observations) : std::move(barcodes);
  CheckUniqueObservationNames(observation_names, path);
}

void CountReader::Impl::OpenBlocks(std::unique_ptr<BlockCountSource> source) {
  kind = Kind::kBlocks;
  blocks = std::move(source);
  num_features = blocks->num_features();
  num_observations = blocks->num_observations();
  CheckUniqueObservationNames(blocks->observation_names(), path);
}

void CountReader::Impl::OpenDense() {
  kind = Kind::kDense;
  delimiter = TableDelimiter(path);
  const std::unique_ptr<LineSource> lines = Lines();
  std::string line, rule;
  std::vector<std::string> fields;
  if (!NextTableRow(lines.get(), delimiter, 0, &line, &fields)) {
    throw InputError(path, "empty file", "a table needs a header line");
  }
  table_header = fields;
  observation_totals.assign(table_header.empty() ? 0 : table_header.size() - 1, 0.0);
  while (NextTableRow(lines.get(), delimiter, 0, &line, &fields)) {
    if (fields.size() != table_header.size()) {
      throw InputError(path + ":" + std::to_string(lines->line_number()), std::to_string(fields.size()) + " fields",
                       "expected " + std::to_string(table_header.size()) + " (as many as the header)");
    }
    if (fields[0].empty()) {
      throw InputError(path + ":" + std::to_string(lines->line_number()), "''", "a feature id must be non-empty");
    }
    std::uint32_t count = 0;
    for (std::size_t i = 0; i + 1 < fields.size(); ++i) {
      const double value = DenseCount(fields, i, table_header, lines.get(), &rule);
      count += value != 0.0;
      observation_totals[i] += value;
    }
    feature_names.push_back(fields[0]);
    nonzeros.push_back(count);
  }
  if (table_header.size() < 2) {
    throw InputError(path + ":1", std::to_string(table_header.size()) + " columns",
                     "a counts table needs a feature-id column and at least one observation column");
  }
  if (feature_names.empty()) throw InputError(path, "no rows", "a counts table needs at least one feature");
  num_features = static_cast<Index>(feature_names.size());
  num_observations = static_cast<Index>(table_header.size()) - 1;
  observation_names.assign(table_header.begin() + 1, table_header.end());
  CheckUniqueObservationNames(observation_names, path);
}

std::vector<std::string> CountReader::Impl::FeatureNames(Index begin, Index end) const {
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(end - begin));
  for (Index f = begin; f < end; ++f) {
    names.push_back(default_feature_names ? "feature_" + std::to_string(f) : Features()[static_cast<std::size_t>(f)]);
  }
  return names;
}

// Features [begin, end) of a MatrixMarket file into CSR by row (feature), in
// one pass: the entries of the range are scattered to their row's slots
// (sized by the open pass), sorted by column within a row where the file
// was not already in that order, checked for duplicates, and explicit zeros
// dropped.
CountMatrix CountReader::Impl::ReadMatrixMarket(Index begin, Index end) const {
  const std::size_t num_rows = static_cast<std::size_t>(end - begin);
  std::vector<std::int64_t> row_offsets(num_rows + 1, 0);
  for (std::size_t r = 0; r < num_rows; ++r) {
    row_offsets[r + 1] = row_offsets[r] + entries[static_cast<std::size_t>(begin) + r];
  }
  const std::size_t total = static_cast<std::size_t>(row_offsets[num_rows]);
  std::vector<std::int32_t> csr_columns;
  std::vector<double> csr_values;
  ResizeOnHugePages(&csr_columns, total);
  ResizeOnHugePages(&csr_values, total);
  {
    std::vector<std::int64_t> cursor(row_offsets.begin(), row_offsets.end() - 1);
    const std::unique_ptr<LineSource> lines = Lines();
    const MatrixMarketHeader again = ReadMatrixMarketHeader(path, lines.get());
    ParseMatrixMarketEntries(path, again, lines.get(), [&](std::int64_t, std::int64_t r, std::int64_t c, double v) {
      if (r < begin || r >= end) return true;
      std::int64_t& at = cursor[static_cast<std::size_t>(r - begin)];
      // The open pass sized each row: a file rewritten since has more.
      if (at >= row_offsets[static_cast<std::size_t>(r - begin) + 1]) {
        throw InputError(path, "changed while read", "the file was modified during the run");
      }
      csr_columns[static_cast<std::size_t>(at)] = static_cast<std::int32_t>(c);
      csr_values[static_cast<std::size_t>(at)] = v;
      ++at;
      return true;
    });
  }
  std::vector<std::pair<std::int32_t, double>> scratch;
  std::size_t write = 0;  // compaction cursor: explicit zeros are dropped
  for (std::size_t r = 0; r < num_rows; ++r) {
    const std::size_t row_begin = static_cast<std::size_t>(row_offsets[r]);
    const std::size_t row_end = static_cast<std::size_t>(row_offsets[r + 1]);
    if (!std::is_sorted(csr_columns.begin() + static_cast<std::ptrdiff_t>(row_begin),
                        csr_columns.begin() + static_cast<std::ptrdiff_t>(row_end))) {
      scratch.clear();
      for (std::size_t k = row_begin; k < row_end; ++k) scratch.emplace_back(csr_columns[k], csr_values[k]);
      std::stable_sort(scratch.begin(), scratch.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t k = row_begin; k < row_end; ++k) {
        csr_columns[k] = scratch[k - row_begin].first;
        csr_values[k] = scratch[k - row_begin].second;
      }
    }
    for (std::size_t k = row_begin; k + 1 < row_end; ++k) {
      if (csr_columns[k] == csr_columns[k + 1]) {
        const std::unique_ptr<LineSource> lines = Lines();
        const std::int64_t row = begin + static_cast<std::int64_t>(r);
        const auto found = FindDuplicateLines(path, lines.get(), row, csr_columns[k]);
        throw InputError(EntryWhere(path, found.second, row + 1, static_cast<std::int64_t>(csr_columns[k]) + 1),
                         "duplicate entry", "already given on line " + std::to_string(found.first));
      }
    }
    row_offsets[r] = static_cast<std::int64_t>(write);
    for (std::size_t k = row_begin; k < row_end; ++k) {
      if (csr_values[k] == 0.0) continue;
      csr_columns[write] = csr_columns[k];
      csr_values[write] = csr_values[k];
      ++write;
    }
  }
  row_offsets[num_rows] = static_cast<std::int64_t>(write);
  csr_columns.resize(write);
  csr_values.resize(write);
  csr_columns.shrink_to_fit();
  csr_values.shrink_to_fit();
  return CountMatrix::FromCsr(end - begin, num_observations, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), FeatureNames(begin, end), observation_names, path);
}

// Features [begin, end) of a dense table, stored sparse when more than
// kSparseZeroFraction of their counts are zero (the open pass counted them).
CountMatrix CountReader::Impl::ReadDense(Index begin, Index end) const {
  const std::size_t rows = static_cast<std::size_t>(end - begin);
  const std::size_t columns = static_cast<std::size_t>(num_observations);
  std::int64_t stored = 0;
  for (Index f = begin; f < end; ++f) stored += nonzeros[static_cast<std::size_t>(f)];
  const double zero_fraction = 1.0 - static_cast<double>(stored) / (static_cast<double>(rows) * static_cast<double>(columns));
  const bool sparse = zero_fraction > kSparseZeroFraction;
  Matrix dense;
  std::vector<std::int64_t> row_offsets;
  std::vector<std::int32_t> csr_columns;
  std::vector<double> csr_values;
  if (sparse) {
    row_offsets.assign(rows + 1, 0);
    csr_columns.reserve(static_cast<std::size_t>(stored));
    csr_values.reserve(static_cast<std::size_t>(stored));
  } else {
    dense = Matrix::from_shape({rows, columns});
  }
  const std::unique_ptr<LineSource> lines = Lines();
  std::string line, rule;
  std::vector<std::string> fields;
  NextTableRow(lines.get(), delimiter, 0, &line, &fields);  // the header
  Index feature = 0;
  while (feature < end && NextTableRow(lines.get(), delimiter, 0, &line, &fields)) {
    if (feature >= begin) {
      const std::size_t r = static_cast<std::size_t>(feature - begin);
      for (std::size_t i = 0; i < columns; ++i) {
        const double value = DenseCount(fields, i, table_header, lines.get(), &rule);
        if (!sparse) {
          dense(r, i) = value;
        } else if (value != 0.0) {
          csr_columns.push_back(static_cast<std::int32_t>(i));
          csr_values.push_back(value);
        }
      }
      if (sparse) row_offsets[r + 1] = static_cast<std::int64_t>(csr_values.size());
    }
    ++feature;
  }
  if (!sparse) return CountMatrix::FromDense(std::move(dense), FeatureNames(begin, end), observation_names, path);
  return CountMatrix::FromCsr(end - begin, num_observations, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), FeatureNames(begin, end), observation_names, path);
}

namespace {

// ---------------------------------------------------------------------------
// 10x

// First tab-separated field of every line of a headerless 10x name file.
std::vector<std::string> ReadNameColumn(const std::string& path, const std::string& what) {
  const std::unique_ptr<LineSource> lines = OpenLines(path, nullptr);
  std::vector<std::string> names;
  std::size_t blank_tail = 0;  // blank lines seen since the last name
  std::string_view line;
  while (lines->Next(&line)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (IsBlankLine(line)) {
      ++blank_tail;
      continue;
    }
    // Trailing blank lines are only a doubled final newline; a blank line in
    // the middle would shift every later name, so it is an error.
    if (blank_tail > 0) {
      throw InputError(path + ":" + std::to_string(lines->line_number() - static_cast<std::int64_t>(blank_tail)), "''",
                       what + " must be non-empty");
    }
    const std::string_view name = line.substr(0, line.find('\t'));
    if (name.empty()) throw InputError(path + ":" + std::to_string(lines->line_number()), "''", what + " must be non-empty");
    names.emplace_back(name);
  }
  if (names.empty()) throw InputError(path, "empty file", "a 10x " + what + " file lists one name per line");
  return names;
}

// The first of `candidates` that exists in `directory`, or "" if none does.
std::string FindFile(const fs::path& directory, std::initializer_list<const char*> candidates) {
  for (const char* name : candidates) {
    const fs::path candidate = directory / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return candidate.string();
  }
  return "";
}

struct TenXFiles {
  std::string features;
  std::string barcodes;
};

TenXFiles Find10xNameFiles(const fs::path& directory) {
  TenXFiles files;
  files.features = FindFile(directory, {"features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv"});
  files.barcodes = FindFile(directory, {"barcodes.tsv.gz", "barcodes.tsv"});
  return files;
}

void CheckTenX(const std::string& directory, const std::string& matrix_path, const TenXFiles& files) {
  const std::string rule =
      "a 10x directory holds matrix.mtx[.gz], features.tsv[.gz] (or genes.tsv[.gz]) and barcodes.tsv[.gz]";
  if (matrix_path.empty()) throw InputError(directory, "no matrix.mtx or matrix.mtx.gz", rule);
  if (files.features.empty()) throw InputError(directory, "no features.tsv[.gz] or genes.tsv[.gz]", rule);
  if (files.barcodes.empty()) throw InputError(directory, "no barcodes.tsv[.gz]", rule);
}

void AppendInteger(std::string* out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

}  // namespace

CountReader::CountReader(const std::string& path, CountFormat format, const std::string& layer)
    : impl_(std::make_unique<Impl>()) {
  std::error_code error;
  const fs::path file(path);
  impl_->path = path;
  const bool directory = fs::is_directory(file, error);
  if (format == CountFormat::kDetect && !directory && IsHdf5CountsPath(path)) format = CountFormat::kHdf5;
  if (format == CountFormat::kHdf5) {
    impl_->OpenBlocks(std::make_unique<Hdf5CountSource>(path, layer));
    return;
  }
  if (!layer.empty()) {
    throw InputError(path, "layer '" + layer + "'", "layers exist only in AnnData (.h5ad) inputs");
  }
  if (format == CountFormat::kDetect) {
    format = directory                                            ? CountFormat::kTenXDirectory
             : EndsWith(path, ".mtx") || EndsWith(path, ".mtx.gz") ? CountFormat::kMatrixMarket
                                                                    : CountFormat::kDenseTable;
    // "matrix.mtx" beside 10x name files is that directory's matrix: read the
    // names too rather than inventing feature_0, ….
    const std::string name = file.filename().string();
    if (format == CountFormat::kMatrixMarket && (name == "matrix.mtx" || name == "matrix.mtx.gz") &&
        fs::exists(file, error)) {
      const TenXFiles files = Find10xNameFiles(file.has_parent_path() ? file.parent_path() : fs::path("."));
      if (!files.features.empty() && !files.barcodes.empty()) {
        impl_->OpenMatrixMarket(ReadNameColumn(files.features, "feature id"),
                                ReadNameColumn(files.barcodes, "barcode"), files.features, files.barcodes);
        return;
      }
    }
  }
  if (format == CountFormat::kTenXDirectory) {
    if (!directory) {
      throw InputError(path, fs::exists(file, error) ? "not a directory" : "no such file or directory",
                       "a 10x input is a directory");
    }
    const std::string matrix = FindFile(file, {"matrix.mtx.gz", "matrix.mtx"});
    const TenXFiles files = Find10xNameFiles(file);
    CheckTenX(path, matrix, files);
    impl_->path = matrix;
    impl_->OpenMatrixMarket(ReadNameColumn(files.features, "feature id"), ReadNameColumn(files.barcodes, "barcode"),
                            files.features, files.barcodes);
    return;
  }
  if (!fs::exists(file, error)) {
    throw InputError(path, "no such file or directory", "counts are a file or a 10x directory");
  }
  if (format == CountFormat::kMatrixMarket) {
    impl_->OpenMatrixMarket({}, {}, path, path);
  } else {
    impl_->OpenDense();
  }
}

CountReader::CountReader(const std::string& contents, const std::string& what, bool matrix_market)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = what;
  impl_->text_storage = contents;
  impl_->text = &impl_->text_storage;
  if (matrix_market) {
    impl_->OpenMatrixMarket({}, {}, what, what);
  } else {
    impl_->OpenDense();
  }
}

CountReader::CountReader(const CountArrayView& view) : impl_(std::make_unique<Impl>()) {
  impl_->path = view.what;
  impl_->OpenBlocks(std::make_unique<ArrayCountSource>(view));
}

CountReader::~CountReader() = default;
CountReader::CountReader(CountReader&&) noexcept = default;
CountReader& CountReader::operator=(CountReader&&) noexcept = default;

Index CountReader::num_features() const { return impl_->num_features; }
Index CountReader::num_observations() const { return impl_->num_observations; }
const std::vector<std::string>& CountReader::observation_names() const { return impl_->Observations(); }
const std::vector<double>& CountReader::ObservationTotals() const { return impl_->Totals(); }
std::vector<std::string> CountReader::FeatureNames(Index begin, Index end) const {
  CheckRange(begin, end);
  return impl_->FeatureNames(begin, end);
}

std::int64_t CountReader::BytesToRead(Index begin, Index end) const {
  const std::int64_t stored = Nonzeros(begin, end);
  const std::int64_t dense = static_cast<std::int64_t>(end - begin) * impl_->num_observations;
  const bool sparse = impl_->kind == Impl::Kind::kMatrixMarket ||
                     (impl_->kind == Impl::Kind::kBlocks && !impl_->blocks->is_dense()) ||
                      1.0 - static_cast<double>(stored) / static_cast<double>(std::max<std::int64_t>(dense, 1)) >
                          kSparseZeroFraction;
  // CSR: 4-byte column + 8-byte value per stored count, 8 bytes per row;
  // dense: 8 bytes per count. MatrixMarket reads briefly hold explicit
  // zeros as well.
  if (!sparse) return dense * 8;
  std::int64_t entries = stored;
  if (impl_->kind == Impl::Kind::kMatrixMarket) {
    entries = 0;
    for (Index f = begin; f < end; ++f) entries += impl_->entries[static_cast<std::size_t>(f)];
  }
  return entries * 12 + static_cast<std::int64_t>(end - begin + 1) * 8;
}

std::int64_t CountReader::Nonzeros(Index begin, Index end) const {
  CheckRange(begin, end);
  const std::vector<std::uint32_t>& nonzeros = impl_->Nonzeros();
  std::int64_t total = 0;
  for (Index f = begin; f < end; ++f) total += nonzeros[static_cast<std::size_t>(f)];
  return total;
}

CountMatrix CountReader::Read(Index begin, Index end) const {
  CheckRange(begin, end);
  if (begin == end) throw InputError(impl_->path, "features " + std::to_string(begin) + ":" + std::to_string(end), "an empty range");
  switch (impl_->kind) {
    case Impl::Kind::kMatrixMarket:
      return impl_->ReadMatrixMarket(begin, end);
    case Impl::Kind::kBlocks:
      return impl_->blocks->Read(begin, end);
    case Impl::Kind::kDense:
      break;
  }
  return impl_->ReadDense(begin, end);
}

void CountReader::CheckRange(Index begin, Index end) const {
  if (begin < 0 || end < begin || end > impl_->num_features) {
    throw InputError(impl_->path, "features " + std::to_string(begin) + ":" + std::to_string(end),
                     "must lie within 0:" + std::to_string(impl_->num_features));
  }
}

std::vector<std::pair<Index, Index>> PlanFeatureChunks(const CountReader& reader, Index begin, Index end,
                                                       std::int64_t max_bytes) {
  std::vector<std::pair<Index, Index>> chunks;
  Index first = begin;
  while (first < end) {
    // Grow the chunk by doubling, then settle by bisection: O(log) estimates.
    Index last = first + 1;
    Index step = 1;
    while (last < end && reader.BytesToRead(first, std::min(end, last + step)) <= max_bytes) {
      last = std::min(end, last + step);
      step *= 2;
    }
    while (step > 1 && last < end) {
      step /= 2;
      if (last + step <= end && reader.BytesToRead(first, last + step) <= max_bytes) last += step;
    }
    chunks.emplace_back(first, last);
    first = last;
  }
  return chunks;
}

namespace {
CountMatrix ReadWhole(const CountReader& reader) { return reader.Read(0, reader.num_features()); }
}  // namespace

CountMatrix ReadMatrixMarket(const std::string& path) {
  return ReadWhole(CountReader(path, CountFormat::kMatrixMarket));
}

CountMatrix ParseMatrixMarketText(const std::string& contents, const std::string& what) {
  return ReadWhole(CountReader(contents, what, /*matrix_market=*/true));
}

CountMatrix Read10xDirectory(const std::string& directory) {
  return ReadWhole(CountReader(directory, CountFormat::kTenXDirectory));
}

CountMatrix ReadDenseCounts(const std::string& path) { return ReadWhole(CountReader(path, CountFormat::kDenseTable)); }

CountMatrix ParseDenseCountsText(const std::string& contents, const std::string& what) {
  return ReadWhole(CountReader(contents, what, /*matrix_market=*/false));
}

CountMatrix ReadCounts(const std::string& path) { return ReadWhole(CountReader(path)); }

std::string CountsToMatrixMarket(const CountMatrix& counts) {
  const Index num_features = counts.num_features();
  const Index num_observations = counts.num_observations();
  std::int64_t nonzeros = 0;
  if (counts.is_sparse()) {
    for (const double v : counts.sparse_values()) nonzeros += v != 0.0;
  } else {
    const Matrix& dense = counts.dense_counts();
    for (std::size_t k = 0; k < dense.size(); ++k) nonzeros += dense.data()[k] != 0.0;
  }
  std::string out = "%%MatrixMarket matrix coordinate integer general\n";
  out.reserve(out.size() + 32 + static_cast<std::size_t>(nonzeros) * 16);
  AppendInteger(&out, num_features);
  out.push_back(' ');
  AppendInteger(&out, num_observations);
  out.push_back(' ');
  AppendInteger(&out, nonzeros);
  out.push_back('\n');
  auto append_entry = [&out](Index feature, Index observation, double value) {
    AppendInteger(&out, feature + 1);
    out.push_back(' ');
    AppendInteger(&out, observation + 1);
    out.push_back(' ');
    AppendInteger(&out, static_cast<std::int64_t>(value));  // counts are integers ≤ kMaxCount
    out.push_back('\n');
  };
  if (counts.is_sparse()) {
    const std::vector<std::int64_t>& offsets = counts.row_offsets();
    const std::vector<std::int32_t>& columns = counts.column_indices();
    const std::vector<double>& values = counts.sparse_values();
    for (Index f = 0; f < num_features; ++f) {
      for (std::int64_t k = offsets[static_cast<std::size_t>(f)]; k < offsets[static_cast<std::size_t>(f) + 1]; ++k) {
        const double value = values[static_cast<std::size_t>(k)];
        if (value != 0.0) append_entry(f, columns[static_cast<std::size_t>(k)], value);
      }
    }
  } else {
    const double* data = counts.dense_counts().data();
    for (Index f = 0; f < num_features; ++f) {
      for (Index i = 0; i < num_observations; ++i) {
        const double value = data[f * num_observations + i];
        if (value != 0.0) append_entry(f, i, value);
      }
    }
  }
  return out;
}

void WriteMatrixMarket(const std::string& path, const CountMatrix& counts) {
  WriteFileAtomically(path, CountsToMatrixMarket(counts));
}

std::string CountsToTsv(const CountMatrix& counts) {
  std::string out = "feature";
  for (const std::string& name : counts.observation_names()) {
    out.push_back('\t');
    out += name;
  }
  out.push_back('\n');
  std::vector<double> row(static_cast<std::size_t>(counts.num_observations()));
  for (Index f = 0; f < counts.num_features(); ++f) {
    out += counts.feature_names()[static_cast<std::size_t>(f)];
    counts.CopyFeature(f, row.data());
    for (const double value : row) {
      out.push_back('\t');
      AppendInteger(&out, static_cast<std::int64_t>(value));
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace nbglm
