// nbglm test: a Wald test of one coefficient or of a contrast, read from a fit
// directory, or a likelihood-ratio test against a reduced model refitted on
// the fit's own data (docs/model.md §5, §8). Writes one TSV (TestResult::ToTsv):
// feature, estimate, se, statistic, pvalue, padj, status, in input order.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "cli/commands.h"
#include "cli/fit_inputs.h"
#include "cli/model_options.h"
#include "cli/output_file.h"
#include "cli/test_run.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/fit_output.h"
#include "nbglm/inference.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm::cli {
namespace {

bool SameParameters(const LinearPredictor& rebuilt, const LinearPredictor& stored) {
  if (rebuilt.design.parameter_names != stored.design.parameter_names) return false;
  const Matrix& a = rebuilt.constraints.basis();
  const Matrix& b = stored.constraints.basis();
  if (a.shape() != b.shape()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::abs(a.flat(i) - b.flat(i)) > 1e-12 * (1.0 + std::abs(b.flat(i)))) return false;
  }
  return true;
}

// The likelihood-ratio test: rebuilds the fitted model and data from the
// inputs recorded in summary.json, swaps in the reduced designs/constraints,
// fits the reduced model with the same algorithm, size factors and feature
// range, and compares with the stored full log-likelihoods.
// With `overdispersion` the refit is the Poisson fit of the fitted model
// itself (RefitOverdispersion) instead of a reduced model.
TestResult TestReducedModel(const std::string& fit_dir, const FitResult& full, const NbGlmModel& full_parameters,
                            const FitRunInfo& info, const ReducedModelOptions& reduced, int threads,
                            bool overdispersion) {
  const std::string summary = fit_dir + "/summary.json";
  if (info.Input(kInputCounts).empty() ||
      (info.Input(kInputLocDesign).empty() && info.Input(kInputLocFormula).empty())) {
    throw InputError(summary, "no \"inputs\" with counts and a location model",
                     "a likelihood-ratio test refits on the fit's inputs; refit with this nbglm version");
  }
  if (info.Input(kInputScaleEstimate) == "cox-reid") {
    // Each model's own Cox–Reid r is not its likelihood's maximiser: the
    // difference of the two log-likelihoods is no likelihood ratio.
    throw InputError(summary, "scale_estimate cox-reid",
                     "a likelihood-ratio test needs maximum-likelihood fits: refit with --scale-estimate mle, or test "
                     "with nbglm de --reduced-loc (both models at the same dispersions)");
  }
  const Noise noise = info.Input(kInputNoise).empty() ? Noise::kNegativeBinomial : ParseNoise(info.Input(kInputNoise));
  if (overdispersion && noise != Noise::kNegativeBinomial) {
    throw InputError("--overdispersion", "a " + std::string(ToString(noise)) + " fit",
                     "tests an NB fit against the Poisson: test a fit made with --noise nb");
  }
  const ModelOptions full_options = ModelOptionsFromInputs(info);
  const ModelOptions reduced_options = overdispersion ? full_options : ReducedModelOptionsFrom(full_options, reduced);

  // The full model, rebuilt from its recorded files, must still be the one fitted.
  NbGlmModel full_model = full_options.Build(/*require_identifiable=*/true);
  if (!SameParameters(full_model.location, full_parameters.location) ||
      !SameParameters(full_model.scale, full_parameters.scale)) {
    throw InputError(summary, "inputs (design or constraint files)",
                     "no longer give the fitted model of model.json (changed since the fit?); refit");
  }
  const std::string counts_path = info.Input(kInputCounts);
  const std::string counts_what = "counts " + counts_path + " (recorded in " + summary + ")";
  const Algorithm algorithm =
      info.Input(kInputAlgorithm).empty() ? full.algorithm : ParseAlgorithm(info.Input(kInputAlgorithm));
  const auto open_counts = [&]() {
    const CountReader counts_reader(counts_path, CountFormat::kDetect, info.Input(kInputLayer));
    return counts_reader.Read(0, counts_reader.num_features());
  };
  const auto size_factors_for = [&](const NbGlmModel& aligned) {
    // The fit directory's own copy: the factors actually used, however computed.
    return info.Input(kInputSizeFactors).empty()
               ? Vector()
               : ReadSizeFactors(fit_dir + "/size_factors.tsv", aligned.location.design.observation_names);
  };
  if (overdispersion) {
    return RefitOverdispersion(full, full_parameters, std::move(full_model), full_options, open_counts, counts_what,
                               size_factors_for, algorithm, threads);
  }
  return RefitLikelihoodRatio(full, full_parameters, std::move(full_model), full_options, reduced_options, open_counts,
                              counts_what, size_factors_for, algorithm, threads, noise);
}

}  // namespace

