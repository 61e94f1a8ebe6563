#include "io/hdf5_counts.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "io/hdf5_file.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Element(const hdf5::Dataset& dataset, std::int64_t index) {
  return dataset.Where() + "[" + std::to_string(index) + "]";
}

void CheckCount(double value, std::int64_t index, const hdf5::Dataset& dataset) {
  std::string rule;
  if (!IsValidCount(value, &rule)) {
    throw InputError(Element(dataset, index), FormatDouble(value), rule);
  }
}

void CheckDimension(std::int64_t value, const std::string& where, const char* what) {
  if (value < 1 || value > kMaxCountDimension) {
    throw InputError(where, std::to_string(value) + " " + what,
                     "between 1 and " + std::to_string(kMaxCountDimension) + " are supported");
  }
}

}  // namespace

bool IsHdf5CountsPath(const std::string& path) {
  return EndsWith(path, ".h5ad") || EndsWith(path, ".h5") || EndsWith(path, ".hdf5");
}

struct Hdf5CountSource::Files {
  explicit Files(const std::string& path) : file(path) {}
  hdf5::File file;
  std::optional<hdf5::Dataset> dense;    // kDense: the 2-D matrix
  std::optional<hdf5::Dataset> data;     // compressed: values
  std::optional<hdf5::Dataset> indices;  // compressed: minor indices
};

Hdf5CountSource::~Hdf5CountSource() = default;

Hdf5CountSource::Hdf5CountSource(const std::string& path, const std::string& layer)
    : files_(std::make_unique<Files>(path)), path_(path) {
  const hdf5::File& file = files_->file;
  if (file.IsGroup("/obs") && file.IsGroup("/var")) {
    OpenAnnData(layer);
  } else {
    if (!layer.empty()) {
      throw InputError(path, "layer '" + layer + "'", "layers exist only in AnnData (.h5ad) files, this has no /obs and /var");
    }
    OpenTenX();
  }
}

namespace {

// The names of an AnnData dataframe (obs or var): the column its "_index"
// attribute names (default "_index").
std::vector<std::string> DataframeIndex(const hdf5::File& file, const std::string& group) {
  std::string column = "_index";
  if (file.HasAttribute(group, "_index")) column = file.StringAttribute(group, "_index");
  const std::string name = group + "/" + column;
  if (!file.IsDataset(name)) {
    throw InputError(file.Where(group), "no index '" + column + "'", "an AnnData dataframe holds its row names");
  }
  return hdf5::Dataset(file, name).ReadStrings();
}

}  // namespace

