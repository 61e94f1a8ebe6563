// Writing fit results (DESIGN.md §8 `nbglm fit` outputs) and reading them back
// (for `nbglm test`).
#ifndef NBGLM_FIT_OUTPUT_H_
#define NBGLM_FIT_OUTPUT_H_

#include <string>
#include <vector>

#include "nbglm/fit.h"

namespace nbglm {

// Extra context recorded in summary.json.
struct FitRunInfo {
  std::string counts_path;
  std::string command_line;
  std::vector<std::pair<std::string, std::string>> extra;  // key, value (strings)
};

// Writes into `dir` (created if missing): loc_coef.tsv, scale_coef.tsv,
// loc_se.tsv, scale_se.tsv (header `feature` + parameter names, one row per
// feature in input order, log-link scale), feature_stats.tsv (feature,
// loglik, status, iterations, location_trained, scale_trained),
// reduced_covariance.tsv (feature + the upper triangle of Cov(θ), used by
// `nbglm test`), model.json (designs' parameter names and bases) and
// summary.json (counts per status, algorithm, threads, wall time, …).
// All files are first written under a temporary name in `dir` and renamed
// into place only when every one is complete.
void WriteFitOutputs(const std::string& dir, const FitResult& result, const NbGlmModel& model,
                     const FitRunInfo& info);

}  // namespace nbglm

#endif  // NBGLM_FIT_OUTPUT_H_
