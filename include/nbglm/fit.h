// Fitting: counts + model → per-feature maximum-likelihood estimates
// (docs/model.md §3–§4). Features are independent and fitted in parallel; the
// result of a feature is a pure function of its counts, the model and the
// options, so results are bit-identical for any thread count or feature range.
#ifndef NBGLM_FIT_H_
#define NBGLM_FIT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nbglm/counts.h"
#include "nbglm/error.h"
#include "nbglm/model.h"
#include "nbglm/types.h"

namespace nbglm {

class CountReader;  // nbglm/counts_io.h

// How a feature's fit ended. Never an exception from the parallel loop.
enum class FeatureStatus : std::uint8_t {
  kConverged,         // both stopping rules of FitOptions hold
  kMaxIterations,     // FitOptions::max_iterations reached first
  kNumericalFailure,  // non-finite log-likelihood/derivatives, or no ascent step found
  kAllZero,           // every count is 0: not fitted, estimates NaN
  kAtBound,           // an estimate reached a bound of FitOptions (e.g. a group of
                      // zeros drives a mean to 0, or r → ∞, the Poisson limit)
};
const char* ToString(FeatureStatus status);

enum class Algorithm { kIrls, kNewton, kCeres };
const char* ToString(Algorithm algorithm);
// "irls" | "newton" | "ceres"; throws InputError otherwise.
Algorithm ParseAlgorithm(const std::string& name);

// The counts' noise model (docs/model.md §1 and "Poisson"): the negative
// binomial with its scale model (log r = Zb), or the Poisson — no
// overdispersion, the NB's r → ∞ limit, fitted by its own exact objective.
enum class Noise { kNegativeBinomial, kPoisson };
const char* ToString(Noise noise);
// "nb" | "poisson"; throws InputError otherwise.
Noise ParseNoise(const std::string& name);

struct FitOptions {
  // nb (default) or poisson. A Poisson fit needs an intercept-only scale
  // model (~ 1: no overdispersion to model) and reports it at the limit:
  // scale (Intercept) = +Inf (log r = ∞), standard error NaN.
  Noise noise = Noise::kNegativeBinomial;

  // newton (default): joint Newton, exact Hessian, Levenberg damping — one
  // evaluation of the objective per iteration and quadratic convergence, the
  // fastest; irls: Fisher scoring for location alternating with safeguarded
  // Newton for scale (two evaluations per iteration); ceres: Ceres Solver's
  // line search (BFGS) on the same objective and analytic gradient. All three
  // reach the same maximum (tested).
  Algorithm algorithm = Algorithm::kNewton;

  // Stopping rules, evaluated at each iterate θ with gradient g and observed
  // information J = −H (both in the reduced parameters). A fit has converged
  // when BOTH hold:
  //  (a) relative log-likelihood change: the larger of the last accepted
  //      step's change |Δℓ| and the change a full Newton step predicts,
  //      gᵀJ⁻¹g / 2, is at most function_tolerance · (1 + |ℓ|);
  //  (b) scaled gradient: max_j |g_j| · sqrt((J⁻¹)_jj) — the log-likelihood
  //      gained by moving one standard error along θ_j — is at most
  //      gradient_tolerance.
  double function_tolerance = 1e-12;
  double gradient_tolerance = 1e-8;
  // Outer iterations per feature (an irls iteration = one location and one
  // scale update). Reaching it gives status max_iterations.
  int max_iterations = 200;

  // Bounds (status at_bound when reached at the end of a fit; see
  // docs/model.md "Bounds"): the fitted mean μ_i of an observation below
  // min_mean (a group of zeros drives it to 0), or the NB size r_i outside
  // [min_size, max_size] (r → ∞ is the Poisson limit, r → 0 a degenerate fit).
  double min_mean = 1e-10;
  double min_size = 1e-8;
  double max_size = 1e8;

  // Threads over features; 0 = all cores (std::thread::hardware_concurrency).
  int num_threads = 0;
  // The half-open range of features to fit, [feature_begin, feature_end);
  // feature_end = -1 means all. Per-range outputs concatenate to the full run.
  Index feature_begin = 0;
  Index feature_end = -1;

  // Called from the fitting threads with the number of features done so far
  // (for progress bars); must be thread-safe. May be empty. An exception it
  // throws stops the fit and reaches the caller of Fit (below).
  std::function<void(Index done, Index total)> progress;
  // Polled from the fitting threads between chunks of features; returning
  // true stops the fit, and Fit throws FitCancelled. Must be thread-safe.
  // May be empty.
  std::function<bool()> cancel;

