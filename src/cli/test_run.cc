#include "cli/test_run.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/fit_inputs.h"
#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string AvailableParameters(const FitResult& fit) {
  return "location: " + JoinNames(fit.location_names) + "; scale: " + JoinNames(fit.scale_names);
}

// Splits "loc:NAME" / "scale:NAME" into the predictor and NAME; other text is
// returned unchanged with no predictor.
std::pair<std::optional<Predictor>, std::string> SplitPredictorPrefix(const std::string& text) {
  if (text.rfind("loc:", 0) == 0) return {Predictor::kLocation, text.substr(4)};
  if (text.rfind("scale:", 0) == 0) return {Predictor::kScale, text.substr(6)};
  return {std::nullopt, text};
}

const std::vector<std::string>& ParameterNames(const FitResult& fit, Predictor predictor) {
  return predictor == Predictor::kLocation ? fit.location_names : fit.scale_names;
}


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
}  // namespace

// --coef NAME: a location parameter, else a scale parameter. "loc:NAME" or
// "scale:NAME" picks the predictor, for names both predictors have (as when
// the scale design is the location design).
TestResult TestCoefficient(const FitResult& fit, const NbGlmModel& model, const std::string& coef) {
  std::vector<std::pair<Predictor, std::string>> candidates = {{Predictor::kLocation, coef}, {Predictor::kScale, coef}};
  if (const auto [forced, name] = SplitPredictorPrefix(coef); forced) candidates.emplace_back(*forced, name);
  for (const auto& [predictor, name] : candidates) {
    const std::vector<std::string>& names = ParameterNames(fit, predictor);
    const auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) continue;
    std::vector<double> contrast(names.size(), 0.0);
    contrast[static_cast<std::size_t>(found - names.begin())] = 1.0;
    return WaldTest(fit, model, contrast, predictor);
  }
  throw InputError("--coef", coef, "is not a parameter of the fit (" + AvailableParameters(fit) + ")");
}

// --contrast C.tsv: a header naming every parameter of one predictor once (in
// any order) and one row of weights. The location wins when both predictors
// have the same names; "scale:" before every name picks the scale.
TestResult TestContrast(const FitResult& fit, const NbGlmModel& model, const TextTable& table) {
  const std::string& path = table.path;
  if (table.rows.size() != 1) {
    throw InputError(path, std::to_string(table.rows.size()) + " rows of weights",
                     "a contrast file has a header of parameter names and exactly one row of weights");
  }
  // A prefix counts only when every column carries the same one.
  std::optional<Predictor> forced;
  std::vector<std::string> header = table.header;
  const auto [first_prefix, unused] = SplitPredictorPrefix(header.front());
  bool uniform = first_prefix.has_value();
  for (const std::string& name : header) uniform = uniform && SplitPredictorPrefix(name).first == first_prefix;
  if (uniform) {
    forced = first_prefix;
    for (std::string& name : header) name = SplitPredictorPrefix(name).second;
  }
  const std::set<std::string> header_set(header.begin(), header.end());
  if (header_set.size() != header.size()) {
    throw InputError(path + ":1", "header " + JoinNames(table.header), "names a parameter twice");
  }
  for (Predictor predictor : {Predictor::kLocation, Predictor::kScale}) {
    if (forced && *forced != predictor) continue;
    const std::vector<std::string>& names = ParameterNames(fit, predictor);
    if (std::set<std::string>(names.begin(), names.end()) != header_set || names.size() != header.size()) continue;
    std::vector<double> contrast(names.size(), 0.0);
    for (std::size_t c = 0; c < header.size(); ++c) {
      const std::size_t j = static_cast<std::size_t>(std::find(names.begin(), names.end(), header[c]) - names.begin());
      contrast[j] = ParseFiniteDouble(table.rows[0][c], table.Where(0), "weight of '" + header[c] + "'");
    }
    return WaldTest(fit, model, contrast, predictor);
  }
  // No predictor matches: say what is wrong in the most specific way.
  for (const std::string& name : header) {
    const bool known = std::count(fit.location_names.begin(), fit.location_names.end(), name) > 0 ||
                       std::count(fit.scale_names.begin(), fit.scale_names.end(), name) > 0;
    if (!known) {
      throw InputError(path + ":1", "column '" + name + "'",
                       "is not a parameter of the fit (" + AvailableParameters(fit) + ")");
    }
  }
  throw InputError(
      path + ":1", std::to_string(header.size()) + " columns (" + JoinNames(table.header) + ")",
      "a contrast has one weight for every parameter of one predictor: " + std::to_string(fit.location_names.size()) +
          " location (" + JoinNames(fit.location_names) + ") or " + std::to_string(fit.scale_names.size()) +
          " scale (" + JoinNames(fit.scale_names) + ")");
}

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

