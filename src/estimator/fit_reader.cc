// Fit and FitCoxReid over a CountReader (nbglm/fit.h): the features read and
// fitted one chunk at a time, the chunks' results stacked in feature order.
// A feature's fit depends only on its own counts (docs/model.md §4), so the
// stacked result is the one Fit returns on all the counts at once, bit for bit.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "estimator/fit_setup.h"
#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"

namespace nbglm {
namespace {

using ChunkFit = FitResult (*)(const CountMatrix&, const NbGlmModel&, const Vector&, const FitOptions&);

// Copies `chunk`'s rows into `all` (shaped for the whole range) from row `row` on.
void PutChunk(const FitResult& chunk, std::size_t row, FitResult* all) {
  // Row-major storage: the chunk's rows are one contiguous block of each array.
  const auto put = [row](const auto& from, auto& to) {
    const std::size_t row_size = to.shape(0) == 0 ? 0 : to.size() / to.shape(0);
    std::copy(from.begin(), from.end(), to.begin() + static_cast<std::ptrdiff_t>(row * row_size));
  };
  put(chunk.location_coef, all->location_coef);
  put(chunk.scale_coef, all->scale_coef);
  put(chunk.location_se, all->location_se);
  put(chunk.scale_se, all->scale_se);
  put(chunk.reduced_covariance, all->reduced_covariance);
  const auto put_rows = [row](const auto& from, auto& to) {
    std::copy(from.begin(), from.end(), to.begin() + static_cast<std::ptrdiff_t>(row));
  };
  put_rows(chunk.loglik, all->loglik);
  put_rows(chunk.status, all->status);
  put_rows(chunk.solver_termination, all->solver_termination);
  put_rows(chunk.iterations, all->iterations);
  put_rows(chunk.location_trained, all->location_trained);
  put_rows(chunk.scale_trained, all->scale_trained);
  all->wall_seconds += chunk.wall_seconds;
}

FitResult FitInChunks(ChunkFit fit, const CountReader& counts, const NbGlmModel& model, const Vector& size_factors,
                      const FitOptions& options, std::int64_t chunk_bytes) {
  CheckFitInputs(counts.num_observations(), model, size_factors, options);
  if (chunk_bytes <= 0) throw InputError("chunk_bytes", std::to_string(chunk_bytes), "must be positive");
  Index begin = 0, end = 0;
  FeatureRange(counts.num_features(), options, &begin, &end);
  FitResult all = ShapeFitResult(counts.FeatureNames(begin, end), model, options, begin);
  if (begin == end) return all;
  const Index total = end - begin;
  std::size_t row = 0;
  for (const auto& [chunk_begin, chunk_end] : PlanFeatureChunks(counts, begin, end, chunk_bytes)) {
    const CountMatrix chunk_counts = counts.Read(chunk_begin, chunk_end);
    FitOptions chunk_options = options;
    chunk_options.feature_begin = 0;
    chunk_options.feature_end = -1;
    if (options.progress) {
      const Index done_before = static_cast<Index>(row);
      chunk_options.progress = [&options, done_before, total](Index done, Index) {
        options.progress(done_before + done, total);
      };
    }
    const FitResult chunk = fit(chunk_counts, model, size_factors, chunk_options);
    PutChunk(chunk, row, &all);
    row += static_cast<std::size_t>(chunk.num_features());
  }
  return all;
}

}  // namespace

FitResult Fit(const CountReader& counts, const NbGlmModel& model, const Vector& size_factors,
              const FitOptions& options, std::int64_t chunk_bytes) {
  return FitInChunks(
      [](const CountMatrix& c, const NbGlmModel& m, const Vector& s, const FitOptions& o) { return Fit(c, m, s, o); },
      counts, model, size_factors, options, chunk_bytes);
}

FitResult FitCoxReid(const CountReader& counts, const NbGlmModel& model, const Vector& size_factors,
                     const FitOptions& options, std::int64_t chunk_bytes) {
  return FitInChunks([](const CountMatrix& c, const NbGlmModel& m, const Vector& s,
                        const FitOptions& o) { return FitCoxReid(c, m, s, o); },
                     counts, model, size_factors, options, chunk_bytes);
}

}  // namespace nbglm
