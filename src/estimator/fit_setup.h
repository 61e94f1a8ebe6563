// What every fitting entry point (Fit, FitCoxReid) sets up the same way: the
// feature range of the options, the empty result of that shape and the
// thread count. Internal header; implemented in fit.cc.
#ifndef NBGLM_SRC_ESTIMATOR_FIT_SETUP_H_
#define NBGLM_SRC_ESTIMATOR_FIT_SETUP_H_

#include <vector>

#include "nbglm/fit.h"

namespace nbglm {

// Checks the options, the counts' observations against the model and the
// size factors (InputError before any work) and returns the offsets
// o_i = log s_i (all 0 without size factors).
std::vector<double> CheckFitInputs(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors,
                                   const FitOptions& options);

// The options' feature range clamped to the counts: [*begin, *end).
void FeatureRange(const CountMatrix& counts, const FitOptions& options, Index* begin, Index* end);

// A result for features [begin, end): names, per-feature matrices sized
// (features × p, × p_s, × m × m with m = q + q_s), log-likelihoods NaN,
// statuses numerical_failure (each fitted row overwrites them), the
// algorithm, feature_begin and num_threads (FitThreads).
FitResult ShapeFitResult(const CountMatrix& counts, const NbGlmModel& model, const FitOptions& options, Index begin,
                         Index end);

// Threads for `count` features: options.num_threads (0: all cores), at
// least 1, at most one per feature.
int FitThreads(const FitOptions& options, Index count);

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_FIT_SETUP_H_