void Hdf5CountSource::OpenAnnData(const std::string& layer) {
  const hdf5::File& file = files_->file;
  matrix_ = layer.empty() ? "/X" : "/layers/" + layer;
  if (!file.IsGroup(matrix_) && !file.IsDataset(matrix_)) {
    if (layer.empty()) throw InputError(file.Where("/X"), "missing", "an AnnData file with counts holds X (or give --layer)");
    std::string available;
    if (file.IsGroup("/layers")) {
      for (const std::string& name : file.Members("/layers")) available += (available.empty() ? "" : ", ") + name;
    }
    throw InputError(file.Where(matrix_), "no such layer",
                     "layers of this file: " + (available.empty() ? std::string("none") : available));
  }
  observation_names_ = DataframeIndex(file, "/obs");
  feature_names_ = DataframeIndex(file, "/var");
  const std::int64_t num_obs = static_cast<std::int64_t>(observation_names_.size());
  const std::int64_t num_var = static_cast<std::int64_t>(feature_names_.size());
  CheckDimension(num_obs, file.Where("/obs"), "observations");
  CheckDimension(num_var, file.Where("/var"), "features");
  num_observations_ = num_obs;
  num_features_ = num_var;
  const std::string what = layer.empty() ? "X" : "layer '" + layer + "'";

  if (file.IsDataset(matrix_)) {
    layout_ = Layout::kDense;
    description_ = "AnnData " + what + " (dense)";
    files_->dense.emplace(file, matrix_);
    const std::vector<std::int64_t>& dims = files_->dense->dims();
    if (dims.size() != 2 || dims[0] != num_obs || dims[1] != num_var) {
      std::string shape;
      for (const std::int64_t d : dims) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
      throw InputError(files_->dense->Where(), "shape " + (shape.empty() ? std::string("scalar") : shape),
                       "expected obs x var = " + std::to_string(num_obs) + " x " + std::to_string(num_var));
    }
    ScanDense();
    return;
  }
  // A sparse matrix group: anndata >= 0.8 "encoding-type" + "shape";
  // anndata 0.7 "h5sparse_format" + "h5sparse_shape".
  std::string format, shape_attribute;
  if (file.HasAttribute(matrix_, "encoding-type")) {
    format = file.StringAttribute(matrix_, "encoding-type");
    shape_attribute = "shape";
  } else if (file.HasAttribute(matrix_, "h5sparse_format")) {
    format = file.StringAttribute(matrix_, "h5sparse_format") + "_matrix";
    shape_attribute = "h5sparse_shape";
  } else {
    throw InputError(file.Where(matrix_), "a group without 'encoding-type'",
                     "a sparse AnnData matrix is a csr_matrix or csc_matrix group");
  }
  if (format != "csr_matrix" && format != "csc_matrix") {
    throw InputError(file.Where(matrix_), "encoding '" + format + "'", "counts are read from csr_matrix, csc_matrix or dense");
  }
  const std::vector<std::int64_t> shape = file.IntegerArrayAttribute(matrix_, shape_attribute);
  if (shape.size() != 2 || shape[0] != num_obs || shape[1] != num_var) {
    std::string text;
    for (const std::int64_t d : shape) text += (text.empty() ? "" : " x ") + std::to_string(d);
    throw InputError(file.Where(matrix_) + " attribute '" + shape_attribute + "'", text,
                     "expected obs x var = " + std::to_string(num_obs) + " x " + std::to_string(num_var));
  }
  if (format == "csr_matrix") {
    layout_ = Layout::kByObservation;
    description_ = "AnnData " + what + " (CSR)";
    OpenCompressed(matrix_, num_obs, num_var);
  } else {
    layout_ = Layout::kByFeature;
    description_ = "AnnData " + what + " (CSC)";
    OpenCompressed(matrix_, num_var, num_obs);
  }
}

void Hdf5CountSource::OpenTenX() {
  const hdf5::File& file = files_->file;
  std::string group, feature_ids;
  if (file.IsGroup("/matrix")) {
    group = "/matrix";
    feature_ids = "/matrix/features/id";
    description_ = "10x Cell Ranger HDF5";
  } else {
    // Cell Ranger 2: one group per genome holding genes, barcodes, data, ….
    std::vector<std::string> genomes;
    for (const std::string& name : file.Members("/")) {
      if (file.IsGroup("/" + name) && file.IsDataset("/" + name + "/indptr")) genomes.push_back(name);
    }
    if (genomes.size() != 1) {
      throw InputError(path_, genomes.empty() ? "no /matrix group" : std::to_string(genomes.size()) + " genome groups",
                       "an HDF5 counts file is AnnData (/X, /obs, /var) or 10x Cell Ranger (/matrix, or one genome group)");
    }
    group = "/" + genomes[0];
    feature_ids = group + "/genes";
    description_ = "10x Cell Ranger 2 HDF5";
  }
  matrix_ = group;
  hdf5::Dataset shape_dataset(file, group + "/shape");
  if (shape_dataset.rank() != 1 || shape_dataset.size() != 2) {
    throw InputError(shape_dataset.Where(), std::to_string(shape_dataset.size()) + " values",
                     "the shape holds features and barcodes");
  }
  std::int64_t shape[2] = {0, 0};
  shape_dataset.Read(0, 2, shape);
  CheckDimension(shape[0], shape_dataset.Where(), "features");
  CheckDimension(shape[1], shape_dataset.Where(), "barcodes");
  feature_names_ = hdf5::Dataset(file, feature_ids).ReadStrings();
  observation_names_ = hdf5::Dataset(file, group + "/barcodes").ReadStrings();
  if (static_cast<std::int64_t>(feature_names_.size()) != shape[0]) {
    throw InputError(file.Where(feature_ids), std::to_string(feature_names_.size()) + " ids",
                     "the shape says " + std::to_string(shape[0]) + " features");
  }
  if (static_cast<std::int64_t>(observation_names_.size()) != shape[1]) {
    throw InputError(file.Where(group + "/barcodes"), std::to_string(observation_names_.size()) + " barcodes",
                     "the shape says " + std::to_string(shape[1]) + " barcodes");
  }
  num_features_ = shape[0];
  num_observations_ = shape[1];
  layout_ = Layout::kByObservation;  // features × barcodes CSC: compressed by barcode
  OpenCompressed(group, shape[1], shape[0]);
}

