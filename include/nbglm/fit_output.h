// Writing fit results (docs/formats.md "fit outputs") and reading them back
// (for `nbglm test`).
#ifndef NBGLM_FIT_OUTPUT_H_
#define NBGLM_FIT_OUTPUT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nbglm/fit.h"
#include "nbglm/model.h"

namespace nbglm {

// Extra context recorded in summary.json.
struct FitRunInfo {
  std::string counts_path;
  std::string command_line;
  std::vector<std::pair<std::string, std::string>> extra;  // key, value (strings)
  // How to repeat the fit on the same data (summary.json "inputs": an object
  // of strings), so that `nbglm test` can refit a reduced model: e.g.
  // "counts", "loc_design", "loc_constraints", "scale_design",
  // "scale_constraints", "size_factors", "algorithm" (absolute paths; an
  // empty value means the option was not given). Which keys exist is the
  // caller's business; the library only stores and returns them.
  std::vector<std::pair<std::string, std::string>> inputs;
  // Options given any number of times (e.g. "loc_nested"), stored as arrays
  // of strings in the same "inputs" object.
  std::vector<std::pair<std::string, std::vector<std::string>>> input_lists;
  // Further files written into the fit directory with the others (name,
  // contents), e.g. the size factors used.
  std::vector<std::pair<std::string, std::string>> files;

  // The value recorded for `key` in `inputs`, or "" when there is none.
  std::string Input(const std::string& key) const;
  // The values recorded for `key` in `input_lists`, or none.
  std::vector<std::string> InputList(const std::string& key) const;
};

// Writes into `dir` (created if missing): loc_coef.tsv, scale_coef.tsv,
// loc_se.tsv, scale_se.tsv (header `feature` + parameter names, one row per
// feature in input order, log-link scale), feature_stats.tsv (feature,
// loglik, status, iterations, location_trained, scale_trained),
// reduced_covariance.tsv (feature + the upper triangle of Cov(θ), used by
// `nbglm test`), model.json (designs' parameter names and bases) and
// summary.json (counts per status, algorithm, threads, wall time, inputs, …).
// All files are first written under a temporary name in `dir` and renamed
// into place only when every one is complete.
void WriteFitOutputs(const std::string& dir, const FitResult& result, const NbGlmModel& model,
                     const FitRunInfo& info);

// Writes a fit directory incrementally: the per-feature tables row by row as
// results arrive (a run fitted in chunks of features appends each chunk),
// then model.json, summary.json (counts per status and wall time summed
// over the chunks) and info.files at Finish. Everything is written into a
// staging directory inside `dir` and renamed into place by Finish; an error
// (or destruction without Finish) removes it, so `dir` never holds a partial
// output. WriteFitOutputs is one Append and Finish.
class FitOutputWriter {
 public:
  FitOutputWriter(const std::string& dir, const NbGlmModel& model);
  ~FitOutputWriter();
  FitOutputWriter(const FitOutputWriter&) = delete;
  FitOutputWriter& operator=(const FitOutputWriter&) = delete;
  // The rows of `result`'s features (in order after those appended before).
  void Append(const FitResult& result);
  void Finish(const FitRunInfo& info);
  // FormatFitReport of everything appended (features, statuses and wall
  // time summed, one chunk per Append).
  std::string BriefReport() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Reads a directory written by WriteFitOutputs back into a FitResult: every
// per-feature result (coefficients, standard errors, reduced covariance,
// log-likelihood, status, iterations, trained flags; values read back exactly,
// NaN included) and the run's algorithm, threads, wall time and first feature.
//
// `model`, when not null, receives what model.json holds: both predictors'
// parameter names and bases — all that WaldTest and LikelihoodRatioTest use.
// Design values are not stored in a fit directory, so its designs have zero
// rows (no observations), its reduced designs are empty and its
// identifiability reports are default. `info`, when not null, receives the
// counts path, command line and recorded inputs of summary.json.
//
// Throws InputError naming the file (and line) of anything missing, malformed
// or inconsistent: a file absent, a feature list that differs between files,
// parameter names that disagree with model.json.
FitResult ReadFitOutputs(const std::string& dir, NbGlmModel* model = nullptr, FitRunInfo* info = nullptr);

}  // namespace nbglm

#endif  // NBGLM_FIT_OUTPUT_H_
