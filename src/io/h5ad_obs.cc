// Sample sheets from files: TSV/CSV text, or the obs dataframe of an AnnData
// file (docs/formats.md "HDF5 inputs"), as SampleSheetText.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "io/hdf5_counts.h"
#include "io/hdf5_file.h"
#include "nbglm/error.h"
#include "nbglm/sample_table.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

// A number as the sheet's text: NaN is missing, the rest FormatDouble's
// shortest round-trip form.
std::string ShortestText(double value) { return std::isnan(value) ? std::string("NA") : FormatDouble(value); }

// The encoding an AnnData element declares ("" when none).
std::string EncodingOf(const hdf5::File& file, const std::string& name) {
  return file.HasAttribute(name, "encoding-type") ? file.StringAttribute(name, "encoding-type") : "";
}

// A 1-D dataset as text, one entry per observation.
std::vector<std::string> DatasetText(const hdf5::File& file, const std::string& name, std::int64_t rows) {
  const hdf5::Dataset dataset(file, name);
  if (dataset.rank() != 1 || dataset.size() != rows || rows > hdf5::kMaxStrings) {
    throw InputError(dataset.Where(), std::to_string(dataset.size()) + " values",
                     "an obs column holds one value per observation (" + std::to_string(rows) + ")");
  }
  std::vector<std::string> text;
  text.reserve(static_cast<std::size_t>(rows));
  switch (dataset.value_class()) {
    case hdf5::ValueClass::kString:
      return dataset.ReadStrings();
    case hdf5::ValueClass::kInteger: {
      std::vector<std::int64_t> values(static_cast<std::size_t>(rows));
      dataset.Read(0, rows, values.data());
      for (const std::int64_t v : values) text.push_back(std::to_string(v));
      return text;
    }
    case hdf5::ValueClass::kFloat: {
      std::vector<double> values(static_cast<std::size_t>(rows));
      dataset.Read(0, rows, values.data());
      for (const double v : values) text.push_back(ShortestText(v));
      return text;
    }
    case hdf5::ValueClass::kBoolean: {
      std::vector<std::int64_t> values(static_cast<std::size_t>(rows));
      dataset.Read(0, rows, values.data());
      for (const std::int64_t v : values) text.push_back(v != 0 ? "TRUE" : "FALSE");
      return text;
    }
    case hdf5::ValueClass::kOther:
      break;
  }
  throw InputError(dataset.Where(), "not numbers, booleans or strings", "obs columns hold one of these");
}

std::vector<std::int64_t> IntegerDataset(const hdf5::File& file, const std::string& name, std::int64_t rows) {
  const hdf5::Dataset dataset(file, name);
  if (dataset.rank() != 1 || dataset.size() != rows) {
    throw InputError(dataset.Where(), std::to_string(dataset.size()) + " values",
                     "expected one per observation (" + std::to_string(rows) + ")");
  }
  if (dataset.value_class() != hdf5::ValueClass::kInteger && dataset.value_class() != hdf5::ValueClass::kBoolean) {
    throw InputError(dataset.Where(), "not integers", "codes and masks are integers or booleans");
  }
  std::vector<std::int64_t> values(static_cast<std::size_t>(rows));
  dataset.Read(0, rows, values.data());
  return values;
}

SampleSheetText ReadH5adObs(const std::string& path) {
  const hdf5::File file(path);
  if (!file.IsGroup("/obs")) {
    throw InputError(file.Where("/obs"), "missing",
                     "a sample sheet is read from an AnnData file's obs (a 10x .h5 has none: give --samples)");
  }
  const DataframeIndex obs_index = ReadDataframeIndex(file, "/obs");
  const std::string& index = obs_index.column;
  const std::vector<std::string>& names = obs_index.names;
  SampleSheetText sheet;
  TextTable& table = sheet.table;
  table.path = file.Where("/obs");
  const std::int64_t rows = static_cast<std::int64_t>(names.size());
  if (rows == 0) throw InputError(table.path, "no rows", "a sample sheet needs at least one observation");
  table.header.push_back(index == "_index" ? "observation" : index);
  table.rows.resize(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    table.rows[i].push_back(names[i]);
    table.line_numbers.push_back(i + 1);
  }
  std::vector<std::string> columns;
  if (file.HasAttribute("/obs", "column-order")) {
    columns = file.StringArrayAttribute("/obs", "column-order");
  } else {
    for (const std::string& member : file.Members("/obs")) {
      if (member != index && member != "__categories") columns.push_back(member);
    }
  }
  for (const std::string& column : columns) {
    const std::string name = "/obs/" + column;
    if (!file.IsGroup(name) && !file.IsDataset(name)) {
      throw InputError(file.Where(name), "missing", "named by /obs attribute 'column-order'");
    }
    const std::string encoding = EncodingOf(file, name);
    std::vector<std::string> text;
    if (encoding == "categorical") {
      std::vector<std::string> categories = DatasetText(file, name + "/categories",
                                                        hdf5::Dataset(file, name + "/categories").size());
      const std::vector<std::int64_t> codes = IntegerDataset(file, name + "/codes", rows);
      for (std::size_t i = 0; i < codes.size(); ++i) {
        const std::int64_t code = codes[i];
        if (code < -1 || code >= static_cast<std::int64_t>(categories.size())) {
          throw InputError(file.Where(name + "/codes") + "[" + std::to_string(i) + "]", std::to_string(code),
                           "codes lie in [-1, " + std::to_string(categories.size()) + ") (-1: missing)");
        }
        text.push_back(code < 0 ? "NA" : categories[static_cast<std::size_t>(code)]);
      }
      sheet.categories.emplace_back(column, std::move(categories));
    } else if (encoding == "nullable-integer" || encoding == "nullable-boolean") {
      text = DatasetText(file, name + "/values", rows);
      const std::vector<std::int64_t> mask = IntegerDataset(file, name + "/mask", rows);
      for (std::size_t i = 0; i < text.size(); ++i) {
        if (mask[i] != 0) text[i] = "NA";
      }
    } else if (file.IsDataset(name) && (encoding.empty() || encoding == "array" || encoding == "string-array")) {
      if (file.HasAttribute(name, "categories")) {
        throw InputError(file.Where(name), "a categorical of anndata < 0.8",
                         "re-save the file with anndata >= 0.8 (categoricals as groups)");
      }
      text = DatasetText(file, name, rows);
    } else {
      throw InputError(file.Where(name), "encoding '" + encoding + "'",
                       "obs columns are read when categorical, numeric, boolean or strings");
    }
    table.header.push_back(column);
    for (std::size_t i = 0; i < text.size(); ++i) table.rows[i].push_back(std::move(text[i]));
  }
  return sheet;
}

}  // namespace

SampleSheetText ReadSampleSheetText(const std::string& path) {
  if (IsHdf5CountsPath(path)) return ReadH5adObs(path);
  SampleSheetText sheet;
  sheet.table = ReadTextTable(path);
  return sheet;
}

}  // namespace nbglm
