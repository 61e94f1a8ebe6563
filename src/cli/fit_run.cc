#include "cli/fit_run.h"

#include <algorithm>
#include <string>
#include <utility>

#include "cli/fit_inputs.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm::cli {

FitRun PrepareFit(const FitRequest& request, NbGlmModel model, const CountReader& reader,
                  const std::string& counts_what) {
  FitRun run;
  run.model = std::move(model);
  AlignObservations(reader.observation_names(), counts_what, request.model.ObservationSource(), &run.model);
  // The features to fit, in chunks whose counts fit in chunk_bytes (one
  // chunk unless the input is larger): each chunk is read, fitted and handed
  // on before the next (docs/cli.md "Memory").
  run.begin = std::min(request.fit.feature_begin, reader.num_features());
  run.end = request.fit.feature_end < 0 ? reader.num_features()
                                         : std::min(request.fit.feature_end, reader.num_features());
  if (run.end > run.begin) run.chunks = PlanFeatureChunks(reader, run.begin, run.end, request.chunk_bytes);
  if (request.given_size_factors.size() > 0) {
    run.size_factors = request.given_size_factors;
  } else {
    run.size_factors = ResolveSizeFactors(request.size_factors, request.model, reader, request.chunk_bytes, run.model);
  }
  return run;
}

void FitChunks(const FitRun& run, const FitRequest& request, const CountReader& reader,
               const std::function<void(Index done, Index total)>& progress,
               const std::function<void(FitResult&)>& consume) {
  Index fitted = 0;
  const Index total = run.end - run.begin;
  for (const auto& [chunk_begin, chunk_end] : run.chunks) {
    const CountMatrix counts = reader.Read(chunk_begin, chunk_end);
    FitOptions options = request.fit;
    options.feature_begin = 0;
    options.feature_end = -1;
    if (progress) options.progress = [&progress, fitted, total](Index done, Index) { progress(fitted + done, total); };
    FitResult result = request.cox_reid ? FitCoxReid(counts, run.model, run.size_factors, options)
                                        : Fit(counts, run.model, run.size_factors, options);
    result.feature_begin = chunk_begin;
    fitted += result.num_features();
    consume(result);
  }
}

FitResult CollectFit(const FitRun& run, const FitRequest& request, const CountReader& reader,
                     const std::function<void(Index done, Index total)>& progress) {
  // The library's chunked fit plans the same chunks as run.chunks
  // (PlanFeatureChunks over [run.begin, run.end) with request.chunk_bytes).
  FitOptions options = request.fit;
  options.feature_begin = run.begin;
  options.feature_end = run.end;
  options.progress = progress;
  return request.cox_reid ? FitCoxReid(reader, run.model, run.size_factors, options, request.chunk_bytes)
                          : Fit(reader, run.model, run.size_factors, options, request.chunk_bytes);
}

}  // namespace nbglm::cli