// Checks a compressed matrix in `group` (data, indices, indptr) with `major`
// compressed slots and `minor` indices, keeps indptr, and counts the
// non-zero values of each feature.
void Hdf5CountSource::OpenCompressed(const std::string& group, std::int64_t major, std::int64_t minor) {
  const hdf5::File& file = files_->file;
  files_->data.emplace(file, group + "/data");
  files_->indices.emplace(file, group + "/indices");
  const hdf5::Dataset indptr(file, group + "/indptr");
  const hdf5::Dataset& data = *files_->data;
  const hdf5::Dataset& indices = *files_->indices;
  for (const hdf5::Dataset* d : {&data, &indices, &indptr}) {
    if (d->rank() != 1) throw InputError(d->Where(), std::to_string(d->rank()) + "-D", "expected a 1-D array");
  }
  if (data.value_class() != hdf5::ValueClass::kInteger && data.value_class() != hdf5::ValueClass::kFloat) {
    throw InputError(data.Where(), "not numbers", "counts are integers, or floats holding integers");
  }
  for (const hdf5::Dataset* d : {&indices, &indptr}) {
    if (d->value_class() != hdf5::ValueClass::kInteger) {
      throw InputError(d->Where(), "not integers", "indices and offsets are integers");
    }
  }
  if (indptr.size() != major + 1) {
    throw InputError(indptr.Where(), std::to_string(indptr.size()) + " offsets",
                     "expected " + std::to_string(major + 1) + " (one more than the " + std::to_string(major) +
                         " compressed rows or columns)");
  }
  const std::int64_t entries = data.size();
  if (indices.size() != entries) {
    throw InputError(indices.Where(), std::to_string(indices.size()) + " indices",
                     data.Where() + " has " + std::to_string(entries) + " values");
  }
  offsets_.assign(static_cast<std::size_t>(major + 1), 0);
  indptr.Read(0, major + 1, offsets_.data());
  if (offsets_[0] != 0) throw InputError(Element(indptr, 0), std::to_string(offsets_[0]), "offsets start at 0");
  for (std::int64_t k = 0; k < major; ++k) {
    if (offsets_[static_cast<std::size_t>(k + 1)] < offsets_[static_cast<std::size_t>(k)]) {
      throw InputError(Element(indptr, k + 1), std::to_string(offsets_[static_cast<std::size_t>(k + 1)]),
                       "offsets never decrease (previous " + std::to_string(offsets_[static_cast<std::size_t>(k)]) + ")");
    }
  }
  if (offsets_.back() != entries) {
    throw InputError(Element(indptr, major), std::to_string(offsets_.back()),
                     "the last offset equals the number of stored values, " + std::to_string(entries));
  }
  nonzeros_.assign(static_cast<std::size_t>(num_features_), 0);
  std::vector<double> values;
  std::vector<std::int64_t> minors;
  std::size_t slot = 0;  // the compressed row / column of the current entry
  for (std::int64_t first = 0; first < entries; first += kHdf5ChunkElements) {
    const std::int64_t count = std::min(kHdf5ChunkElements, entries - first);
    values.resize(static_cast<std::size_t>(count));
    minors.resize(static_cast<std::size_t>(count));
    data.Read(first, count, values.data());
    indices.Read(first, count, minors.data());
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t position = first + k;
      const std::int64_t index = minors[static_cast<std::size_t>(k)];
      if (index < 0 || index >= minor) {
        throw InputError(Element(indices, position), std::to_string(index),
                         "indices lie in [0, " + std::to_string(minor) + ")");
      }
      const double value = values[static_cast<std::size_t>(k)];
      CheckCount(value, position, data);
      if (value == 0.0) continue;
      if (layout_ == Layout::kByObservation) {
        ++nonzeros_[static_cast<std::size_t>(index)];
      } else {
        while (offsets_[slot + 1] <= position) ++slot;
        ++nonzeros_[slot];
      }
    }
  }
}

