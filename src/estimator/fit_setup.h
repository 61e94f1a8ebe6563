// What every fitting entry point (Fit, FitCoxReid, on a CountMatrix or a
// CountReader) sets up the same way: the checks of its inputs, the feature
// range of the options, the empty result of that shape and the thread count.
// Internal header; implemented in fit.cc.
#ifndef NBGLM_SRC_ESTIMATOR_FIT_SETUP_H_
#define NBGLM_SRC_ESTIMATOR_FIT_SETUP_H_

#include <string>
#include <vector>

#include "nbglm/fit.h"

namespace nbglm {

// Throws InputError unless the counts have the model's observations
// (`num_observations` of them) and the size factors are empty or valid.
// A Poisson fit (FitOptions::noise) needs an intercept-only scale model (a
// single column of ones): throws InputError otherwise.
void CheckPoissonScaleModel(const NbGlmModel& model);

void CheckCountsMatchModel(Index num_observations, const NbGlmModel& model, const Vector& size_factors);

// Checks the options and CheckCountsMatchModel (InputError before any work)
// and returns the offsets o_i = log s_i (all 0 without size factors).
std::vector<double> CheckFitInputs(Index num_observations, const NbGlmModel& model, const Vector& size_factors,
                                   const FitOptions& options);

// The options' feature range clamped to [0, num_features]: [*begin, *end).
void FeatureRange(Index num_features, const FitOptions& options, Index* begin, Index* end);

// A result for the features [begin, begin + feature_names.size()): names,
// per-feature matrices sized (features × p, × p_s, × m × m with m = q + q_s),
// log-likelihoods NaN, statuses numerical_failure (each fitted row
// overwrites them), the algorithm, feature_begin and num_threads (FitThreads).
FitResult ShapeFitResult(std::vector<std::string> feature_names, const NbGlmModel& model, const FitOptions& options,
                         Index begin);

// Threads for `count` features: options.num_threads (0: all cores), at
// least 1, at most one per feature.
int FitThreads(const FitOptions& options, Index count);

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_FIT_SETUP_H_
