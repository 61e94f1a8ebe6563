// nbglm de: counts + sample sheet + formula + hypothesis → one DE table
// (docs/de.md, docs/cli.md "de"). Calibrated defaults: median-of-ratios size
// factors (poscounts when every feature has a zero), edgeR's expression
// filter, Cox–Reid dispersions shrunk across features and the
// quasi-likelihood F test. Writes TSV with one row per input feature, in
// input order; a summary on stderr.
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/de_run.h"
#include "cli/model_options.h"
#include "cli/output_file.h"
#include "cli/plots.h"
#include "nbglm/counts_io.h"
#include "nbglm/de.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm::cli {

Action AddDeCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("de", "differential expression: filter, shrunken dispersions, QL F test");
  struct Options {
    ModelOptions model;
    std::string plots;
    std::string counts, layer, size_factors = "auto", coef, contrast, reduced_loc, reduced_loc_design, out;
    std::string method = "ql", dispersion = "shrunk", filter = "expr";
    int threads = 0;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  AddCountsOptions(*command, &options->counts, &options->layer);
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
  command->add_option("--plots", options->plots, "also draw DIR/volcano.png, ma.png, dispersion.png (python3 + matplotlib)");
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
    DeRequest request;
    request.coef = options->coef;
    request.contrast = options->contrast;
    request.reduced_loc = options->reduced_loc;
    request.reduced_loc_design = options->reduced_loc_design;
    request.size_factors = options->size_factors;
    request.de = de_options;
    CheckDeHypothesis(request);
    CheckOutputFile(options->out);
    if (!options->plots.empty()) CheckPlotter(options->plots);

    options->model.DefaultSamplesToCounts(options->counts);
    request.model = options->model;
    const DeRun run = RunDe(
        request, [&options]() { return CountReader(options->counts, CountFormat::kDetect, options->layer); },
        "--counts " + options->counts);
    const DeResult& result = run.result;
    const std::string& size_factor_method = run.size_factor_method;
    const std::string tsv = result.ToTsv();
    if (!options->plots.empty()) DrawDePlots(tsv, options->plots, result.description);
    WriteFileAtomically(options->out, tsv);
    if (!options->quiet) std::cerr << result.BriefReport() << "; size factors " << size_factor_method << "\n";
    return 0;
  };
}

}  // namespace nbglm::cli