// Checks every value of a dense X, counting each feature's non-zeros.
void Hdf5CountSource::ScanDense() {
  const hdf5::Dataset& dense = *files_->dense;
  if (dense.value_class() != hdf5::ValueClass::kInteger && dense.value_class() != hdf5::ValueClass::kFloat) {
    throw InputError(dense.Where(), "not numbers", "counts are integers, or floats holding integers");
  }
  nonzeros_.assign(static_cast<std::size_t>(num_features_), 0);
  const std::int64_t rows_per_block = std::max<std::int64_t>(1, kHdf5ChunkElements / num_features_);
  std::vector<double> block;
  std::string rule;
  for (std::int64_t row = 0; row < num_observations_; row += rows_per_block) {
    const std::int64_t rows = std::min(rows_per_block, num_observations_ - row);
    block.resize(static_cast<std::size_t>(rows * num_features_));
    dense.ReadBlock(row, rows, 0, num_features_, block.data());
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t f = 0; f < num_features_; ++f) {
        const double value = block[static_cast<std::size_t>(r * num_features_ + f)];
        if (!IsValidCount(value, &rule)) {
          throw InputError(dense.Where() + "[" + std::to_string(row + r) + ", " + std::to_string(f) + "]",
                           FormatDouble(value), rule);
        }
        if (value != 0.0) ++nonzeros_[static_cast<std::size_t>(f)];
      }
    }
  }
}

CountMatrix Hdf5CountSource::Read(Index begin, Index end) const {
  switch (layout_) {
    case Layout::kDense:
      return ReadDense(begin, end);
    case Layout::kByObservation:
      return ReadByObservation(begin, end);
    case Layout::kByFeature:
      break;
  }
  return ReadByFeature(begin, end);
}

namespace {
std::vector<std::string> Slice(const std::vector<std::string>& names, Index begin, Index end) {
  return std::vector<std::string>(names.begin() + begin, names.begin() + end);
}
}  // namespace

