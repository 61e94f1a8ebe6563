// DifferentialExpression (nbglm/de.h): the pipeline of docs/de.md, one pass
// over the features per step, with the cross-feature steps (trend, prior,
// Benjamini–Hochberg) in between on the calling thread.
#include "nbglm/de.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>

#include "de/cox_reid.h"
#include "de/dispersion_trend.h"
#include "de/fixed_dispersion_glm.h"
#include "de/parallel_for.h"
#include "de/variance_prior.h"
#include "estimator/fit_setup.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/inference.h"
#include "nbglm/size_factors.h"
#include "nbglm/table.h"

namespace nbglm {

const char* ToString(DeMethod method) {
  switch (method) {
    case DeMethod::kQuasiLikelihood: return "ql";
    case DeMethod::kWald: return "wald";
    case DeMethod::kLikelihoodRatio: return "lrt";
  }
  return "unknown";
}

const char* ToString(DispersionMethod method) {
  return method == DispersionMethod::kShrunk ? "shrunk" : "mle";
}

DeMethod ParseDeMethod(const std::string& name, const std::string& option) {
  if (name == "ql") return DeMethod::kQuasiLikelihood;
  if (name == "wald") return DeMethod::kWald;
  if (name == "lrt") return DeMethod::kLikelihoodRatio;
  throw InputError(option, name, "must be ql, wald or lrt");
}

DispersionMethod ParseDispersionMethod(const std::string& name, const std::string& option) {
  if (name == "shrunk") return DispersionMethod::kShrunk;
  if (name == "mle") return DispersionMethod::kMle;
  throw InputError(option, name, "must be shrunk or mle");
}

DeHypothesis DeHypothesis::Coefficient(const NbGlmModel& model, const std::string& name) {
  const std::vector<std::string>& names = model.location.design.parameter_names;
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw InputError("--coef", name, "is not a location parameter (" + list + ")");
  }
  std::vector<double> contrast(names.size(), 0.0);
  contrast[static_cast<std::size_t>(found - names.begin())] = 1.0;
  return Contrast(std::move(contrast), "coefficient " + name);
}

DeHypothesis DeHypothesis::Contrast(std::vector<double> contrast, std::string description) {
  DeHypothesis hypothesis;
  hypothesis.contrast = std::move(contrast);
  hypothesis.description = std::move(description);
  return hypothesis;
}

DeHypothesis DeHypothesis::Reduced(LinearPredictor reduced_location, std::string description) {
  DeHypothesis hypothesis;
  hypothesis.reduced_location = std::move(reduced_location);
  hypothesis.description = std::move(description);
  return hypothesis;
}

bool DeOptions::IsValid(std::string* error) const {
  auto fail = [error](const std::string& option, double value, const std::string& rule) {
    *error = option + ": " + FormatDouble(value) + ": " + rule;
    return false;
  };
  if (!(min_count >= 0.0) || !std::isfinite(min_count)) return fail("min_count", min_count, "must be finite and >= 0");
  if (!(min_total_count >= 0.0) || !std::isfinite(min_total_count)) {
    return fail("min_total_count", min_total_count, "must be finite and >= 0");
  }
  if (!(large_n >= 1.0) || !std::isfinite(large_n)) return fail("large_n", large_n, "must be finite and >= 1");
  if (!(min_prop > 0.0 && min_prop <= 1.0)) return fail("min_prop", min_prop, "must be in (0, 1]");
  if (num_threads < 0) return fail("threads", num_threads, "must be >= 0 (0 = all cores)");
  if (method == DeMethod::kQuasiLikelihood && dispersion == DispersionMethod::kMle) {
    *error = "--method ql: needs --dispersion shrunk (the quasi-likelihood dispersion is estimated across features)";
    return false;
  }
  return true;
}

std::string DeResult::ToTsv() const {
  std::string out = "feature\tbase_mean\testimate\tlog2_fold_change\tse\tstatistic\tdf1\tdf2\tpvalue\tpadj\tdispersion\tstatus\n";
  out.reserve(out.size() + feature_names.size() * 160);
  for (std::size_t f = 0; f < feature_names.size(); ++f) {
    out += feature_names[f];
    for (const std::vector<double>* column : {&base_mean, &estimate, &log2_fold_change, &se, &statistic, &df1, &df2,
                                              &pvalue, &padj, &dispersion}) {
      out += '\t';
      AppendFormattedDouble((*column)[f], &out);
    }
    out += '\t';
    out += status[f];
    out += '\n';
  }
  return out;
}

