// nbglm test: a Wald test of one coefficient or of a contrast, read from a fit
// directory, or a likelihood-ratio test against a reduced model refitted on
// the fit's own data (DESIGN.md §5, §8). Writes one TSV (TestResult::ToTsv):
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

// `--reduced-scale-design intercept` asks for an intercept-only scale model
// without writing a design file for it.
constexpr const char* kInterceptOnly = "intercept";

// The --reduced-* options of one predictor.
struct ReducedPredictorOptions {
  std::string design;               // --reduced-loc-design R.tsv (scale: also "intercept")
  std::string formula;              // --reduced-loc "~ …"
  std::string constraints;          // --reduced-loc-constraints C.tsv
  std::vector<std::string> nested;  // --reduced-loc-nested F:G …, or "none"
  bool any() const { return !design.empty() || !formula.empty() || !constraints.empty() || !nested.empty(); }
};

struct ReducedModelOptions {
  ReducedPredictorOptions loc, scale;
  bool any() const { return loc.any() || scale.any(); }
};

// `--reduced-loc-nested none` drops the fit's nesting.
constexpr const char* kNoNesting = "none";

// One predictor of the reduced model: the fitted predictor's options with
// the reduced ones swapped in. A new design (file or formula) drops the fit's
// constraint tables, which name the full design's columns; nesting names
// factors of the sample sheet and is kept unless replaced.
// `intercept_keyword`: the design value "intercept" means intercept only (scale).
void ApplyReducedPredictor(const ReducedPredictorOptions& reduced, const std::string& option, bool intercept_keyword,
                           std::string* design, std::string* formula, std::string* constraints,
                           std::vector<std::string>* nested) {
  if (!reduced.design.empty() && !reduced.formula.empty()) {
    throw InputError(option + "-design / " + option, "both given", "give at most one reduced design");
  }
  if (!reduced.design.empty() || !reduced.formula.empty()) {
    *design = intercept_keyword && reduced.design == kInterceptOnly ? std::string() : reduced.design;
    *formula = reduced.formula;
    constraints->clear();
  }
  if (!reduced.constraints.empty()) *constraints = reduced.constraints;
  if (!reduced.nested.empty()) {
    const bool none = reduced.nested.size() == 1 && reduced.nested.front() == kNoNesting;
    *nested = none ? std::vector<std::string>() : reduced.nested;
  }
}