Action AddTestCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("test", "Wald or likelihood-ratio tests on a fit directory");
  struct Options {
    std::string fit, coef, contrast, out;
    ReducedModelOptions reduced;
    bool overdispersion = false;
    int threads = 0;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  const CLI::Validator file_or_intercept(
      [](std::string& value) { return value == kInterceptOnly ? std::string() : CLI::ExistingFile(value); },
      "FILE|intercept");
  command->add_option("--fit", options->fit, "output directory of `nbglm fit`")
      ->required()
      ->check(CLI::ExistingDirectory);
  command->add_option("--coef", options->coef, "Wald test of one parameter (NAME, loc:NAME or scale:NAME)");
  command
      ->add_option("--contrast", options->contrast,
                   "Wald test of a contrast: TSV, header of parameter names, one row of weights")
      ->check(CLI::ExistingFile);
  command->add_option("--reduced-loc-design", options->reduced.loc.design, "LRT: reduced location design TSV")
      ->check(CLI::ExistingFile);
  command->add_option("--reduced-loc", options->reduced.loc.formula,
                      "LRT: reduced location formula on the fit's sample sheet, e.g. \"~ type\"");
  command
      ->add_option("--reduced-loc-constraints", options->reduced.loc.constraints,
                   "LRT: constraints of the reduced location model (TSV)")
      ->check(CLI::ExistingFile);
  command->add_option("--reduced-loc-nested", options->reduced.loc.nested,
                      "LRT: F:G nesting of the reduced location model (repeatable; 'none': drop the fit's)");
  command
      ->add_option("--reduced-scale-design", options->reduced.scale.design,
                   "LRT: reduced scale design TSV, or 'intercept'")
      ->check(file_or_intercept);
  command->add_option("--reduced-scale", options->reduced.scale.formula,
                      "LRT: reduced scale formula on the fit's sample sheet, e.g. \"~ 1\"");
  command
      ->add_option("--reduced-scale-constraints", options->reduced.scale.constraints,
                   "LRT: constraints of the reduced scale model (TSV)")
      ->check(CLI::ExistingFile);
  command->add_option("--reduced-scale-nested", options->reduced.scale.nested,
                      "LRT: F:G nesting of the reduced scale model (repeatable; 'none': drop the fit's)");
  command->add_flag("--overdispersion", options->overdispersion,
                    "LRT of the NB fit against the Poisson (refitted): boundary-corrected, ½·χ²(1) tail");
  CLI::Option* threads = command->add_option("--threads", options->threads, "threads for the LRT refit (default: all cores)");
  command->add_flag("--quiet", options->quiet, "no summary line on stderr");
  command->add_option("--out", options->out, "output TSV file")->required();
  return [command, options, threads]() {
    if (!command->parsed()) return -1;
    const int modes =
        (options->coef.empty() ? 0 : 1) + (options->contrast.empty() ? 0 : 1) + (options->reduced.any() ? 1 : 0) +
        (options->overdispersion ? 1 : 0);
    if (modes != 1) {
      throw InputError(
          "--coef | --contrast | --reduced-* | --overdispersion", std::to_string(modes) + " given",
          "give exactly one test: --coef NAME, --contrast C.tsv, a reduced model (--reduced-loc[-design], "
          "--reduced-scale[-design], --reduced-*-constraints, --reduced-*-nested) or --overdispersion");
    }
    if (threads->count() > 0 && options->threads < 1) {
      throw InputError("--threads", std::to_string(options->threads), "must be >= 1 (omit it for all cores)");
    }
    CheckOutputFile(options->out);
    NbGlmModel model;
    FitRunInfo info;
    const FitResult fit = ReadFitOutputs(options->fit, &model, &info);
    std::string what;
    TestResult result;
    if (!options->coef.empty()) {
      result = TestCoefficient(fit, model, options->coef);
      what = "Wald test of " + options->coef;
    } else if (!options->contrast.empty()) {
      result = TestContrast(fit, model, ReadTextTable(options->contrast));
      what = "Wald test of the contrast in " + options->contrast;
    } else if (options->overdispersion) {
      result = TestReducedModel(options->fit, fit, model, info, options->reduced, options->threads, true);
      what = "likelihood-ratio test for overdispersion (NB against Poisson, ½·χ²(1) tail)";
    } else {
      result = TestReducedModel(options->fit, fit, model, info, options->reduced, options->threads, false);
      what = "likelihood-ratio test, df = " + FormatDouble(result.df);
    }
    WriteFileAtomically(options->out, result.ToTsv());
    if (!options->quiet) {
      const auto tested =
          std::count_if(result.pvalue.begin(), result.pvalue.end(), [](double p) { return !std::isnan(p); });
      const auto significant = std::count_if(result.padj.begin(), result.padj.end(), [](double p) { return p < 0.05; });
      std::cerr << "test: " << what << ": " << result.feature_names.size() << " features, " << tested << " tested, "
                << significant << " with padj < 0.05\n";
    }
    return 0;
  };
}

}  // namespace nbglm::cli
