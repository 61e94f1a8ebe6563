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
  FitResult all;
  all.feature_begin = run.begin;
  all.location_names = run.model.location.design.parameter_names;
  all.scale_names = run.model.scale.design.parameter_names;
  all.algorithm = request.fit.algorithm;
  const std::size_t total = static_cast<std::size_t>(run.end - run.begin);
  const std::size_t p = all.location_names.size();
  const std::size_t ps = all.scale_names.size();
  std::size_t row = 0;
  FitChunks(run, request, reader, progress, [&](FitResult& chunk) {
    const std::size_t n = static_cast<std::size_t>(chunk.num_features());
    if (row == 0) {
      const std::size_t m = chunk.reduced_covariance.shape(1);
      all.location_coef = Matrix::from_shape({total, p});
      all.scale_coef = Matrix::from_shape({total, ps});
      all.location_se = Matrix::from_shape({total, p});
      all.scale_se = Matrix::from_shape({total, ps});
      all.reduced_covariance = xt::xtensor<double, 3>::from_shape({total, m, m});
      all.algorithm = chunk.algorithm;
      all.num_threads = chunk.num_threads;
    }
    // Row-major storage: the chunk's rows are one contiguous block.
    const auto append = [row](const auto& from, auto& to) {
      std::copy(from.begin(), from.end(), to.begin() + static_cast<std::ptrdiff_t>(row * (to.size() / to.shape(0))));
    };
    append(chunk.location_coef, all.location_coef);
    append(chunk.scale_coef, all.scale_coef);
    append(chunk.location_se, all.location_se);
    append(chunk.scale_se, all.scale_se);
    append(chunk.reduced_covariance, all.reduced_covariance);
    all.feature_names.insert(all.feature_names.end(), chunk.feature_names.begin(), chunk.feature_names.end());
    all.loglik.insert(all.loglik.end(), chunk.loglik.begin(), chunk.loglik.end());
    all.status.insert(all.status.end(), chunk.status.begin(), chunk.status.end());
    all.iterations.insert(all.iterations.end(), chunk.iterations.begin(), chunk.iterations.end());
    all.location_trained.insert(all.location_trained.end(), chunk.location_trained.begin(), chunk.location_trained.end());
    all.scale_trained.insert(all.scale_trained.end(), chunk.scale_trained.begin(), chunk.scale_trained.end());
    all.wall_seconds += chunk.wall_seconds;
    row += n;
  });
  return all;
}

}  // namespace nbglm::cli
