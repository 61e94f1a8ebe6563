// WriteFeatureMajorH5ad (nbglm/counts_io.h): counts as an AnnData file whose
// X is CSC — observations × features compressed by feature — so that a range
// of features is one slice of each dataset (docs/formats.md "Feature-major
// .h5ad"), written with the HDF5 C library a chunk of features at a time.
//
// The layout is anndata ≥ 0.8's ("encoding-type" attributes), which anndata,
// scanpy and nbglm's own reader (hdf5_counts.cc) read:
//   /            encoding-type "anndata", encoding-version "0.1.0"
//   /X           encoding-type "csc_matrix", encoding-version "0.1.0",
//                shape (observations, features)
//   /X/data      int32 counts (every count is ≤ kMaxCount = 2^31 − 1)
//   /X/indices   int32 observation of each count (observations ≤ 10^8)
//   /X/indptr    int64, features + 1 offsets
//   /obs, /var   encoding-type "dataframe", _index "_index", no columns;
//                /obs/_index, /var/_index the names (variable-length UTF-8)
// Datasets are chunked and uncompressed: reading them back is a copy, not a
// parse or a decompression.
#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "nbglm/counts_io.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

// Elements per HDF5 chunk of the 1-D datasets (256 KiB of int32).
constexpr hsize_t kChunkElements = hsize_t{1} << 16;

// One HDF5 identifier, closed by its own close function.
class Id {
 public:
  Id(hid_t id, herr_t (*close)(hid_t), const std::string& what) : id_(id), close_(close) {
    if (id_ < 0) throw InputError(what, "cannot be created", "HDF5 refused it (disk full or not writable?)");
  }
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  Id(Id&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id& operator=(Id&&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

class Writer {
 public:
  explicit Writer(const std::string& path) : path_(path) {}

  void Check(herr_t status, const std::string& object) const {
    if (status < 0) throw InputError(path_ + ":" + object, "write failed", "HDF5 could not write it (disk full?)");
  }

  Id StringType() const {
    Id type(H5Tcopy(H5T_C_S1), H5Tclose, path_);
    Check(H5Tset_size(type.get(), H5T_VARIABLE), "string type");
    Check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "string type");
    return type;
  }

  void StringAttribute(hid_t object, const std::string& object_name, const char* name, const std::string& value) const {
    const Id type = StringType();
    const Id space(H5Screate(H5S_SCALAR), H5Sclose, path_);
    const Id attribute(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       path_ + ":" + object_name + " attribute " + name);
    const char* text = value.c_str();
    Check(H5Awrite(attribute.get(), type.get(), &text), object_name + " attribute " + name);
  }

  void StringArrayAttribute(hid_t object, const std::string& object_name, const char* name,
                            const std::vector<std::string>& values) const {
    const Id type = StringType();
    const hsize_t size = values.size();
    const Id space(H5Screate_simple(1, &size, nullptr), H5Sclose, path_);
    const Id attribute(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       path_ + ":" + object_name + " attribute " + name);
    std::vector<const char*> texts;
    for (const std::string& value : values) texts.push_back(value.c_str());
    if (!texts.empty()) Check(H5Awrite(attribute.get(), type.get(), texts.data()), object_name + " attribute " + name);
  }

  void Int64ArrayAttribute(hid_t object, const std::string& object_name, const char* name,
                           const std::vector<std::int64_t>& values) const {
    const hsize_t size = values.size();
    const Id space(H5Screate_simple(1, &size, nullptr), H5Sclose, path_);
    const Id attribute(H5Acreate2(object, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       path_ + ":" + object_name + " attribute " + name);
    Check(H5Awrite(attribute.get(), H5T_NATIVE_INT64, values.data()), object_name + " attribute " + name);
  }

  // A dataframe group holding only its index: the names.
  void Dataframe(hid_t file, const std::string& name, const std::vector<std::string>& index) const {
    const Id group(H5Gcreate2(file, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, path_ + ":" + name);
    StringAttribute(group.get(), name, "encoding-type", "dataframe");
    StringAttribute(group.get(), name, "encoding-version", "0.2.0");
    StringAttribute(group.get(), name, "_index", "_index");
    StringArrayAttribute(group.get(), name, "column-order", {});
    const std::string dataset_name = name + "/_index";
    const Id type = StringType();
    const hsize_t size = index.size();
    const Id space(H5Screate_simple(1, &size, nullptr), H5Sclose, path_);
    const Id dataset(H5Dcreate2(file, dataset_name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                H5P_DEFAULT),
                     H5Dclose, path_ + ":" + dataset_name);
    std::vector<const char*> texts;
    for (const std::string& value : index) texts.push_back(value.c_str());
    Check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), dataset_name);
    StringAttribute(dataset.get(), dataset_name, "encoding-type", "string-array");
    StringAttribute(dataset.get(), dataset_name, "encoding-version", "0.2.0");
  }

  // An empty 1-D dataset that grows by Append.
  Id Extendible(hid_t file, const std::string& name, hid_t file_type) const {
    const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
    const Id space(H5Screate_simple(1, &zero, &unlimited), H5Sclose, path_);
    const Id properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path_);
    Check(H5Pset_chunk(properties.get(), 1, &kChunkElements), name);
    return Id(H5Dcreate2(file, name.c_str(), file_type, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
              H5Dclose, path_ + ":" + name);
  }

  // Appends `count` elements at `offset` (the dataset's current length).
  void Append(const Id& dataset, const std::string& name, hid_t memory_type, const void* values, hsize_t offset,
              hsize_t count) const {
    if (count == 0) return;
    const hsize_t size = offset + count;
    Check(H5Dset_extent(dataset.get(), &size), name);
    const Id file_space(H5Dget_space(dataset.get()), H5Sclose, path_);
    Check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &offset, nullptr, &count, nullptr), name);
    const Id memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose, path_);
    Check(H5Dwrite(dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, values), name);
  }

 private:
  std::string path_;
};

