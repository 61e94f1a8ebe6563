#include "nbglm/inference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A feature whose estimates can be tested: converged, or at a bound (the
// covariance then holds NaN exactly for the predictor that hit it).
bool Testable(FeatureStatus status) {
  return status == FeatureStatus::kConverged || status == FeatureStatus::kAtBound;
}

}  // namespace

std::vector<double> BenjaminiHochberg(const std::vector<double>& pvalues) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < pvalues.size(); ++i) {
    if (!std::isnan(pvalues[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return pvalues[a] < pvalues[b]; });
  std::vector<double> adjusted(pvalues.size(), kNaN);
  const double m = static_cast<double>(order.size());
  double running = 1.0;
  for (std::size_t k = order.size(); k-- > 0;) {
    const double value = pvalues[order[k]] * m / static_cast<double>(k + 1);
    running = std::min(running, value);
    adjusted[order[k]] = std::min(running, 1.0);
  }
  return adjusted;
}

TestResult WaldTest(const FitResult& fit, const NbGlmModel& model, const std::vector<double>& contrast,
                    Predictor predictor) {
  const LinearPredictor& lp = predictor == Predictor::kLocation ? model.location : model.scale;
  const std::size_t p = static_cast<std::size_t>(lp.num_parameters());
  if (contrast.size() != p) {
    throw InputError("contrast", std::to_string(contrast.size()) + " entries",
                     "expected " + std::to_string(p) + " (one per parameter of the tested predictor)");
  }
  const std::size_t q = static_cast<std::size_t>(lp.num_reduced());
  const std::size_t block = predictor == Predictor::kLocation ? 0 : static_cast<std::size_t>(model.location.num_reduced());
  // Bᵀc: the contrast in the reduced parameters.
  std::vector<double> reduced(q, 0.0);
  const Matrix& b = lp.constraints.basis();
  for (std::size_t k = 0; k < q; ++k) {
    for (std::size_t j = 0; j < p; ++j) reduced[k] += b(j, k) * contrast[j];
  }
  const Matrix& coef = predictor == Predictor::kLocation ? fit.location_coef : fit.scale_coef;
  const boost::math::normal normal;
  TestResult result;
  result.feature_names = fit.feature_names;
  const std::size_t features = static_cast<std::size_t>(fit.num_features());
  for (std::size_t f = 0; f < features; ++f) {
    double estimate = 0.0;
    for (std::size_t j = 0; j < p; ++j) estimate += contrast[j] * coef(f, j);
    double variance = 0.0;
    for (std::size_t k = 0; k < q; ++k) {
      for (std::size_t l = 0; l < q; ++l) variance += reduced[k] * fit.reduced_covariance(f, block + k, block + l) * reduced[l];
    }
    double se = variance >= 0.0 ? std::sqrt(variance) : kNaN;
    // An estimate is reported only with its standard error: without one (not
    // estimable, e.g. a coefficient running off to a bound) it is NaN.
    if (!Testable(fit.status[f]) || !std::isfinite(se) || !std::isfinite(estimate)) {
      estimate = kNaN;
      se = kNaN;
    }
    double z = std::isfinite(se) && se > 0.0 ? estimate / se : kNaN;
    double pvalue = std::isfinite(z) ? 2.0 * boost::math::cdf(boost::math::complement(normal, std::abs(z))) : kNaN;
    if (std::isfinite(se) && se == 0.0) {  // a contrast the model fixes (e.g. by constraints): nothing to test
      z = kNaN;
      pvalue = kNaN;
    }
    result.estimate.push_back(estimate);
    result.se.push_back(se);
    result.statistic.push_back(z);
    result.pvalue.push_back(pvalue);
    result.status.push_back(ToString(fit.status[f]));
  }
  result.padj = BenjaminiHochberg(result.pvalue);
  return result;
}

TestResult WaldTestCoefficient(const FitResult& fit, const NbGlmModel& model, const std::string& name) {
  const auto& loc = fit.location_names;
  const auto& scale = fit.scale_names;
  // "loc:NAME" / "scale:NAME" pick the predictor (for names both have).
  const bool loc_only = name.rfind("loc:", 0) == 0;
  const bool scale_only = name.rfind("scale:", 0) == 0;
  const std::string bare = loc_only ? name.substr(4) : scale_only ? name.substr(6) : name;
  if (!scale_only) {
    if (const auto it = std::find(loc.begin(), loc.end(), bare); it != loc.end()) {
      std::vector<double> c(loc.size(), 0.0);
      c[static_cast<std::size_t>(it - loc.begin())] = 1.0;
      return WaldTest(fit, model, c, Predictor::kLocation);
    }
  }
  if (!loc_only) {
    if (const auto it = std::find(scale.begin(), scale.end(), bare); it != scale.end()) {
      std::vector<double> c(scale.size(), 0.0);
      c[static_cast<std::size_t>(it - scale.begin())] = 1.0;
      return WaldTest(fit, model, c, Predictor::kScale);
    }
  }
  std::string names;
  for (const auto& n : loc) names += (names.empty() ? "" : ", ") + n;
  std::string scale_names;
  for (const auto& n : scale) scale_names += (scale_names.empty() ? "" : ", ") + n;
  throw InputError("--coef", name,
                   "is not a location or scale parameter (location parameters: " + names +
                       "; scale parameters: " + scale_names + "; prefix loc: or scale: to choose)");
}

namespace {

// 2Δℓ of two nested fits of one feature (Δℓ = ℓ_larger − ℓ_nested), as
// {Δℓ, statistic}; NaN unless both fits are maxima. The larger model nests
// the other, so Δℓ ≥ 0 up to the stopping tolerance: that rounding is
// clamped to 0, a real violation stays visible as NaN.
std::pair<double, double> NestedStatistic(FeatureStatus a, double larger, FeatureStatus b, double nested) {
  if (!Testable(a) || !Testable(b)) return {kNaN, kNaN};
  const double difference = larger - nested;
  double statistic = 2.0 * difference;
  const double slack = 1e-8 * (1.0 + std::abs(larger));
  if (statistic < 0.0) statistic = statistic > -slack ? 0.0 : kNaN;
  return {difference, statistic};
}

}  // namespace

TestResult LikelihoodRatioTest(const FitResult& full, const NbGlmModel& full_model, const FitResult& reduced,
                               const NbGlmModel& reduced_model) {
  if (full.feature_names != reduced.feature_names) {
    throw InputError("reduced fit", std::to_string(reduced.num_features()) + " features",
                     "must be the full fit's features in the same order");
  }
  const Index df = full_model.location.num_reduced() + full_model.scale.num_reduced() -
                   reduced_model.location.num_reduced() - reduced_model.scale.num_reduced();
  if (df <= 0) {
    throw InputError("reduced model", std::to_string(df) + " degrees of freedom",
                     "the reduced model must have fewer free parameters than the full model");
  }
  const boost::math::chi_squared chi2(static_cast<double>(df));
  TestResult result;
  result.df = static_cast<double>(df);
  result.feature_names = full.feature_names;
  for (std::size_t f = 0; f < full.feature_names.size(); ++f) {
    const FeatureStatus a = full.status[f];
    const FeatureStatus b = reduced.status[f];
    const FeatureStatus worse = a != FeatureStatus::kConverged ? a : b;
    const auto [difference, statistic] = NestedStatistic(a, full.loglik[f], b, reduced.loglik[f]);
    const double pvalue = std::isfinite(statistic) ? boost::math::cdf(boost::math::complement(chi2, statistic)) : kNaN;
    result.estimate.push_back(difference);
    result.se.push_back(kNaN);
    result.statistic.push_back(statistic);
    result.pvalue.push_back(pvalue);
    result.status.push_back(ToString(worse));
  }
  result.padj = BenjaminiHochberg(result.pvalue);
  return result;
}

TestResult OverdispersionTest(const FitResult& nb, const NbGlmModel& nb_model, const FitResult& poisson) {
  if (nb.feature_names != poisson.feature_names) {
    throw InputError("Poisson fit", std::to_string(poisson.num_features()) + " features",
                     "must be the NB fit's features in the same order");
  }
  if (nb_model.scale.num_reduced() != 1) {
    throw InputError("overdispersion test", "a scale model with " + std::to_string(nb_model.scale.num_reduced()) +
                                                " free parameters",
                     "tests one size against the Poisson: needs an intercept-only scale model (~ 1)");
  }
  const boost::math::chi_squared chi2(1.0);
  TestResult result;
  result.df = 1.0;
  result.feature_names = nb.feature_names;
  for (std::size_t f = 0; f < nb.feature_names.size(); ++f) {
    const FeatureStatus a = nb.status[f];
    const FeatureStatus b = poisson.status[f];
    const auto [difference, statistic] = NestedStatistic(a, nb.loglik[f], b, poisson.loglik[f]);  // the NB nests it
    double pvalue = kNaN;
    if (statistic > 0.0) {
      pvalue = 0.5 * boost::math::cdf(boost::math::complement(chi2, statistic));
    } else if (statistic == 0.0) {
      pvalue = 1.0;
    }
    result.estimate.push_back(difference);
    result.se.push_back(kNaN);
    result.statistic.push_back(statistic);
    result.pvalue.push_back(pvalue);
    result.status.push_back(ToString(a != FeatureStatus::kConverged ? a : b));
  }
  result.padj = BenjaminiHochberg(result.pvalue);
  return result;
}

std::string TestResult::ToTsv() const {
  std::string text = "feature\testimate\tse\tstatistic\tpvalue\tpadj\tstatus\n";
  for (std::size_t f = 0; f < feature_names.size(); ++f) {
    text += feature_names[f] + "\t" + FormatDouble(estimate[f]) + "\t" + FormatDouble(se[f]) + "\t" +
            FormatDouble(statistic[f]) + "\t" + FormatDouble(pvalue[f]) + "\t" + FormatDouble(padj[f]) + "\t" +
            status[f] + "\n";
  }
  return text;
}

}  // namespace nbglm