CountMatrix Hdf5CountSource::ReadDense(Index begin, Index end) const {
  const hdf5::Dataset& dense = *files_->dense;
  const std::int64_t columns = end - begin;
  const std::size_t rows_total = static_cast<std::size_t>(num_observations_);
  std::int64_t stored = 0;
  for (Index f = begin; f < end; ++f) stored += nonzeros_[static_cast<std::size_t>(f)];
  const double zero_fraction =
      1.0 - static_cast<double>(stored) / (static_cast<double>(columns) * static_cast<double>(num_observations_));
  const bool sparse = zero_fraction > kSparseZeroFraction;
  // Transposed into features × observations (dense), or counted then
  // scattered into CSR rows (sparse).
  Matrix out;
  std::vector<std::int64_t> row_offsets;
  std::vector<std::int32_t> csr_columns;
  std::vector<double> csr_values;
  std::vector<std::int64_t> cursor;
  if (sparse) {
    row_offsets.assign(static_cast<std::size_t>(columns) + 1, 0);
    for (std::int64_t f = 0; f < columns; ++f) {
      row_offsets[static_cast<std::size_t>(f + 1)] = row_offsets[static_cast<std::size_t>(f)] +
                                                     nonzeros_[static_cast<std::size_t>(begin + f)];
    }
    csr_columns.resize(static_cast<std::size_t>(stored));
    csr_values.resize(static_cast<std::size_t>(stored));
    cursor.assign(row_offsets.begin(), row_offsets.end() - 1);
  } else {
    out = Matrix::from_shape({static_cast<std::size_t>(columns), rows_total});
  }
  const std::int64_t rows_per_block = std::max<std::int64_t>(1, kHdf5ChunkElements / columns);
  std::vector<double> block;
  for (std::int64_t row = 0; row < num_observations_; row += rows_per_block) {
    const std::int64_t rows = std::min(rows_per_block, num_observations_ - row);
    block.resize(static_cast<std::size_t>(rows * columns));
    dense.ReadBlock(row, rows, begin, columns, block.data());
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t f = 0; f < columns; ++f) {
        const double value = block[static_cast<std::size_t>(r * columns + f)];
        if (!sparse) {
          out(static_cast<std::size_t>(f), static_cast<std::size_t>(row + r)) = value;
        } else if (value != 0.0) {
          std::int64_t& at = cursor[static_cast<std::size_t>(f)];
          if (at >= row_offsets[static_cast<std::size_t>(f + 1)]) {
            throw InputError(dense.Where(), "changed while read", "the file was modified during the run");
          }
          csr_columns[static_cast<std::size_t>(at)] = static_cast<std::int32_t>(row + r);
          csr_values[static_cast<std::size_t>(at)] = value;
          ++at;
        }
      }
    }
  }
  if (!sparse) {
    return CountMatrix::FromDense(std::move(out), Slice(feature_names_, begin, end), observation_names_, path_);
  }
  return CountMatrix::FromCsr(columns, num_observations_, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), Slice(feature_names_, begin, end), observation_names_, path_);
}

// Compressed by observation (AnnData CSR, 10x CSC): every entry is streamed
// in observation order, so each feature's observations arrive sorted; an
// equal neighbour is a duplicated entry.
CountMatrix Hdf5CountSource::ReadByObservation(Index begin, Index end) const {
  const hdf5::Dataset& data = *files_->data;
  const hdf5::Dataset& indices = *files_->indices;
  const std::size_t rows = static_cast<std::size_t>(end - begin);
  std::vector<std::int64_t> row_offsets(rows + 1, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    row_offsets[r + 1] = row_offsets[r] + nonzeros_[static_cast<std::size_t>(begin) + r];
  }
  const std::size_t total = static_cast<std::size_t>(row_offsets[rows]);
  std::vector<std::int32_t> csr_columns(total);
  std::vector<double> csr_values(total);
  std::vector<std::int64_t> cursor(row_offsets.begin(), row_offsets.end() - 1);
  const std::int64_t entries = data.size();
  std::vector<double> values;
  std::vector<std::int64_t> minors;
  std::size_t observation = 0;
  for (std::int64_t first = 0; first < entries; first += kHdf5ChunkElements) {
    const std::int64_t count = std::min(kHdf5ChunkElements, entries - first);
    values.resize(static_cast<std::size_t>(count));
    minors.resize(static_cast<std::size_t>(count));
    data.Read(first, count, values.data());
    indices.Read(first, count, minors.data());
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t feature = minors[static_cast<std::size_t>(k)];
      const double value = values[static_cast<std::size_t>(k)];
      if (feature < begin || feature >= end || value == 0.0) continue;
      const std::int64_t position = first + k;
      while (offsets_[observation + 1] <= position) ++observation;
      const std::size_t r = static_cast<std::size_t>(feature - begin);
      std::int64_t& at = cursor[r];
      if (at >= row_offsets[r + 1]) throw InputError(data.Where(), "changed while read", "the file was modified during the run");
      if (at > row_offsets[r] && csr_columns[static_cast<std::size_t>(at - 1)] == static_cast<std::int32_t>(observation)) {
        throw InputError(Element(indices, position), std::to_string(feature),
                         "feature " + std::to_string(feature) + " is stored twice for observation " +
                             std::to_string(observation) + " (a duplicated entry)");
      }
      csr_columns[static_cast<std::size_t>(at)] = static_cast<std::int32_t>(observation);
      csr_values[static_cast<std::size_t>(at)] = value;
      ++at;
    }
  }
  return CountMatrix::FromCsr(end - begin, num_observations_, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), Slice(feature_names_, begin, end), observation_names_, path_);
}