void WriteFile(const CountReader& reader, const std::string& temporary, const std::string& path,
               std::int64_t chunk_bytes) {
  const Writer writer(path);
  const Id file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, path);
  writer.StringAttribute(file.get(), "/", "encoding-type", "anndata");
  writer.StringAttribute(file.get(), "/", "encoding-version", "0.1.0");
  {
    const Id x(H5Gcreate2(file.get(), "/X", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, path + ":/X");
    writer.StringAttribute(x.get(), "/X", "encoding-type", "csc_matrix");
    writer.StringAttribute(x.get(), "/X", "encoding-version", "0.1.0");
    writer.Int64ArrayAttribute(x.get(), "/X", "shape", {reader.num_observations(), reader.num_features()});
  }
  const Id data = writer.Extendible(file.get(), "/X/data", H5T_STD_I32LE);
  const Id indices = writer.Extendible(file.get(), "/X/indices", H5T_STD_I32LE);
  const Id indptr = writer.Extendible(file.get(), "/X/indptr", H5T_STD_I64LE);
  std::int64_t entries = 0;
  writer.Append(indptr, "/X/indptr", H5T_NATIVE_INT64, &entries, 0, 1);
  std::vector<std::int32_t> counts;
  std::vector<std::int64_t> offsets;
  std::vector<std::string> feature_names;
  feature_names.reserve(static_cast<std::size_t>(reader.num_features()));
  for (const auto& [begin, end] : PlanFeatureChunks(reader, 0, reader.num_features(), chunk_bytes)) {
    CountMatrix chunk = reader.Read(begin, end);
    if (!chunk.is_sparse()) chunk = chunk.ToSparse();
    counts.assign(chunk.sparse_values().begin(), chunk.sparse_values().end());  // integers ≤ 2^31 − 1
    offsets.resize(static_cast<std::size_t>(end - begin));
    for (Index f = 0; f < end - begin; ++f) offsets[static_cast<std::size_t>(f)] = entries + chunk.row_offsets()[f + 1];
    const auto stored = static_cast<hsize_t>(counts.size());
    writer.Append(data, "/X/data", H5T_NATIVE_INT32, counts.data(), static_cast<hsize_t>(entries), stored);
    writer.Append(indices, "/X/indices", H5T_NATIVE_INT32, chunk.column_indices().data(),
                  static_cast<hsize_t>(entries), stored);
    writer.Append(indptr, "/X/indptr", H5T_NATIVE_INT64, offsets.data(), static_cast<hsize_t>(begin + 1),
                  offsets.size());
    entries += static_cast<std::int64_t>(stored);
    feature_names.insert(feature_names.end(), chunk.feature_names().begin(), chunk.feature_names().end());
  }
  writer.Dataframe(file.get(), "/obs", reader.observation_names());
  writer.Dataframe(file.get(), "/var", feature_names);
  writer.Check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "/");
}

}  // namespace

void WriteFeatureMajorH5ad(const CountReader& reader, const std::string& path, std::int64_t chunk_bytes) {
  if (chunk_bytes <= 0) throw InputError("chunk_bytes", std::to_string(chunk_bytes), "must be positive");
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // failures become InputError, not printed stacks
  const std::string temporary = path + ".nbglm-tmp";
  try {
    WriteFile(reader, temporary, path, chunk_bytes);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw InputError(path, "cannot be written", "renaming the finished file into place failed");
  }
}

}  // namespace nbglm
