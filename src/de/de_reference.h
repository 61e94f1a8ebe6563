// Test helpers of the DE units: the stored R reference tables of
// tests/data/de (made by tests/data/de/make_de_reference.R) and pasilla's
// design. Test-only header.
#ifndef NBGLM_SRC_DE_DE_REFERENCE_H_
#define NBGLM_SRC_DE_DE_REFERENCE_H_

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "de/fixed_dispersion_glm.h"
#include "nbglm/counts_io.h"
#include "nbglm/formula.h"
#include "nbglm/sample_table.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm::de::testing {

inline std::string SourceDir() { return NBGLM_SOURCE_DIR; }
inline std::string DeData(const std::string& name) { return SourceDir() + "/tests/data/de/" + name; }
inline std::string SharedData(const std::string& name) { return SourceDir() + "/../shared/data/" + name; }

// A reference table as column name → values per row (numbers parsed; text
// columns as NaN) plus the first column's text.
struct ReferenceTable {
  std::vector<std::string> keys;
  std::map<std::string, std::vector<double>> columns;
  std::map<std::string, std::vector<std::string>> text;
};

inline ReferenceTable ReadReference(const std::string& path) {
  const TextTable table = ReadTextTable(path);
  ReferenceTable out;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    out.keys.push_back(table.rows[r][0]);
    for (std::size_t c = 0; c < table.header.size(); ++c) {
      const std::string& field = table.rows[r][c];
      char* end = nullptr;
      const double value = std::strtod(field.c_str(), &end);
      out.columns[table.header[c]].push_back(end != field.c_str() && *end == '\0' ? value : std::nan(""));
      out.text[table.header[c]].push_back(field);
    }
  }
  return out;
}

// Pasilla's `~ type + condition` (reference untreated) as R's model.matrix
// codes it, observations in the counts' order.
inline RowMatrix PasillaDesign() {
  const SampleTable samples = ReadSampleTable(SharedData("pasilla/samples.tsv"));
  FormulaOptions options;
  options.reference_levels["condition"] = "untreated";
  const Design design = BuildFormulaDesign(samples, "~ type + condition", options);
  RowMatrix x(design.num_observations(), design.num_parameters());
  for (Index i = 0; i < x.rows(); ++i) {
    for (Index j = 0; j < x.cols(); ++j) x(i, j) = design.values(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
  }
  return x;
}

}  // namespace nbglm::de::testing

#endif  // NBGLM_SRC_DE_DE_REFERENCE_H_