std::string DeResult::BriefReport() const {
  Index tested = 0, significant = 0;
  for (std::size_t f = 0; f < pvalue.size(); ++f) {
    tested += std::isnan(pvalue[f]) ? 0 : 1;
    significant += padj[f] < 0.1 ? 1 : 0;
  }
  std::vector<std::pair<std::string, Index>> tally;
  for (const std::string& s : status) {
    auto it = std::find_if(tally.begin(), tally.end(), [&s](const auto& t) { return t.first == s; });
    if (it == tally.end()) tally.emplace_back(s, 1); else ++it->second;
  }
  std::sort(tally.begin(), tally.end());
  std::ostringstream out;
  out << "de: " << ToString(method) << " (" << ToString(dispersion_method) << " dispersion), " << description << ": "
      << feature_names.size() << " features, " << tested << " tested, " << significant << " at padj < 0.1, "
      << filtered << " filtered";
  if (dispersion_method == DispersionMethod::kShrunk) {
    out << "; prior df " << FormatDouble(prior_df) << (prior_trended ? " (trended)" : "");
  }
  out << "; statuses:";
  for (const auto& [name, count] : tally) out << " " << name << " " << count;
  out << " (" << wall_seconds << " s)";
  return out.str();
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The hypothesis in reduced parameters: the contrast c̃ = Bᵀc (q) when one is
// tested, and the reduced design (n × q₀) of the null model.
struct ReducedHypothesis {
  Eigen::VectorXd contrast;  // empty for a reduced model
  de::RowMatrix reduced_design;
};

ReducedHypothesis ReduceHypothesis(const NbGlmModel& model, const DeHypothesis& hypothesis) {
  const de::RowMatrix x = de::ToRowMatrix(model.location.reduced_design);
  const Index q = x.cols();
  ReducedHypothesis reduced;
  if (!hypothesis.contrast.empty() == hypothesis.reduced_location.has_value()) {
    throw InputError("hypothesis", hypothesis.description, "give either a contrast or a reduced location model");
  }
  if (!hypothesis.contrast.empty()) {
    const Matrix& basis = model.location.constraints.basis();  // p × q
    const std::size_t p = basis.shape(0);
    if (hypothesis.contrast.size() != p) {
      throw InputError("contrast", std::to_string(hypothesis.contrast.size()) + " weights",
                       "expected " + std::to_string(p) + " (the location parameters)");
    }
    reduced.contrast = Eigen::VectorXd::Zero(q);
    double scale = 0.0;
    for (std::size_t j = 0; j < p; ++j) {
      if (!std::isfinite(hypothesis.contrast[j])) {
        throw InputError("contrast", FormatDouble(hypothesis.contrast[j]), "weights must be finite");
      }
      scale = std::max(scale, std::abs(hypothesis.contrast[j]));
      for (Index l = 0; l < q; ++l) reduced.contrast(l) += basis(j, static_cast<std::size_t>(l)) * hypothesis.contrast[j];
    }
    if (!(reduced.contrast.norm() > 1e-10 * std::max(scale, 1e-300))) {
      throw InputError("contrast", hypothesis.description,
                       "is zero in the free parameters (the constraints fix it): nothing to test");
    }
    // The null model: θ orthogonal to c̃, i.e. X̃·Q with Q the complement of c̃.
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(Eigen::MatrixXd(reduced.contrast));
    const Eigen::MatrixXd full_q = qr.householderQ();
    reduced.reduced_design = x * full_q.rightCols(q - 1);
    return reduced;
  }
  const LinearPredictor& null_model = *hypothesis.reduced_location;
  if (null_model.design.observation_names != model.location.design.observation_names) {
    throw InputError("reduced model", "observations", "must be the full model's, in the same order");
  }
  reduced.reduced_design = de::ToRowMatrix(null_model.reduced_design);
  if (reduced.reduced_design.cols() >= q) {
    throw InputError("reduced model", std::to_string(reduced.reduced_design.cols()) + " free parameters",
                     "must have fewer than the full location model (" + std::to_string(q) + ")");
  }
  // Nested: every column of the reduced design in the span of X̃.
  const Eigen::MatrixXd xd = x;
  const Eigen::MatrixXd rd = reduced.reduced_design;
  const Eigen::MatrixXd residual = rd - xd * xd.colPivHouseholderQr().solve(rd);
  if (residual.cwiseAbs().maxCoeff() > 1e-8 * std::max(1.0, rd.cwiseAbs().maxCoeff())) {
    throw InputError("reduced model", hypothesis.description, "is not nested in the full location model");
  }
  return reduced;
}

// Per-feature state carried between the passes.
struct FeatureState {
  std::vector<double> theta;  // full model, reduced parameters
  double mean_mu = kNaN;      // mean fitted mean (the trend's covariate)
  double dispersion_cr = kNaN;
  bool location_bound = false;  // a group of zeros in the first fit
  bool ok = false;
};

// Statuses whose fits are maxima (at_bound: a group of zeros, a valid
// deviance limit).
bool Trusted(const std::string& status) { return status == "converged" || status == "at_bound"; }

// Upper tails in double precision (Boost promotes to long double by
// default, ~2× the cost for ~1 ulp of a p-value nobody reads).
using DoublePolicy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

double UpperNormalTwoSided(double z) {
  static const boost::math::normal_distribution<double, DoublePolicy> standard;
  return 2.0 * boost::math::cdf(boost::math::complement(standard, std::abs(z)));
}

double ChiSquaredUpper(double x, double df) {
  if (!(x > 0.0)) return 1.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared_distribution<double, DoublePolicy>(df), x));
}

