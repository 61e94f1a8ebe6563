// The inputs of `nbglm fit` as recorded in summary.json ("inputs"), and how
// `nbglm test` rebuilds the fitted model and data from them to refit a
// reduced model (likelihood-ratio test) on exactly the same counts.
#ifndef NBGLM_SRC_CLI_FIT_INPUTS_H_
#define NBGLM_SRC_CLI_FIT_INPUTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cli/model_options.h"
#include "nbglm/counts.h"
#include "nbglm/counts_io.h"
#include "nbglm/fit_output.h"
#include "nbglm/model.h"

namespace nbglm::cli {

// Keys of summary.json "inputs" (values are strings; paths are absolute, ""
// means the option was not given).
inline constexpr const char* kInputCounts = "counts";
inline constexpr const char* kInputLocDesign = "loc_design";
inline constexpr const char* kInputLocConstraints = "loc_constraints";
inline constexpr const char* kInputScaleDesign = "scale_design";
inline constexpr const char* kInputScaleConstraints = "scale_constraints";
inline constexpr const char* kInputSamples = "samples";             // --samples
inline constexpr const char* kInputLocFormula = "loc_formula";      // --loc
inline constexpr const char* kInputScaleFormula = "scale_formula";  // --scale
// Repeatable options, recorded as arrays (FitRunInfo::input_lists).
inline constexpr const char* kInputLocNested = "loc_nested";      // --loc-nested F:G …
inline constexpr const char* kInputScaleNested = "scale_nested";  // --scale-nested F:G …
inline constexpr const char* kInputReferenceLevels = "ref";       // --ref FACTOR=LEVEL …
// The fit directory's size_factors.tsv when size factors were used (given or
// computed), so a refit uses the very same factors.
inline constexpr const char* kInputSizeFactors = "size_factors";
inline constexpr const char* kInputAlgorithm = "algorithm";
inline constexpr const char* kInputScaleEstimate = "scale_estimate";  // "mle" (or absent) | "cox-reid"
inline constexpr const char* kInputNoise = "noise";                    // "nb" (or absent) | "poisson"
inline constexpr const char* kInputFeatures = "features";  // --features BEGIN:END, or ""
inline constexpr const char* kInputLayer = "layer";        // --layer NAME (AnnData), or ""

// `path` made absolute (so the record survives a change of directory); ""
// stays "".
std::string AbsolutePath(const std::string& path);

// The size factors of --size-factors VALUE: computed for "ratio",
// "poscounts" or "total"; read from VALUE when it is a file; else the numeric
// column VALUE of the sample sheet of `options` (when it has one); none for "".
// Throws InputError naming --size-factors otherwise, or for a column that is
// not numeric or has a value that is not finite and > 0.
// Computed ones read the counts at most `max_bytes` at a time.
Vector ResolveSizeFactors(const std::string& value, const ModelOptions& options, const CountReader& counts,
                          std::int64_t max_bytes, const NbGlmModel& model);

// Records the model options in `info` (designs, constraints, sample sheet,
// formulas, nesting, reference levels).
void RecordModelInputs(const ModelOptions& options, FitRunInfo* info);
// Model options that rebuild the fitted model from recorded inputs.
ModelOptions ModelOptionsFromInputs(const FitRunInfo& info);

// Reorders the designs' rows to the counts' observation order when the names
// are the same set; counts without real names (a bare .mtx) are taken in
// design order. `counts_what` names the counts in messages (an option or a
// file). Throws InputError when the observations do not match.
void AlignObservations(const std::vector<std::string>& count_names, const std::string& counts_what,
                       const std::string& design_what, NbGlmModel* model);

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_FIT_INPUTS_H_
