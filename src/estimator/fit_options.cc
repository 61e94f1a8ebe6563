// FitOptions: the estimator names and the validity check that rejects what
// the fit cannot honour (docs/model.md §4, docs/api.md "What is checked").
#include <cmath>
#include <string>

#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/table.h"

namespace nbglm {

const char* ToString(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kIrls: return "irls";
    case Algorithm::kNewton: return "newton";
    case Algorithm::kCeres: return "ceres";
  }
  return "unknown";
}

const char* ToString(Noise noise) {
  switch (noise) {
    case Noise::kNegativeBinomial: return "nb";
    case Noise::kPoisson: return "poisson";
  }
  return "unknown";
}

Noise ParseNoise(const std::string& name) {
  if (name == "nb") return Noise::kNegativeBinomial;
  if (name == "poisson") return Noise::kPoisson;
  throw InputError("--noise", name, "must be nb or poisson");
}

Algorithm ParseAlgorithm(const std::string& name) {
  if (name == "irls") return Algorithm::kIrls;
  if (name == "newton") return Algorithm::kNewton;
  if (name == "ceres") return Algorithm::kCeres;
  throw InputError("--algorithm", name, "must be irls, newton or ceres");
}

namespace {
constexpr int kMaxIterationsLimit = 100000000;
constexpr double kMinSizeLimit = 1e-100;
constexpr double kMaxSizeLimit = 1e100;
}  // namespace

bool FitOptions::IsValid(std::string* error) const {
  auto fail = [error](const std::string& option, double value, const std::string& rule) {
    *error = option + ": " + FormatDouble(value) + ": " + rule;
    return false;
  };
  if (!(function_tolerance > 0.0) || !std::isfinite(function_tolerance)) {
    return fail("function_tolerance", function_tolerance, "must be finite and > 0");
  }
  if (!(gradient_tolerance > 0.0) || !std::isfinite(gradient_tolerance)) {
    return fail("gradient_tolerance", gradient_tolerance, "must be finite and > 0");
  }
  // The ceres estimator runs up to 5·max_iterations line-search steps (an int).
  if (max_iterations < 1 || max_iterations > kMaxIterationsLimit) {
    return fail("max_iterations", max_iterations, "must be in [1, " + std::to_string(kMaxIterationsLimit) + "]");
  }
  if (!(min_mean > 0.0) || !(min_mean < 1.0)) return fail("min_mean", min_mean, "must be in (0, 1)");
  // The bounds on r must stay far inside the Poisson limit r = e^500
  // (kPoissonLimitLogSize) and the range of doubles: the fit steps to 2·max_size
  // and compares log r with log max_size.
  if (!(min_size >= kMinSizeLimit)) return fail("min_size", min_size, "must be >= 1e-100");
  if (!(max_size > min_size) || !(max_size <= kMaxSizeLimit)) {
    return fail("max_size", max_size, "must be > min_size and <= 1e100");
  }
  if (num_threads < 0) return fail("threads", num_threads, "must be >= 0 (0 = all cores)");
  if (feature_begin < 0) return fail("feature_begin", static_cast<double>(feature_begin), "must be >= 0");
  if (feature_end >= 0 && feature_end < feature_begin) {
    return fail("feature_end", static_cast<double>(feature_end), "must be >= feature_begin");
  }
  return true;
}


}  // namespace nbglm
