// nbglm de: counts + sample sheet + formula + hypothesis → one DE table
// (docs/de.md, docs/cli.md "de"). Calibrated defaults: median-of-ratios size
// factors (poscounts when every feature has a zero), edgeR's expression
// filter, Cox–Reid dispersions shrunk across features and the
// quasi-likelihood F test. Writes TSV with one row per input feature, in
// input order; a summary on stderr.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/fit_inputs.h"
#include "cli/model_options.h"
#include "cli/output_file.h"
#include "nbglm/counts_io.h"
#include "nbglm/de.h"
#include "nbglm/error.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm::cli {
namespace {

// --contrast C.tsv: a header naming every location parameter once (any
// order) and one row of weights.
std::vector<double> ReadLocationContrast(const std::string& path, const std::vector<std::string>& names) {
  const TextTable table = ReadTextTable(path);
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

}  // namespace

Action AddDeCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("de", "differential expression: filter, shrunken dispersions, QL F test");
  struct Options {
    ModelOptions model;
    std::string counts, layer, size_factors = "auto", coef, contrast, reduced_loc, reduced_loc_design, out;
    std::string method = "ql", dispersion = "shrunk", filter = "expr";
    int threads = 0;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  command->add_option("--counts", options->counts,
                      "counts: .mtx[.gz], 10x directory, TSV/CSV (features x observations), .h5ad or 10x .h5")
      ->required()
      ->check(CLI::ExistingPath);
  command->add_option("--layer", options->layer, "AnnData layer to read instead of X (e.g. counts)");
  options->model.Register(*command);
  command->add_option("--size-factors", options->size_factors,
                      "auto (default: ratio, or poscounts when every feature has a zero) | ratio | poscounts | "
                      "total | TSV | a numeric column of --samples");
  command->add_option("--coef", options->coef, "test one location coefficient (its design column name)");
  command->add_option("--contrast", options->contrast, "test a contrast: TSV, header of location parameter names, one row of weights")
      ->check(CLI::ExistingFile);
  command->add_option("--reduced-loc", options->reduced_loc, "test against a reduced location formula, e.g. \"~ type\"");
  command->add_option("--reduced-loc-design", options->reduced_loc_design, "test against a reduced location design TSV")
      ->check(CLI::ExistingFile);
  command->add_option("--subset", options->model.subset,
                      "COLUMN=VALUE: only the sample-sheet rows with this value, e.g. cluster_id=B (repeatable)");
  command->add_option("--method", options->method, "ql (default: quasi-likelihood F) | wald | lrt");
  command->add_option("--dispersion", options->dispersion, "shrunk (default: empirical Bayes) | mle (per feature, exact)");
  command->add_option("--filter", options->filter, "expr (default: edgeR's filterByExpr rule) | none");
  CLI::Option* threads = command->add_option("--threads", options->threads, "threads (default: all cores)");
  command->add_flag("--quiet", options->quiet, "no summary on stderr");
  command->add_option("--out", options->out, "output TSV")->required();
  return [command, options, threads]() {
    if (!command->parsed()) return -1;
    DeOptions de_options;
    de_options.method = ParseDeMethod(options->method);
    de_options.dispersion = ParseDispersionMethod(options->dispersion);
    if (options->filter != "expr" && options->filter != "none") {
      throw InputError("--filter", options->filter, "must be expr or none");
    }
    de_options.filter = options->filter == "expr";
    if (threads->count() > 0 && options->threads < 1) {
      throw InputError("--threads", std::to_string(options->threads), "must be >= 1 (omit it for all cores)");
    }
    de_options.num_threads = threads->count() > 0 ? options->threads : 0;
    std::string error;
    if (!de_options.IsValid(&error)) throw InputError(error);
    const int tests = (options->coef.empty() ? 0 : 1) + (options->contrast.empty() ? 0 : 1) +
                      (options->reduced_loc.empty() ? 0 : 1) + (options->reduced_loc_design.empty() ? 0 : 1);
    if (tests != 1) {
      throw InputError("de", std::to_string(tests) + " hypotheses given",
                       "give exactly one of --coef, --contrast, --reduced-loc, --reduced-loc-design");
    }
    CheckOutputFile(options->out);

    options->model.DefaultSamplesToCounts(options->counts);
    NbGlmModel model = options->model.Build(/*require_identifiable=*/true);
    const CountReader reader(options->counts, CountFormat::kDetect, options->layer);
    const std::string counts_what = "--counts " + options->counts;
    const bool subset = !options->model.subset.empty();
    if (subset && !options->model.loc_design.empty()) {
      throw InputError("--subset", options->model.subset.front(), "selects rows of a sample sheet: use --loc, not --loc-design");
    }
    // With --subset the observations are the selected rows; the counts' other columns are left out.
    std::vector<std::string> observations = reader.observation_names();
    if (subset) observations = model.location.design.observation_names;
    AlignObservations(observations, counts_what, options->model.ObservationSource(), &model);
    DeHypothesis hypothesis;
    if (!options->coef.empty()) {
      hypothesis = DeHypothesis::Coefficient(model, options->coef);
    } else if (!options->contrast.empty()) {
      hypothesis = DeHypothesis::Contrast(ReadLocationContrast(options->contrast, model.location.design.parameter_names),
                                          "contrast " + options->contrast);
    } else {
      ModelOptions reduced = options->model;
      reduced.option_prefix = "--reduced-";
      reduced.loc_design = options->reduced_loc_design;
      reduced.loc_formula = options->reduced_loc;
      reduced.loc_constraints.clear();
      if (!reduced.loc_formula.empty() && reduced.samples.empty()) {
        throw InputError("--reduced-loc", reduced.loc_formula, "a formula needs --samples");
      }
      NbGlmModel null_model = reduced.Build(/*require_identifiable=*/true);
      AlignObservations(observations, counts_what, reduced.ObservationSource(), &null_model);
      hypothesis = DeHypothesis::Reduced(null_model.location, "reduced model " + (options->reduced_loc.empty()
                                                                                     ? options->reduced_loc_design
                                                                                     : "\"" + options->reduced_loc + "\""));
    }

    const CountMatrix counts = subset ? SelectCountColumns(reader.Read(0, reader.num_features()), observations)
                                      : reader.Read(0, reader.num_features());
    std::string size_factor_method = options->size_factors;
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
                 : ResolveSizeFactors(size_factor_method, options->model, reader, std::int64_t{1} << 40, model);
    const DeResult result = DifferentialExpression(counts, model, size_factors, hypothesis, de_options);
    WriteFileAtomically(options->out, result.ToTsv());
    if (!options->quiet) std::cerr << result.BriefReport() << "; size factors " << size_factor_method << "\n";
    return 0;
  };
}

}  // namespace nbglm::cli