namespace {

// `model` (built from `model_options`) refitted with `options` on the counts
// `open_counts` returns, features [full.feature_begin, +n): the fit's
// observations and features are checked against the counts first.
FitResult RefitOnTheFitsCounts(const FitResult& full, NbGlmModel full_model, const ModelOptions& full_options,
                               NbGlmModel* model, const ModelOptions& model_options,
                               const std::function<CountMatrix()>& open_counts, const std::string& counts_what,
                               const std::function<Vector(const NbGlmModel&)>& size_factors_for, FitOptions options) {
  const CountMatrix counts = open_counts();
  AlignObservations(counts.observation_names(), counts_what, full_options.ObservationSource(), &full_model);
  AlignObservations(counts.observation_names(), counts_what, model_options.ObservationSource(), model);
  if (model->location.design.observation_names != full_model.location.design.observation_names) {
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
  const Vector size_factors = size_factors_for(full_model);
  options.feature_begin = begin;
  options.feature_end = end;
  return Fit(counts, *model, size_factors, options);
}

}  // namespace

TestResult RefitLikelihoodRatio(const FitResult& full, const NbGlmModel& full_parameters, NbGlmModel full_model,
                                const ModelOptions& full_options, const ModelOptions& reduced_options,
                                const std::function<CountMatrix()>& open_counts, const std::string& counts_what,
                                const std::function<Vector(const NbGlmModel&)>& size_factors_for, Algorithm algorithm,
                                int threads, Noise noise) {
  NbGlmModel reduced_model = reduced_options.Build(/*require_identifiable=*/true);
  const Index df = full_parameters.location.num_reduced() + full_parameters.scale.num_reduced() -
                   reduced_model.location.num_reduced() - reduced_model.scale.num_reduced();
  if (df <= 0) {
    throw InputError("reduced model", std::to_string(df) + " degrees of freedom",
                     "must have fewer free parameters than the fitted model (" +
                         std::to_string(full_parameters.location.num_reduced() + full_parameters.scale.num_reduced()) +
                         ")");
  }
  FitOptions options;
  options.noise = noise;
  options.algorithm = algorithm;
  options.num_threads = threads;
  const FitResult reduced_fit = RefitOnTheFitsCounts(full, std::move(full_model), full_options, &reduced_model,
                                                     reduced_options, open_counts, counts_what, size_factors_for,
                                                     options);
  return LikelihoodRatioTest(full, full_parameters, reduced_fit, reduced_model);
}

TestResult RefitOverdispersion(const FitResult& full, const NbGlmModel& full_parameters, NbGlmModel full_model,
                               const ModelOptions& full_options, const std::function<CountMatrix()>& open_counts,
                               const std::string& counts_what,
                               const std::function<Vector(const NbGlmModel&)>& size_factors_for, Algorithm algorithm,
                               int threads) {
  if (full_parameters.scale.num_reduced() != 1) {
    throw InputError("--overdispersion", "a scale model with " + std::to_string(full_parameters.scale.num_reduced()) +
                                             " free parameters",
                     "tests one size against the Poisson: needs a fit with an intercept-only scale model (~ 1)");
  }
  NbGlmModel poisson_model = full_options.Build(/*require_identifiable=*/true);
  FitOptions options;
  options.noise = Noise::kPoisson;
  options.algorithm = algorithm;
  options.num_threads = threads;
  const FitResult poisson = RefitOnTheFitsCounts(full, std::move(full_model), full_options, &poisson_model,
                                                 full_options, open_counts, counts_what, size_factors_for, options);
  return OverdispersionTest(full, full_parameters, poisson);
}
}  // namespace nbglm::cli
