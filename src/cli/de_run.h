// The pipeline of `nbglm de` without its files: hypothesis, model, counts
// (--subset applied), size factors ("auto" resolved) and the DE result. The
// command writes the table; the Python module (python/) returns it — one
// code path, the same numbers.
#ifndef NBGLM_SRC_CLI_DE_RUN_H_
#define NBGLM_SRC_CLI_DE_RUN_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/model_options.h"
#include "nbglm/counts_io.h"
#include "nbglm/de.h"
#include "nbglm/table.h"

namespace nbglm::cli {

struct DeRequest {
  ModelOptions model;
  // Exactly one hypothesis: a location coefficient, a contrast (a file, or
  // `contrast_table` in memory, which `contrast` then names), a reduced
  // location formula or design.
  std::string coef, contrast, reduced_loc, reduced_loc_design;
  std::optional<TextTable> contrast_table;
  std::string size_factors = "auto";
  DeOptions de;
};

struct DeRun {
  DeResult result;
  std::string size_factor_method;  // "auto" resolved to ratio or poscounts
};

// Throws InputError unless exactly one hypothesis is given.
void CheckDeHypothesis(const DeRequest& request);

// A contrast table (a header naming every location parameter once, in any
// order, and one row of weights) as weights in `names` order.
std::vector<double> LocationContrast(const TextTable& table, const std::vector<std::string>& names);

// Builds the model (before the counts are opened: a design mistake costs no
// reading), opens the counts with `open_counts`, runs DifferentialExpression.
// `counts_what` names the counts in messages.
DeRun RunDe(const DeRequest& request, const std::function<CountReader()>& open_counts, const std::string& counts_what);

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_DE_RUN_H_
