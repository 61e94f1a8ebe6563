// Pseudobulk (docs/de.md "Pseudobulk"): single-cell counts summed over the
// cells of each sample (and cluster), so that the DE layer tests between
// biological replicates, not between cells of the same donor (cell-level
// tests treat cells as independent and are anti-conservative across donors).
#ifndef NBGLM_PSEUDOBULK_H_
#define NBGLM_PSEUDOBULK_H_

#include <string>
#include <vector>

#include "nbglm/counts.h"
#include "nbglm/sample_table.h"

namespace nbglm {

struct PseudobulkResult {
  // features × groups (dense), group names as observation names.
  CountMatrix counts;
  // One row per group: its name, every sample-sheet column that is constant
  // within every group (the `by` columns among them), and n_cells.
  std::vector<std::string> sample_columns;           // header after the name column
  std::vector<std::vector<std::string>> sample_rows;  // per group, sample_columns.size() fields
  std::vector<std::string> dropped_columns;          // columns that vary within some group

  // The sample sheet as TSV: "sample", sample_columns…; one row per group.
  std::string SamplesTsv() const;
};

// Sums the counts of the cells of each combination of the `by` columns'
// values. `samples` has one row per cell (any order; matched to the counts'
// observation names, which must be the same set). Groups are ordered by the
// `by` columns' levels, first column slowest (R's factor order); a group's
// name is its values joined by "_". Only combinations that have cells form
// groups. Throws InputError for an empty `by`, a repeated or unknown column
// (the message lists the columns), a missing value in a `by` column, or a
// summed count beyond kMaxCount.
PseudobulkResult Pseudobulk(const CountMatrix& counts, const SampleTable& samples, const std::vector<std::string>& by);

}  // namespace nbglm

#endif  // NBGLM_PSEUDOBULK_H_