double FUpper(double f, double df1, double df2) {
  if (!(f > 0.0)) return 1.0;
  if (std::isinf(df2)) return ChiSquaredUpper(f * df1, df1);
  return boost::math::cdf(boost::math::complement(boost::math::fisher_f_distribution<double, DoublePolicy>(df1, df2), f));
}

// The exact MLE path (kMle): nbglm's fit and its tests, masked by the filter.
void RunMle(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors,
            const DeHypothesis& hypothesis, const ReducedHypothesis& reduced, const DeOptions& options,
            const std::vector<bool>& tested, DeResult* result) {
  FitOptions fit_options;
  fit_options.num_threads = options.num_threads;
  fit_options.cancel = options.cancel;
  const FitResult full = Fit(counts, model, size_factors, fit_options);
  TestResult test;
  if (options.method == DeMethod::kWald) {
    test = WaldTest(full, model, hypothesis.contrast, Predictor::kLocation);
  } else {
    LinearPredictor null_location;
    if (hypothesis.reduced_location) {
      null_location = *hypothesis.reduced_location;
    } else {
      std::vector<std::string> names;
      for (Index j = 0; j < reduced.reduced_design.cols(); ++j) names.push_back("null_" + std::to_string(j));
      Matrix values = Matrix::from_shape({static_cast<std::size_t>(reduced.reduced_design.rows()),
                                          static_cast<std::size_t>(reduced.reduced_design.cols())});
      for (Index i = 0; i < reduced.reduced_design.rows(); ++i) {
        for (Index j = 0; j < reduced.reduced_design.cols(); ++j) values(static_cast<std::size_t>(i), static_cast<std::size_t>(j)) = reduced.reduced_design(i, j);
      }
      null_location = MakeLinearPredictor(MakeDesign(values, names, model.location.design.observation_names),
                                          ConstraintBasis::Identity(names), "reduced location");
    }
    const NbGlmModel null_model = MakeModel(null_location, model.scale);
    const FitResult null_fit = Fit(counts, null_model, size_factors, fit_options);
    test = LikelihoodRatioTest(full, model, null_fit, null_model);
    if (!hypothesis.contrast.empty()) {
      const TestResult wald = WaldTest(full, model, hypothesis.contrast, Predictor::kLocation);
      test.estimate = wald.estimate;
      test.se = wald.se;
    } else {
      std::fill(test.estimate.begin(), test.estimate.end(), kNaN);
    }
  }
  const std::size_t scale_intercept = 0;
  for (std::size_t f = 0; f < tested.size(); ++f) {
    if (!tested[f]) continue;
    result->estimate[f] = test.estimate[f];
    result->se[f] = test.se[f];
    result->statistic[f] = test.statistic[f];
    result->pvalue[f] = test.pvalue[f];
    result->status[f] = test.status[f];
    if (options.method == DeMethod::kLikelihoodRatio) result->df1[f] = test.df;
    // One dispersion per feature when the scale model is intercept only.
    if (de::IsInterceptOnly(model.scale)) result->dispersion[f] = std::exp(-full.scale_coef(f, scale_intercept));
  }
}

}  // namespace