// Compressed by feature (AnnData CSC): the features' slices are read
// directly; observations are sorted within a feature when the file did not.
CountMatrix Hdf5CountSource::ReadByFeature(Index begin, Index end) const {
  const hdf5::Dataset& data = *files_->data;
  const hdf5::Dataset& indices = *files_->indices;
  const std::size_t rows = static_cast<std::size_t>(end - begin);
  std::vector<std::int64_t> row_offsets(rows + 1, 0);
  std::vector<std::int32_t> csr_columns;
  std::vector<double> csr_values;
  std::int64_t stored = 0;
  for (Index f = begin; f < end; ++f) stored += nonzeros_[static_cast<std::size_t>(f)];
  csr_columns.reserve(static_cast<std::size_t>(stored));
  csr_values.reserve(static_cast<std::size_t>(stored));
  std::vector<double> values;
  std::vector<std::int64_t> minors;
  std::vector<std::pair<std::int32_t, double>> entries;
  for (Index f = begin; f < end; ++f) {
    const std::int64_t first = offsets_[static_cast<std::size_t>(f)];
    const std::int64_t last = offsets_[static_cast<std::size_t>(f + 1)];
    entries.clear();
    for (std::int64_t at = first; at < last; at += kHdf5ChunkElements) {
      const std::int64_t count = std::min(kHdf5ChunkElements, last - at);
      values.resize(static_cast<std::size_t>(count));
      minors.resize(static_cast<std::size_t>(count));
      data.Read(at, count, values.data());
      indices.Read(at, count, minors.data());
      for (std::int64_t k = 0; k < count; ++k) {
        const double value = values[static_cast<std::size_t>(k)];
        const std::int64_t observation = minors[static_cast<std::size_t>(k)];
        if (observation < 0 || observation >= num_observations_) {
          throw InputError(data.Where(), "changed while read", "the file was modified during the run");
        }
        if (value != 0.0) entries.emplace_back(static_cast<std::int32_t>(observation), value);
      }
    }
    if (!std::is_sorted(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; })) {
      std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    for (std::size_t k = 0; k + 1 < entries.size(); ++k) {
      if (entries[k].first == entries[k + 1].first) {
        throw InputError(indices.Where(), "feature " + std::to_string(f),
                         "observation " + std::to_string(entries[k].first) + " is stored twice (a duplicated entry)");
      }
    }
    for (const auto& [observation, value] : entries) {
      csr_columns.push_back(observation);
      csr_values.push_back(value);
    }
    row_offsets[static_cast<std::size_t>(f - begin + 1)] = static_cast<std::int64_t>(csr_values.size());
  }
  return CountMatrix::FromCsr(end - begin, num_observations_, std::move(row_offsets), std::move(csr_columns),
                              std::move(csr_values), Slice(feature_names_, begin, end), observation_names_, path_);
}

}  // namespace nbglm