// The model options of the reduced model (see ApplyReducedPredictor).
ModelOptions ReducedModelOptionsFrom(const ModelOptions& full, const ReducedModelOptions& reduced) {
  ModelOptions options = full;
  options.option_prefix = "--reduced-";
  ApplyReducedPredictor(reduced.loc, "--reduced-loc", /*intercept_keyword=*/false, &options.loc_design,
                        &options.loc_formula, &options.loc_constraints, &options.loc_nested);
  ApplyReducedPredictor(reduced.scale, "--reduced-scale", /*intercept_keyword=*/true, &options.scale_design,
                        &options.scale_formula, &options.scale_constraints, &options.scale_nested);
  if (!options.has_scale_design()) {
    // An intercept-only scale model (the fit's, or `--reduced-scale-design intercept`) takes no constraints.
    const bool intercept_asked = reduced.scale.design == kInterceptOnly;
    if (!reduced.scale.constraints.empty()) {
      throw InputError("--reduced-scale-constraints", reduced.scale.constraints,
                       intercept_asked ? "cannot constrain an intercept-only scale model"
                                       : "needs --reduced-scale-design or --reduced-scale (the fit's scale model is "
                                         "intercept only)");
    }
    if (!options.scale_nested.empty() && !reduced.scale.nested.empty()) {
      throw InputError("--reduced-scale-nested", reduced.scale.nested.front(),
                       "needs a scale design (--reduced-scale-design or --reduced-scale)");
    }
    options.scale_constraints.clear();
    options.scale_nested.clear();
  }
  const bool uses_formula = !options.loc_formula.empty() || !options.scale_formula.empty();
  if (uses_formula && options.samples.empty()) {
    const std::string option = !reduced.loc.formula.empty() ? "--reduced-loc" : "--reduced-scale";
    throw InputError(option, !reduced.loc.formula.empty() ? reduced.loc.formula : reduced.scale.formula,
                     "a formula needs a sample sheet, and the fit was made without --samples");
  }
  // Reference levels apply to formulas only; none may be left in the reduced model.
  if (!uses_formula) options.reference_levels.clear();
  return options;
}

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
TestResult TestReducedModel(const std::string& fit_dir, const FitResult& full, const NbGlmModel& full_parameters,
                            const FitRunInfo& info, const ReducedModelOptions& reduced, int threads) {
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
  const ModelOptions full_options = ModelOptionsFromInputs(info);
  const ModelOptions reduced_options = ReducedModelOptionsFrom(full_options, reduced);

  // The full model, rebuilt from its recorded files, must still be the one fitted.
  NbGlmModel full_model = full_options.Build(/*require_identifiable=*/true);
  if (!SameParameters(full_model.location, full_parameters.location) ||
      !SameParameters(full_model.scale, full_parameters.scale)) {
    throw InputError(summary, "inputs (design or constraint files)",
                     "no longer give the fitted model of model.json (changed since the fit?); refit");
  }
  NbGlmModel reduced_model = reduced_options.Build(/*require_identifiable=*/true);
  const Index df = full_parameters.location.num_reduced() + full_parameters.scale.num_reduced() -
                   reduced_model.location.num_reduced() - reduced_model.scale.num_reduced();
  if (df <= 0) {
    throw InputError("reduced model", std::to_string(df) + " degrees of freedom",
                     "must have fewer free parameters than the fitted model (" +
                         std::to_string(full_parameters.location.num_reduced() + full_parameters.scale.num_reduced()) +
                         ")");
  }

  const std::string counts_path = info.Input(kInputCounts);
  const CountReader counts_reader(counts_path, CountFormat::kDetect, info.Input(kInputLayer));
  const CountMatrix counts = counts_reader.Read(0, counts_reader.num_features());
  const std::string counts_what = "counts " + counts_path + " (recorded in " + summary + ")";
  AlignObservations(counts.observation_names(), counts_what, full_options.ObservationSource(), &full_model);
  AlignObservations(counts.observation_names(), counts_what, reduced_options.ObservationSource(), &reduced_model);
  if (reduced_model.location.design.observation_names != full_model.location.design.observation_names) {
    throw InputError("reduced model", "observations in another order",
                     "a reduced design must have the fitted design's observations (names)");
  }
  const Index begin = full.feature_begin;
  const Index end = begin + full.num_features();
  bool same_features = end <= counts.num_features();
  for (Index f = begin; f < end && same_features; ++f) {
    same_features =
        counts.feature_names()[static_cast<std::size_t>(f)] == full.feature_names[static_cast<std::size_t>(f - begin)];
  }
  if (!same_features) {
    throw InputError(counts_what, std::to_string(counts.num_features()) + " features",
                     "are not the fitted features (changed since the fit?); refit");
  }
  Vector size_factors;
  if (!info.Input(kInputSizeFactors).empty()) {
    // The fit directory's own copy: the factors actually used, however computed.
    size_factors = ReadSizeFactors(fit_dir + "/size_factors.tsv", full_model.location.design.observation_names);
  }

  FitOptions options;
  options.algorithm =
      info.Input(kInputAlgorithm).empty() ? full.algorithm : ParseAlgorithm(info.Input(kInputAlgorithm));
  options.num_threads = threads;
  options.feature_begin = begin;
  options.feature_end = end;
  const FitResult reduced_fit = Fit(counts, reduced_model, size_factors, options);
  return LikelihoodRatioTest(full, full_parameters, reduced_fit, reduced_model);
}

}  // namespace

Action AddTestCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("test", "Wald or likelihood-ratio tests on a fit directory");
  struct Options {
    std::string fit, coef, contrast, out;
    ReducedModelOptions reduced;
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
  CLI::Option* threads = command->add_option("--threads", options->threads, "threads for the LRT refit (default: all cores)");
  command->add_flag("--quiet", options->quiet, "no summary line on stderr");
  command->add_option("--out", options->out, "output TSV file")->required();
  return [command, options, threads]() {
    if (!command->parsed()) return -1;
    const int modes =
        (options->coef.empty() ? 0 : 1) + (options->contrast.empty() ? 0 : 1) + (options->reduced.any() ? 1 : 0);
    if (modes != 1) {
      throw InputError(
          "--coef | --contrast | --reduced-*", std::to_string(modes) + " given",
          "give exactly one test: --coef NAME, --contrast C.tsv, or a reduced model (--reduced-loc[-design], "
          "--reduced-scale[-design], --reduced-*-constraints, --reduced-*-nested)");
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
    } else {
      result = TestReducedModel(options->fit, fit, model, info, options->reduced, options->threads);
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