  // Returns true when valid; else sets *error to "option: value: rule".
  // Rejects what the fit cannot honour: non-finite or non-positive
  // tolerances, max_iterations outside [1, 1e8] (the ceres estimator runs
  // 5× as many steps in an int), min_mean outside (0, 1), min_size below
  // 1e-100, max_size not above min_size or above 1e100 (far inside the
  // Poisson limit r = e^500 that the fit reports beyond max_size).
  bool IsValid(std::string* error) const;
};

// Per-feature results, one row per fitted feature (in input order).
struct FitResult {
  std::vector<std::string> feature_names;
  std::vector<std::string> location_names;  // p names (the design's)
  std::vector<std::string> scale_names;     // p_s names
  Matrix location_coef;                     // features × p, a = B θ (log link)
  Matrix scale_coef;                        // features × p_s, b (log r link)
  Matrix location_se;                       // features × p, NaN when not estimable
  Matrix scale_se;                          // features × p_s
  // Covariance of the reduced parameters θ = (θ_loc, θ_scale), the inverse
  // observed information: features × m × m, m = q + q_s. NaN when singular.
  xt::xtensor<double, 3> reduced_covariance;
  std::vector<double> loglik;               // maximised Σ ℓ_i (NaN when not fitted)
  std::vector<FeatureStatus> status;
  // Algorithm::kCeres: how the Ceres solve of the reported point ended
  // (Ceres's names: "CONVERGENCE", "NO_CONVERGENCE", "FAILURE", …), the
  // solver's own verdict beside the status (which the stopping rules of
  // FitOptions decide). Empty for newton and irls, for a point taken from the
  // Poisson-limit step, and in results read back from files (not stored).
  std::vector<std::string> solver_termination;
  std::vector<int> iterations;
  std::vector<std::uint8_t> location_trained;  // 0 when the initial location was already the exact MLE
  std::vector<std::uint8_t> scale_trained;

  Algorithm algorithm = Algorithm::kIrls;
  int num_threads = 1;
  double wall_seconds = 0.0;
  Index feature_begin = 0;

  Index num_features() const { return static_cast<Index>(status.size()); }

  // Results by parameter name. `name` is a location or scale parameter,
  // looked up among the location names first; "loc:NAME" or "scale:NAME"
  // picks the predictor (the scale (Intercept) of a model whose location
  // has one is "scale:(Intercept)"). `row` counts from 0 in this result.
  // Throws InputError naming the parameters for an unknown name or a row
  // out of range.
  double Coefficient(Index row, const std::string& name) const;
  double StandardError(Index row, const std::string& name) const;
  // Number of features per status, indexed by FeatureStatus.
  std::vector<Index> StatusCounts() const;
  // A brief report: features, counts per status, algorithm, threads, time
  // (FormatFitReport).
  std::string BriefReport() const;
};

// "F features fitted (ALGORITHM, T threads, S s[, C chunks]): STATUS COUNT …",
// the chunks only when more than one.
std::string FormatFitReport(Index features, Algorithm algorithm, int threads, double wall_seconds,
                            const std::vector<Index>& status_counts, std::size_t chunks = 1);

// Thrown by Fit when FitOptions::cancel asked it to stop.
class FitCancelled : public Error {
 public:
  FitCancelled() : Error("fit cancelled") {}
};

// Fits every feature in the options' range. `size_factors` (length n, > 0)
// enter as offsets o_i = log s_i (eq. 1) everywhere, initialisation included;
// empty means all 1. Throws InputError for caller mistakes (shape mismatch,
// invalid options, bad size factors) before any fitting starts. An exception
// in a fitting thread (e.g. std::bad_alloc, or one from the progress
// callback) stops the other threads at their next chunk and is rethrown here
// after all have joined; a cancelled fit throws FitCancelled. No exception
// escapes a thread.
FitResult Fit(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors,
              const FitOptions& options);

// The fit with the NB size estimated by the Cox–Reid adjusted profile
// likelihood instead of plain maximum likelihood (docs/de.md "Cox–Reid"):
// less biased with few observations per feature. Needs an intercept-only
// scale model (one size per feature; InputError otherwise). Per feature the
// location at fixed r and the Cox–Reid r at those means are alternated to
// their fixed point (|Δ log r| ≤ 1e-8; at most options.max_iterations
// rounds, else status max_iterations). Results as Fit's: the location and
// its covariance at the estimated r (Fisher information, eq. (5)), the
// scale log r with the standard error of the adjusted likelihood's
// curvature, the log-likelihood ℓ at the estimate; the Poisson limit and
// groups of zeros as in Fit (status at_bound, +Inf / NaN). `algorithm` is
// reported as given but not used; thread count and feature range as Fit.
FitResult FitCoxReid(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors,
                     const FitOptions& options);

// Counts held at once by the CountReader overloads below unless told otherwise.
inline constexpr std::int64_t kDefaultFitChunkBytes = std::int64_t{1} << 30;

// Fit and FitCoxReid over a CountReader — a file read a range of features at
// a time, or counts in the caller's memory (CountReader(CountArrayView),
// nbglm/count_view.h) — holding at most `chunk_bytes` of counts
// (CountReader::BytesToRead; at least one feature) besides what the reader
// holds: the features of [options.feature_begin, options.feature_end) are
// read and fitted one chunk (PlanFeatureChunks) at a time and the results
// stacked in feature order. The result equals, bit for bit, the overload on
// a CountMatrix of all the counts (wall_seconds: the sum over chunks).
// `progress` counts over the whole range; `cancel` and exceptions as above.
// Throws InputError, before reading any counts, for invalid options,
// chunk_bytes ≤ 0, observations that do not match the model, or bad size
// factors.
FitResult Fit(const CountReader& counts, const NbGlmModel& model, const Vector& size_factors,
              const FitOptions& options, std::int64_t chunk_bytes = kDefaultFitChunkBytes);
FitResult FitCoxReid(const CountReader& counts, const NbGlmModel& model, const Vector& size_factors,
                     const FitOptions& options, std::int64_t chunk_bytes = kDefaultFitChunkBytes);

}  // namespace nbglm

#endif  // NBGLM_FIT_H_
