#include "cli/de_run.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/fit_inputs.h"
#include "nbglm/error.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm::cli {
namespace {

}  // namespace

std::vector<double> LocationContrast(const TextTable& table, const std::vector<std::string>& names) {
  const std::string& path = table.path;
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  if (table.rows.size() != 1) {
    throw InputError(path, std::to_string(table.rows.size()) + " rows of weights",
                     "a contrast file has a header of parameter names and exactly one row of weights");
  }
  const std::set<std::string> header(table.header.begin(), table.header.end());
  if (header.size() != table.header.size() || header != std::set<std::string>(names.begin(), names.end())) {
    std::string given;
    for (const std::string& name : table.header) given += (given.empty() ? "" : ", ") + name;
    throw InputError(path + ":1", "header " + given,
                     "must name every location parameter exactly once (" + list + ")");
  }
  std::vector<double> contrast(names.size(), 0.0);
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    const std::size_t j = static_cast<std::size_t>(std::find(names.begin(), names.end(), table.header[c]) - names.begin());
    contrast[j] = ParseFiniteDouble(table.rows[0][c], table.Where(0), "weight of '" + table.header[c] + "'");
  }
  return contrast;
}


void CheckDeHypothesis(const DeRequest& request) {
  const int tests = (request.coef.empty() ? 0 : 1) + (request.contrast.empty() ? 0 : 1) +
                    (request.reduced_loc.empty() ? 0 : 1) + (request.reduced_loc_design.empty() ? 0 : 1);
  if (tests != 1) {
    throw InputError("de", std::to_string(tests) + " hypotheses given",
                     "give exactly one of --coef, --contrast, --reduced-loc, --reduced-loc-design");
  }
  // Before any model is built: a design file's rows would otherwise be
  // compared with the selection first, a less helpful message.
  if (!request.model.subset.empty() && !request.model.loc_design.empty()) {
    throw InputError("--subset", request.model.subset.front(), "selects rows of a sample sheet: use --loc, not --loc-design");
  }
}

DeRun RunDe(const DeRequest& request, const std::function<CountReader()>& open_counts, const std::string& counts_what) {
  CheckDeHypothesis(request);
  NbGlmModel model = request.model.Build(/*require_identifiable=*/true);
  const CountReader reader = open_counts();
  const bool subset = !request.model.subset.empty();
  // With --subset the observations are the selected rows; the counts' other columns are left out.
  std::vector<std::string> observations = reader.observation_names();
  if (subset) observations = model.location.design.observation_names;
  AlignObservations(observations, counts_what, request.model.ObservationSource(), &model);
  DeHypothesis hypothesis;
  if (!request.coef.empty()) {
    hypothesis = DeHypothesis::Coefficient(model, request.coef);
  } else if (!request.contrast.empty()) {
    const TextTable table = request.contrast_table ? *request.contrast_table : ReadTextTable(request.contrast);
    hypothesis = DeHypothesis::Contrast(LocationContrast(table, model.location.design.parameter_names),
                                        "contrast " + request.contrast);
  } else {
    ModelOptions reduced = request.model;
    reduced.option_prefix = "--reduced-";
    reduced.loc_design = request.reduced_loc_design;
    reduced.loc_formula = request.reduced_loc;
    reduced.loc_constraints.clear();
    if (!reduced.loc_formula.empty() && reduced.samples.empty()) {
      throw InputError("--reduced-loc", reduced.loc_formula, "a formula needs --samples");
    }
    NbGlmModel null_model = reduced.Build(/*require_identifiable=*/true);
    AlignObservations(observations, counts_what, reduced.ObservationSource(), &null_model);
    hypothesis = DeHypothesis::Reduced(null_model.location, "reduced model " + (request.reduced_loc.empty()
                                                                                   ? request.reduced_loc_design
                                                                                   : "\"" + request.reduced_loc + "\""));
  }

  const CountMatrix counts = subset ? SelectCountColumns(reader.Read(0, reader.num_features()), observations)
                                    : reader.Read(0, reader.num_features());
  std::string size_factor_method = request.size_factors;
  if (size_factor_method == "auto") {
    // Median of ratios needs a feature with no zero; single-cell-like data
    // have none, and DESeq2's poscounts is the peers' answer there.
    bool some_positive = false;
    std::vector<double> y(static_cast<std::size_t>(counts.num_observations()));
    for (Index f = 0; f < counts.num_features() && !some_positive; ++f) {
      counts.CopyFeature(f, y.data());
      some_positive = std::all_of(y.begin(), y.end(), [](double v) { return v > 0.0; });
    }
    size_factor_method = some_positive ? "ratio" : "poscounts";
  }
  const bool computed =
      size_factor_method == "ratio" || size_factor_method == "poscounts" || size_factor_method == "total";
  if (subset && !computed) {
    throw InputError("--size-factors", size_factor_method,
                     "with --subset, size factors are computed on the selected observations: auto, ratio, "
                     "poscounts or total");
  }
  const Vector size_factors =
      computed ? ComputeSizeFactors(counts, size_factor_method)
               : ResolveSizeFactors(size_factor_method, request.model, reader, std::int64_t{1} << 40, model);
  DeRun run;
  run.result = DifferentialExpression(counts, model, size_factors, hypothesis, request.de);
  run.size_factor_method = size_factor_method;
  return run;
}

}  // namespace nbglm::cli
