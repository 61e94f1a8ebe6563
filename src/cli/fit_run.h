// The fit of `nbglm fit` without its files: model, size factors, chunks and
// the fits of the chunks. The command writes the chunks' results to DIR; the
// Python module (python/) collects them — both from this one code path, so
// their numbers are the same.
#ifndef NBGLM_SRC_CLI_FIT_RUN_H_
#define NBGLM_SRC_CLI_FIT_RUN_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cli/model_options.h"
#include "nbglm/counts_io.h"
#include "nbglm/fit.h"
#include "nbglm/fit_output.h"
#include "nbglm/model.h"

namespace nbglm::cli {

struct FitRequest {
  ModelOptions model;
  // --size-factors: "", ratio, poscounts, total, a file or a numeric column
  // of the sample sheet (ResolveSizeFactors); ignored when `given_size_factors`
  // is set (one per observation, in the counts' order).
  std::string size_factors;
  Vector given_size_factors;
  FitOptions fit;  // feature_begin / feature_end: the range to fit (-1: to the end)
  bool cox_reid = false;
  // Counts of at most this many bytes are read at a time (half the memory budget).
  std::int64_t chunk_bytes = std::int64_t{2048} << 20;
};

struct FitRun {
  NbGlmModel model;
  Vector size_factors;  // empty: none
  std::vector<std::pair<Index, Index>> chunks;
  Index begin = 0, end = 0;  // the features fitted
};

// Aligns `model` (request->model.Build(true), built before the counts are
// opened so that a design mistake costs no reading) with the counts'
// observations, plans the chunks and resolves the size factors.
// `counts_what` names the counts in messages ("--counts FILE").
FitRun PrepareFit(const FitRequest& request, NbGlmModel model, const CountReader& reader,
                  const std::string& counts_what);

// Reads, fits and hands each chunk's result to `consume` (feature_begin set
// to the chunk's first feature), in feature order; `progress(done, total)`
// counts over the whole range.
void FitChunks(const FitRun& run, const FitRequest& request, const CountReader& reader,
               const std::function<void(Index done, Index total)>& progress,
               const std::function<void(FitResult&)>& consume);

// FitChunks collected into one FitResult over [run.begin, run.end), as one
// Fit over that range returns it (feature_begin = run.begin).
FitResult CollectFit(const FitRun& run, const FitRequest& request, const CountReader& reader,
                     const std::function<void(Index done, Index total)>& progress);

// `nbglm fit` before its fits: the request, the counts and PrepareFit's run.
struct PreparedFit {
  FitRequest request;
  CountReader reader;
  FitRun run;
};

// `nbglm fit` in steps, for a caller that splits the features across
// processes (src/distributed/, docs/distributed.md): every process prepares
// (reads the input, computes the size factors over all features), fits a
// range of features, and one process writes every result.
struct FitCommandSteps {
  // Checks the options, reads the input and resolves the size factors.
  std::function<PreparedFit()> prepare;
  // Writes --out as the command does: `append` hands the writer the results
  // in feature order; `chunks` (all processes' together) and `ranks` (> 1:
  // recorded as "ranks") go to summary.json.
  std::function<void(const PreparedFit&, const std::function<void(FitOutputWriter&)>& append, std::size_t chunks,
                     int ranks)>
      write;
  bool quiet = false;
};

// Runs the steps (returns the exit status); set by main() when the tool is
// one of several MPI ranks.
using FitDistributor = std::function<int(const FitCommandSteps&)>;

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_FIT_RUN_H_