DeResult DifferentialExpression(const CountMatrix& counts, const NbGlmModel& model, const Vector& size_factors,
                                const DeHypothesis& hypothesis, const DeOptions& options) {
  const auto start_time = std::chrono::steady_clock::now();
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  CheckCountsMatchModel(counts.num_observations(), model, size_factors);
  const Index n = model.num_observations();
  if (options.dispersion == DispersionMethod::kShrunk && !de::IsInterceptOnly(model.scale)) {
    throw InputError("--dispersion shrunk", "a scale model with " + std::to_string(model.scale.num_parameters()) +
                         " parameters",
                     "shrinkage pools one dispersion per feature across features; a scale model with covariates "
                     "needs --dispersion mle");
  }
  const ReducedHypothesis reduced = ReduceHypothesis(model, hypothesis);
  if (options.method == DeMethod::kWald && hypothesis.contrast.empty()) {
    throw InputError("--method wald", hypothesis.description,
                     "a Wald test needs a coefficient or contrast (use --method ql or lrt for a reduced model)");
  }
  const Index q = model.location.num_reduced();
  const Index q0 = reduced.reduced_design.cols();
  const double df_test = static_cast<double>(q - q0);
  const double df_residual = static_cast<double>(n - q);
  if (options.dispersion == DispersionMethod::kShrunk && !(df_residual > 0.0)) {
    throw InputError("--dispersion shrunk", std::to_string(n) + " observations for " + std::to_string(q) +
                         " location parameters",
                     "dispersion estimation needs more observations than location parameters");
  }

  const Index features = counts.num_features();
  const std::size_t nf = static_cast<std::size_t>(features);
  DeResult result;
  result.method = options.method;
  result.dispersion_method = options.dispersion;
  result.description = hypothesis.description;
  result.feature_names = counts.feature_names();
  for (std::vector<double>* column : {&result.base_mean, &result.estimate, &result.log2_fold_change, &result.se,
                                      &result.statistic, &result.df1, &result.df2, &result.pvalue, &result.padj,
                                      &result.dispersion}) {
    column->assign(nf, kNaN);
  }
  result.status.assign(nf, "");

  std::vector<double> offset(static_cast<std::size_t>(n), 0.0);
  std::vector<double> inverse_size(static_cast<std::size_t>(n), 1.0);
  for (Index i = 0; i < static_cast<Index>(size_factors.size()); ++i) {
    offset[static_cast<std::size_t>(i)] = std::log(size_factors(i));
    inverse_size[static_cast<std::size_t>(i)] = 1.0 / size_factors(i);
  }

  // Which features are tested: not all zero, and kept by the filter.
  const std::vector<bool> kept = options.filter ? FilterByExpression(counts, model.location.reduced_design, options)
                                                : std::vector<bool>(nf, true);
  std::vector<bool> tested(nf, false);
  {
    std::vector<double> y(static_cast<std::size_t>(n));
    for (Index f = 0; f < features; ++f) {
      const std::size_t k = static_cast<std::size_t>(f);
      counts.CopyFeature(f, y.data());
      double base = 0.0;
      for (Index i = 0; i < n; ++i) base += y[static_cast<std::size_t>(i)] * inverse_size[static_cast<std::size_t>(i)];
      result.base_mean[k] = base / static_cast<double>(n);
      if (counts.FeatureIsAllZero(f)) {
        result.status[k] = "all_zero";
      } else if (!kept[k]) {
        result.status[k] = "filtered";
        ++result.filtered;
      } else {
        tested[k] = true;
      }
    }
  }

  if (options.dispersion == DispersionMethod::kMle) {
    RunMle(counts, model, size_factors, hypothesis, reduced, options, tested, &result);
  } else {
    std::vector<Index> order;  // the tested features
    for (Index f = 0; f < features; ++f) {
      if (tested[static_cast<std::size_t>(f)]) order.push_back(f);
    }
    const Index count = static_cast<Index>(order.size());
    if (count < 2) {
      throw InputError("--dispersion shrunk", std::to_string(count) + " features to test",
                       "shrinkage needs at least 2 features to estimate a prior (use --dispersion mle, or "
                       "--filter none)");
    }
    const de::GlmDesign full_design(de::ToRowMatrix(model.location.reduced_design));
    const de::GlmDesign null_design(reduced.reduced_design);
    // The null fit starts from the least-squares projection of the full
    // fit's linear predictor onto the null design: θ₀ = P·θ, P = (X₀ᵀX₀)⁻¹X₀ᵀX̃.
    const Eigen::MatrixXd null_start = null_design.ls_map * full_design.x;
    std::vector<FeatureState> state(static_cast<std::size_t>(count));

    // Pass 1: Cox–Reid dispersions at the means fitted at a moments start.
    de::ParallelFor(count, options.num_threads, [&]() {
      return [&, glm = std::make_shared<de::FixedDispersionGlm>(full_design),
              cox_reid = std::make_shared<de::CoxReidDispersion>(full_design),
              y = std::vector<double>(static_cast<std::size_t>(n)),
              eta = std::vector<double>(static_cast<std::size_t>(n))](Index k) mutable {
        FeatureState& s = state[static_cast<std::size_t>(k)];
        counts.CopyFeature(order[static_cast<std::size_t>(k)], y.data());
        // Moments: var(y/s) = m·mean(1/s) + φ·m² for normalised counts.
        double m = 0.0, m2 = 0.0, inv = 0.0;
        for (Index i = 0; i < n; ++i) {
          const double v = y[static_cast<std::size_t>(i)] * inverse_size[static_cast<std::size_t>(i)];
          m += v;
          m2 += v * v;
          inv += inverse_size[static_cast<std::size_t>(i)];
        }
        m /= static_cast<double>(n);
        inv /= static_cast<double>(n);
        const double variance = n > 1 ? (m2 - static_cast<double>(n) * m * m) / static_cast<double>(n - 1) : 0.0;
        double phi = m > 0.0 ? (variance - m * inv) / (m * m) : 0.0;
        if (!(phi > 1e-3)) phi = 1e-3;
        s.theta.assign(static_cast<std::size_t>(q), 0.0);
        // One round, as glmGamPoi: the location at φ₀, the Cox–Reid φ at
        // those means (a second round moves p-values away from glmGamPoi's
        // and costs half the pass; docs/de.md).
        const de::FixedDispersionOutcome fit = glm->Fit(y.data(), offset.data(), phi, s.theta.data(), false);
        if (fit.failed) return;
        for (Index i = 0; i < n; ++i) eta[static_cast<std::size_t>(i)] = std::log(glm->mu()(i));
        s.mean_mu = glm->mu().mean();
        s.location_bound = fit.at_bound;
        // The search starts at the Pearson moment estimate at the fitted
        // means, Σ((y − μ)² − μ)/μ² / (n − q) (nearer the adjusted maximum
        // than φ₀, which ignores the design), or φ₀ when that is not > 0.
        double pearson = 0.0;
        for (Index i = 0; i < n; ++i) {
          const double mu = glm->mu()(i);
          const double r = y[static_cast<std::size_t>(i)] - mu;
          pearson += (r * r - mu) / (mu * mu);
        }
        pearson /= df_residual;
        const double start = std::isfinite(pearson) && pearson > 1e-4 ? pearson : phi;
        const de::CoxReidOutcome cr = cox_reid->Maximize(y.data(), eta.data(), start);
        if (!cr.converged) return;
        phi = cr.overdispersion;
        s.dispersion_cr = phi;
        s.ok = std::isfinite(phi) && std::isfinite(s.mean_mu);
      };
    }, options.cancel);

    // The trend over the features whose estimate exists and whose location
    // is not at a bound (docs/de.md "Trend"); those at a bound take the trend
    // at their mean.
    std::vector<double> trend_x(static_cast<std::size_t>(count), kNaN), trend_y(static_cast<std::size_t>(count), kNaN);
    std::vector<bool> trend_used(static_cast<std::size_t>(count), false);
    std::size_t used = 0;
    for (Index k = 0; k < count; ++k) {
      const std::size_t kk = static_cast<std::size_t>(k);
      const FeatureState& s = state[kk];
      if (!s.ok) continue;
      trend_x[kk] = s.mean_mu;
      trend_y[kk] = s.dispersion_cr;
      trend_used[kk] = !s.location_bound;
      used += trend_used[kk] ? 1 : 0;
    }
    if (used < 2) {
      throw InputError("--dispersion shrunk", std::to_string(used) + " features with a dispersion estimate",
                       "shrinkage needs at least 2");
    }
    const std::vector<double> trend = de::DispersionTrend(trend_x, trend_y, trend_used);

    // Pass 2: full and null model at the trended dispersion.
    std::vector<double> deviance_full(static_cast<std::size_t>(count), kNaN);
    std::vector<double> deviance_null(static_cast<std::size_t>(count), kNaN);
    std::vector<std::string> fit_status(static_cast<std::size_t>(count), "numerical_failure");
    std::vector<double> ql_dispersion(static_cast<std::size_t>(count), kNaN);
    std::vector<double> estimate(static_cast<std::size_t>(count), kNaN), variance(static_cast<std::size_t>(count), kNaN);
    const bool has_contrast = reduced.contrast.size() > 0;
    auto fit_pair = [&](de::FixedDispersionGlm& full_glm, de::FixedDispersionGlm& null_glm, std::vector<double>& y,
                        std::vector<double>& theta, std::vector<double>& theta0, Index k, double phi) {
      counts.CopyFeature(order[static_cast<std::size_t>(k)], y.data());
      theta = state[static_cast<std::size_t>(k)].theta;
      const de::FixedDispersionOutcome full = full_glm.Fit(y.data(), offset.data(), phi, theta.data(), true);
      Eigen::Map<Eigen::VectorXd>(theta0.data(), q0).noalias() =
          null_start * Eigen::Map<const Eigen::VectorXd>(theta.data(), q);
      const de::FixedDispersionOutcome null = null_glm.Fit(y.data(), offset.data(), phi, theta0.data(), true);
      const std::size_t kk = static_cast<std::size_t>(k);
      if (full.failed || null.failed) {
        fit_status[kk] = "numerical_failure";
        return;
      }
      fit_status[kk] = !full.converged || !null.converged ? "max_iterations" : full.at_bound ? "at_bound" : "converged";
      deviance_full[kk] = full.deviance;
      deviance_null[kk] = null.deviance;
      estimate[kk] = kNaN;
      variance[kk] = kNaN;
      if (has_contrast && full_glm.Estimable(reduced.contrast)) {
        const Eigen::Map<const Eigen::VectorXd> th(theta.data(), q);
        estimate[kk] = reduced.contrast.dot(th);
        const Eigen::LDLT<Eigen::MatrixXd> info(full_glm.information());
        variance[kk] = reduced.contrast.dot(info.solve(reduced.contrast));
      }
    };
    auto make_pair_worker = [&](auto per_feature) {
      return [&, per_feature]() {
        return [&, per_feature, full_glm = std::make_shared<de::FixedDispersionGlm>(full_design),
                null_glm = std::make_shared<de::FixedDispersionGlm>(null_design),
                y = std::vector<double>(static_cast<std::size_t>(n)),
                theta = std::vector<double>(static_cast<std::size_t>(q)),
                theta0 = std::vector<double>(static_cast<std::size_t>(q0))](Index k) mutable {
          per_feature(*full_glm, *null_glm, y, theta, theta0, k);
        };
      };
    };
    de::ParallelFor(count, options.num_threads,
                    make_pair_worker([&](de::FixedDispersionGlm& a, de::FixedDispersionGlm& b, std::vector<double>& y,
                                         std::vector<double>& theta, std::vector<double>& theta0, Index k) {
                      const std::size_t kk = static_cast<std::size_t>(k);
                      if (!state[kk].ok) return;
                      fit_pair(a, b, y, theta, theta0, k, trend[kk]);
                      const double m = state[kk].mean_mu;
                      ql_dispersion[kk] = (1.0 + m * state[kk].dispersion_cr) / (1.0 + m * trend[kk]);
                    }), options.cancel);

    // The prior of the QL dispersions.
    std::vector<double> s2(static_cast<std::size_t>(count), kNaN), covariate(static_cast<std::size_t>(count), kNaN);
    for (Index k = 0; k < count; ++k) {
      const std::size_t kk = static_cast<std::size_t>(k);
      if (std::isfinite(deviance_full[kk]) && std::isfinite(ql_dispersion[kk]) && ql_dispersion[kk] > 0.0) {
        s2[kk] = ql_dispersion[kk];
        covariate[kk] = state[kk].mean_mu;
      }
    }
    const de::VariancePrior prior = de::FitVariancePrior(s2, df_residual, covariate, count >= 100);
    result.prior_df = prior.prior_df;
    result.prior_trended = prior.trended;
    const double df2 = prior.prior_df + df_residual;

    if (options.method == DeMethod::kQuasiLikelihood) {
      for (Index k = 0; k < count; ++k) {
        const std::size_t kk = static_cast<std::size_t>(k);
        const std::size_t f = static_cast<std::size_t>(order[kk]);
        result.status[f] = state[kk].ok ? fit_status[kk] : "numerical_failure";
        result.dispersion[f] = trend[kk];
        // No p-value from a fit that did not converge: not a number we believe.
        if (std::isnan(s2[kk]) || !Trusted(result.status[f])) continue;
        const double s2_post = prior.posterior_variance[kk];
        const double lr = std::max(0.0, deviance_null[kk] - deviance_full[kk]);
        result.statistic[f] = lr / df_test / s2_post;
        result.df1[f] = df_test;
        result.df2[f] = df2;
        result.pvalue[f] = FUpper(result.statistic[f], df_test, df2);
        result.estimate[f] = estimate[kk];
        result.se[f] = std::sqrt(variance[kk] * s2_post);
      }
    } else {
      // Wald / LRT at the dispersion the posterior QL dispersion implies.
      std::vector<double> phi_post(static_cast<std::size_t>(count), kNaN);
      for (Index k = 0; k < count; ++k) {
        const std::size_t kk = static_cast<std::size_t>(k);
        if (std::isnan(s2[kk])) continue;
        const double m = state[kk].mean_mu;
        phi_post[kk] = std::max(0.0, (prior.posterior_variance[kk] * (1.0 + m * trend[kk]) - 1.0) / m);
      }
      de::ParallelFor(count, options.num_threads,
                      make_pair_worker([&](de::FixedDispersionGlm& a, de::FixedDispersionGlm& b, std::vector<double>& y,
                                           std::vector<double>& theta, std::vector<double>& theta0, Index k) {
                        const std::size_t kk = static_cast<std::size_t>(k);
                        if (std::isnan(phi_post[kk])) return;
                        fit_pair(a, b, y, theta, theta0, k, phi_post[kk]);
                      }), options.cancel);
      for (Index k = 0; k < count; ++k) {
        const std::size_t kk = static_cast<std::size_t>(k);
        const std::size_t f = static_cast<std::size_t>(order[kk]);
        result.status[f] = state[kk].ok ? fit_status[kk] : "numerical_failure";
        result.dispersion[f] = phi_post[kk];
        if (std::isnan(phi_post[kk]) || std::isnan(deviance_full[kk]) || !Trusted(result.status[f])) continue;
        result.estimate[f] = estimate[kk];
        result.se[f] = std::sqrt(variance[kk]);
        if (options.method == DeMethod::kWald) {
          result.statistic[f] = result.estimate[f] / result.se[f];
          result.pvalue[f] = UpperNormalTwoSided(result.statistic[f]);
        } else {
          const double lr = std::max(0.0, deviance_null[kk] - deviance_full[kk]);
          result.statistic[f] = lr;
          result.df1[f] = df_test;
          result.pvalue[f] = ChiSquaredUpper(lr, df_test);
        }
      }
    }
  }
  for (std::size_t f = 0; f < nf; ++f) result.log2_fold_change[f] = result.estimate[f] / std::log(2.0);
  result.padj = BenjaminiHochberg(result.pvalue);
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return result;
}

}  // namespace nbglm
