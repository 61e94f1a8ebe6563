// A sample sheet: one row per observation, its name in the first column, the
// other columns variables that formulas (nbglm/formula.h) refer to by name.
//
// Columns are typed exactly as R's read.delim types them (type.convert), so a
// formula codes the same columns as R's model.matrix does on the same file:
//  - numeric: every non-missing value is a number (optional blanks, sign,
//    decimal or hexadecimal, exponent, Inf, NaN). "Integer" when every value
//    is a base-10 integer within R's integer range; that only changes how
//    factor(x) labels levels ("100000" for integers, "1e+05" for doubles).
//  - logical: every non-missing value is one of T F TRUE FALSE true false
//    True False; a factor with levels FALSE, TRUE (always both, as R codes it).
//  - otherwise a factor whose levels are the distinct values in sorted byte
//    order (R in the C locale; other locales may collate differently).
// Missing values are "NA" and empty fields. R would drop such an observation
// from the model; nbglm refuses to build a design from a variable with a
// missing value instead (a dropped observation would silently misalign the
// counts), so unused columns may have gaps.
#ifndef NBGLM_SAMPLE_TABLE_H_
#define NBGLM_SAMPLE_TABLE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "nbglm/table.h"
#include "nbglm/types.h"

namespace nbglm {

enum class SampleColumnType { kNumeric, kLogical, kFactor };

// "numeric", "logical" or "factor".
const char* SampleColumnTypeName(SampleColumnType type);

struct SampleColumn {
  std::string name;
  SampleColumnType type = SampleColumnType::kFactor;
  bool is_integer = false;             // numeric, and every value an R integer
  std::vector<std::string> text;       // the field as read, per observation
  std::vector<bool> missing;           // "NA" or empty, per observation
  std::vector<double> numbers;         // numeric: the value (NaN when missing)
  std::vector<std::string> levels;     // logical / factor: the levels in order
  std::vector<int> level_codes;        // logical / factor: index into levels (-1 when missing)

  bool is_categorical() const { return type != SampleColumnType::kNumeric; }
};

// The levels and per-observation codes of a variable seen as R's factor().
struct FactorLevels {
  std::vector<std::string> levels;
  std::vector<int> codes;  // index into levels per observation (-1 when missing)
};

struct SampleTable {
  std::string path;                            // as given, for messages
  std::string name_column;                     // header of the first column
  std::vector<std::string> observation_names;  // first column, unique
  std::vector<std::size_t> line_numbers;       // 1-based file line per observation
  std::vector<SampleColumn> columns;           // the variables, in file order

  Index num_observations() const { return static_cast<Index>(observation_names.size()); }
  // "path:line" of observation i, for error messages.
  std::string Where(std::size_t observation) const;
  // The column called `name`, or nullptr.
  const SampleColumn* Find(const std::string& name) const;
  // The column called `name`; throws InputError("<what>: '<name>': unknown
  // column of <path> (columns: a, b, …)").
  const SampleColumn& Get(const std::string& name, const std::string& what) const;
  // "a, b, c": the variable column names, for messages.
  std::string ColumnList() const;
};

// Reads and types a sample sheet (TSV, or CSV by extension; see table.h for
// the text rules), or the obs dataframe of an AnnData file ("*.h5ad", "*.h5",
// "*.hdf5"; see SampleSheetText). Throws InputError naming file, line, column
// and rule for: no rows, fewer than one column, an empty or duplicate
// observation name, a duplicate column name, a ragged row.
SampleTable ReadSampleTable(const std::string& path);
// The same from a table already read.
SampleTable MakeSampleTable(const TextTable& table);

// A sample sheet before typing: its text, and the level order of columns the
// file itself declares categorical. An AnnData obs becomes: the index as the
// name column ("path:/obs", "line" = 1-based row), categorical columns as
// their labels (missing code -1 as NA), numbers in shortest round-trip text
// (NaN as NA), booleans as TRUE / FALSE, strings as they are.
struct SampleSheetText {
  TextTable table;
  // Categorical columns and their categories in the file's order.
  std::vector<std::pair<std::string, std::vector<std::string>>> categories;
};
// A TSV/CSV sheet (no categories) or an AnnData obs, by the path's form.
SampleSheetText ReadSampleSheetText(const std::string& path);
// Types the text as MakeSampleTable(TextTable) does, then makes every
// declared categorical column a factor whose levels are its categories in
// the file's order, those without an observation left out (R's droplevels:
// a level without observations would give the design an all-zero column).
SampleTable MakeSampleTable(const SampleSheetText& sheet);

// The rows of `samples` in the order of `observation_names` (the same set of
// names). Throws InputError(what, …) listing the first names missing on either
// side.
SampleTable SelectObservations(const SampleTable& samples, const std::vector<std::string>& observation_names,
                               const std::string& what);

// The column as R's factor() sees it: a factor or logical column as it is; a
// numeric column with levels = its distinct values in increasing order,
// labelled as R's as.character labels them ("6", "2.5", "1e+05").
FactorLevels AsFactor(const SampleColumn& column);

// R's as.character for a double: 15 significant digits, fixed notation unless
// scientific is narrower ("0.3", "123456", "1e+05", "1e-04").
std::string RDoubleLabel(double value);

}  // namespace nbglm

#endif  // NBGLM_SAMPLE_TABLE_H_
