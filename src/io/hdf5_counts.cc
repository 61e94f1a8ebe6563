#include "io/hdf5_counts.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "io/hdf5_file.h"
#include "io/path_suffix.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

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

bool IsAnnDataPath(const std::string& path) { return EndsWith(path, ".h5ad"); }

struct Hdf5CountSource::Files {
  explicit Files(const std::string& path) : file(path) {}
  hdf5::File file;
  std::optional<hdf5::Dataset> dense;    // dense: the 2-D matrix
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
  what_ = path;
  Open();
}

DataframeIndex ReadDataframeIndex(const hdf5::File& file, const std::string& group) {
  DataframeIndex index;
  if (file.HasAttribute(group, "_index")) index.column = file.StringAttribute(group, "_index");
  const std::string name = group + "/" + index.column;
  if (!file.IsDataset(name)) {
    throw InputError(file.Where(group), "no index '" + index.column + "'", "an AnnData dataframe holds its row names");
  }
  index.names = hdf5::Dataset(file, name).ReadStrings();
  return index;
}

void Hdf5CountSource::OpenAnnData(const std::string& layer) {
  const hdf5::File& file = files_->file;
  const std::string matrix = layer.empty() ? "/X" : "/layers/" + layer;
  if (!file.IsGroup(matrix) && !file.IsDataset(matrix)) {
    if (layer.empty()) throw InputError(file.Where("/X"), "missing", "an AnnData file with counts holds X (or give --layer)");
    std::string available;
    if (file.IsGroup("/layers")) {
      for (const std::string& name : file.Members("/layers")) available += (available.empty() ? "" : ", ") + name;
    }
    throw InputError(file.Where(matrix), "no such layer",
                     "layers of this file: " + (available.empty() ? std::string("none") : available));
  }
  observation_names_ = ReadDataframeIndex(file, "/obs").names;
  feature_names_ = ReadDataframeIndex(file, "/var").names;
  const std::int64_t num_obs = static_cast<std::int64_t>(observation_names_.size());
  const std::int64_t num_var = static_cast<std::int64_t>(feature_names_.size());
  CheckDimension(num_obs, file.Where("/obs"), "observations");
  CheckDimension(num_var, file.Where("/var"), "features");
  num_observations_ = num_obs;
  num_features_ = num_var;
  const std::string what = layer.empty() ? "X" : "layer '" + layer + "'";

  if (file.IsDataset(matrix)) {
    layout_ = Layout::kDenseObservationRows;
    description_ = "AnnData " + what + " (dense)";
    files_->dense.emplace(file, matrix);
    values_name_ = files_->dense->Where();
    const std::vector<std::int64_t>& dims = files_->dense->dims();
    if (dims.size() != 2 || dims[0] != num_obs || dims[1] != num_var) {
      std::string shape;
      for (const std::int64_t d : dims) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
      throw InputError(files_->dense->Where(), "shape " + (shape.empty() ? std::string("scalar") : shape),
                       "expected obs x var = " + std::to_string(num_obs) + " x " + std::to_string(num_var));
    }
    if (files_->dense->value_class() != hdf5::ValueClass::kInteger &&
        files_->dense->value_class() != hdf5::ValueClass::kFloat) {
      throw InputError(files_->dense->Where(), "not numbers", "counts are integers, or floats holding integers");
    }
    return;
  }
  // A sparse matrix group: anndata >= 0.8 "encoding-type" + "shape";
  // anndata 0.7 "h5sparse_format" + "h5sparse_shape".
  std::string format, shape_attribute;
  if (file.HasAttribute(matrix, "encoding-type")) {
    format = file.StringAttribute(matrix, "encoding-type");
    shape_attribute = "shape";
  } else if (file.HasAttribute(matrix, "h5sparse_format")) {
    format = file.StringAttribute(matrix, "h5sparse_format") + "_matrix";
    shape_attribute = "h5sparse_shape";
  } else {
    throw InputError(file.Where(matrix), "a group without 'encoding-type'",
                     "a sparse AnnData matrix is a csr_matrix or csc_matrix group");
  }
  if (format != "csr_matrix" && format != "csc_matrix") {
    throw InputError(file.Where(matrix), "encoding '" + format + "'", "counts are read from csr_matrix, csc_matrix or dense");
  }
  const std::vector<std::int64_t> shape = file.IntegerArrayAttribute(matrix, shape_attribute);
  if (shape.size() != 2 || shape[0] != num_obs || shape[1] != num_var) {
    std::string text;
    for (const std::int64_t d : shape) text += (text.empty() ? "" : " x ") + std::to_string(d);
    throw InputError(file.Where(matrix) + " attribute '" + shape_attribute + "'", text,
                     "expected obs x var = " + std::to_string(num_obs) + " x " + std::to_string(num_var));
  }
  if (format == "csr_matrix") {
    layout_ = Layout::kByObservation;
    description_ = "AnnData " + what + " (CSR)";
    OpenCompressed(matrix);
  } else {
    layout_ = Layout::kByFeature;
    description_ = "AnnData " + what + " (CSC)";
    OpenCompressed(matrix);
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
  OpenCompressed(group);
}

// Opens data, indices and indptr of a compressed matrix in `group` and keeps
// the offsets; BlockCountSource::Open checks them against the layout.
void Hdf5CountSource::OpenCompressed(const std::string& group) {
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
  num_entries_ = data.size();
  if (indices.size() != num_entries_) {
    throw InputError(indices.Where(), std::to_string(indices.size()) + " indices",
                     data.Where() + " has " + std::to_string(num_entries_) + " values");
  }
  if (indptr.size() > kMaxCountDimension + 1) {
    throw InputError(indptr.Where(), std::to_string(indptr.size()) + " offsets", "more than any count matrix has");
  }
  offsets_.assign(static_cast<std::size_t>(indptr.size()), 0);
  indptr.Read(0, indptr.size(), offsets_.data());
  values_name_ = data.Where();
  indices_name_ = indices.Where();
  offsets_name_ = indptr.Where();
}

void Hdf5CountSource::ReadEntries(std::int64_t first, std::int64_t count, double* values,
                                  std::int64_t* indices) const {
  files_->data->Read(first, count, values);
  files_->indices->Read(first, count, indices);
}

void Hdf5CountSource::ReadDenseBlock(std::int64_t row, std::int64_t rows, std::int64_t column, std::int64_t columns,
                                     double* out) const {
  files_->dense->ReadBlock(row, rows, column, columns, out);
}

}  // namespace nbglm
