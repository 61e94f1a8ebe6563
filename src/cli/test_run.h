// The Wald tests of `nbglm test` on a fit in memory: the command runs them on
// a fit read back from its directory, the Python module on the fit it holds.
#ifndef NBGLM_SRC_CLI_TEST_RUN_H_
#define NBGLM_SRC_CLI_TEST_RUN_H_

#include <functional>
#include <string>
#include <vector>

#include "cli/model_options.h"
#include "nbglm/counts.h"
#include "nbglm/fit.h"
#include "nbglm/inference.h"
#include "nbglm/model.h"
#include "nbglm/table.h"

namespace nbglm::cli {

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


// --coef NAME: a location parameter, else a scale parameter; "loc:NAME" or
// "scale:NAME" picks the predictor. Throws InputError listing the parameters
// for an unknown name.
TestResult TestCoefficient(const FitResult& fit, const NbGlmModel& model, const std::string& coef);

// --contrast: a table whose header names every parameter of one predictor
// once (any order; "scale:" before every name picks the scale) and one row
// of weights. Messages name table.path.
TestResult TestContrast(const FitResult& fit, const NbGlmModel& model, const TextTable& table);

// The fitted model's options with the --reduced-* ones swapped in (a new
// design drops the fit's constraint tables; nesting is kept unless replaced;
// "intercept" as the scale design means intercept only). Throws InputError
// for contradictory options.
ModelOptions ReducedModelOptionsFrom(const ModelOptions& full, const ReducedModelOptions& reduced);

// The likelihood-ratio test of `full` (fitted with `full_parameters`)
// against the reduced model of `reduced_options`, refitted on the same
// counts, size factors, algorithm and noise model, features [full.feature_begin, +n).
// `full_model` is the full model as built from `full_options`, aligned here
// with the counts `open_counts` returns (named `counts_what` in messages);
// `size_factors_for(aligned full model)` gives the factors the fit used.
// Throws InputError when the reduced model is not smaller, its observations
// differ, or the counts are not the fitted ones.
TestResult RefitLikelihoodRatio(const FitResult& full, const NbGlmModel& full_parameters, NbGlmModel full_model,
                                const ModelOptions& full_options, const ModelOptions& reduced_options,
                                const std::function<CountMatrix()>& open_counts, const std::string& counts_what,
                                const std::function<Vector(const NbGlmModel&)>& size_factors_for, Algorithm algorithm,
                                int threads, Noise noise = Noise::kNegativeBinomial);

// --overdispersion: the NB fit `full` (intercept-only scale) against the
// Poisson fit of its own model, refitted as RefitLikelihoodRatio refits
// (OverdispersionTest: the boundary-corrected χ²₀:₁ mixture).
TestResult RefitOverdispersion(const FitResult& full, const NbGlmModel& full_parameters, NbGlmModel full_model,
                               const ModelOptions& full_options, const std::function<CountMatrix()>& open_counts,
                               const std::string& counts_what,
                               const std::function<Vector(const NbGlmModel&)>& size_factors_for, Algorithm algorithm,
                               int threads);

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_TEST_RUN_H_
