#include "de/variance_prior.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Dense>
#include <boost/math/special_functions/digamma.hpp>
#include <ceres/ceres.h>

#include "nbglm/error.h"

namespace nbglm::de {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// log d0 beyond this: the prior is exact to any precision the F test can
// show (d0 = 1e7 against d of a few); reported as d0 = +inf.
constexpr double kMaxLogPriorDf = 16.0;

double LogBeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// −Σ_g [log f(s²_g/v_g; d, d0) − log v_g] with log v = B·β (B: one row per
// feature, all ones for the intercept-only prior) and d0 = e^κ; parameters
// (β, κ).
class PriorLikelihood final : public ceres::FirstOrderFunction {
 public:
  PriorLikelihood(const std::vector<double>& s2, double df, const Eigen::MatrixXd& basis)
      : df_(df), basis_(basis), log_s2_(s2.size()) {
    for (std::size_t g = 0; g < s2.size(); ++g) log_s2_[g] = std::log(s2[g]);
  }
  int NumParameters() const override { return static_cast<int>(basis_.cols()) + 1; }
  bool Evaluate(const double* parameters, double* cost, double* gradient) const override {
    const Eigen::Index k = basis_.cols();
    const double kappa = parameters[k];
    if (!(kappa <= kMaxLogPriorDf + 1.0) || !(kappa >= -30.0)) return false;
    const double d0 = std::exp(kappa);
    const double d = df_;
    const Eigen::Map<const Eigen::VectorXd> beta(parameters, k);
    // What does not depend on the feature, once: log f(x; d, d0) − log v =
    //   ½d·(log d + log s² − log v) − ½d0·log1p(ρ) − ½d·(log d0 + log1p(ρ))
    //   − (log s² − log v) − log B(d/2, d0/2) − log v,   ρ = d·x/d0,
    // so a feature costs one exp and one log1p (LogFDensity, rearranged).
    const double log_d = std::log(d);
    const double log_beta = LogBeta(0.5 * d, 0.5 * d0);
    const double psi_difference = boost::math::digamma((d + d0) / 2.0) - boost::math::digamma(d0 / 2.0);
    double total = 0.0, d_kappa = 0.0;
    Eigen::VectorXd d_beta = Eigen::VectorXd::Zero(k);
    for (std::size_t g = 0; g < log_s2_.size(); ++g) {
      const double log_v = basis_.row(static_cast<Eigen::Index>(g)).dot(beta);
      const double log_x = log_s2_[g] - log_v;
      const double ratio = d * std::exp(log_x) / d0;  // u = d0(1 + ratio)
      const double log1p_ratio = std::log1p(ratio);
      total += 0.5 * d * (log_d + log_x) - 0.5 * d0 * log1p_ratio - 0.5 * d * (kappa + log1p_ratio) - log_x -
               log_beta - log_v;
      // ∂/∂log v: −d/2 + (d + d0)/2 · dx/u.
      const double d_log_v = -0.5 * d + 0.5 * (d + d0) * ratio / (1.0 + ratio);
      d_beta.noalias() += d_log_v * basis_.row(static_cast<Eigen::Index>(g)).transpose();
      // ∂/∂d0: ½[log d0 − log u + 1 − (d + d0)/u + ψ((d+d0)/2) − ψ(d0/2)].
      const double u = d0 * (1.0 + ratio);
      const double d_d0 = 0.5 * (-log1p_ratio + (u - d - d0) / u + psi_difference);
      d_kappa += d_d0 * d0;
    }
    if (!std::isfinite(total)) return false;
    *cost = -total;
    if (gradient != nullptr) {
      for (Eigen::Index j = 0; j < k; ++j) gradient[j] = -d_beta(j);
      gradient[k] = -d_kappa;
    }
    return true;
  }

 private:
  double df_;
  const Eigen::MatrixXd& basis_;
  std::vector<double> log_s2_;
};

struct PriorFit {
  Eigen::VectorXd parameters;
  bool converged = false;
};

PriorFit FitPrior(const std::vector<double>& s2, double df, const Eigen::MatrixXd& basis, Eigen::VectorXd start) {
  ceres::GradientProblem problem(new PriorLikelihood(s2, df, basis));
  ceres::GradientProblemSolver::Options options;
  options.line_search_direction_type = ceres::BFGS;
  options.max_num_iterations = 1000;
  options.function_tolerance = 1e-14;
  options.gradient_tolerance = 1e-12;
  options.parameter_tolerance = 1e-14;
  options.logging_type = ceres::SILENT;
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(options, problem, start.data(), &summary);
  PriorFit fit;
  fit.parameters = start;
  fit.converged = summary.termination_type == ceres::CONVERGENCE;
  return fit;
}

// Natural cubic spline basis (ESL eq. 5.4–5.5) at knots ξ₁ < … < ξ₄ of t in
// [0, 1]: 1, t, d₁ − d₃, d₂ − d₃ with d_k = ((t − ξ_k)³₊ − (t − ξ₄)³₊)/(ξ₄ − ξ_k).
// It spans the same space as R's ns(df = 4, intercept = TRUE) with these knots.
Eigen::RowVector4d NaturalSplineRow(double t) {
  constexpr double knots[4] = {0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0};
  auto cube = [](double v) { return v > 0.0 ? v * v * v : 0.0; };
  auto d = [&](int k) { return (cube(t - knots[k]) - cube(t - knots[3])) / (knots[3] - knots[k]); };
  return Eigen::RowVector4d(1.0, t, d(0) - d(2), d(1) - d(2));
}

}  // namespace

double LogFDensity(double x, double d1, double d2) {
  // ½d1·log(d1·x) + ½d2·log d2 − ½(d1 + d2)·log(d1·x + d2) − log x − log B,
  // with ½d2·[log d2 − log(d1·x + d2)] = −½d2·log1p(d1·x/d2) for large d2.
  const double ratio = d1 * x / d2;
  return 0.5 * d1 * std::log(d1 * x) - 0.5 * d2 * std::log1p(ratio) - 0.5 * d1 * std::log(d2 * (1.0 + ratio)) -
         std::log(x) - LogBeta(0.5 * d1, 0.5 * d2);
}

VariancePrior FitVariancePrior(const std::vector<double>& s2, double df, const std::vector<double>& covariate,
                               bool trend) {
  if (!(df > 0.0)) throw InputError("variance prior", "residual df " + std::to_string(df), "must be > 0");
  VariancePrior result;
  result.prior_variance.assign(s2.size(), kNaN);
  result.posterior_variance.assign(s2.size(), kNaN);
  std::vector<double> values;
  std::vector<std::size_t> used;
  bool all_one = true;
  for (std::size_t g = 0; g < s2.size(); ++g) {
    if (std::isnan(s2[g])) continue;
    if (!(s2[g] > 0.0) || !std::isfinite(s2[g])) {
      throw InputError("variance prior", "s2 " + std::to_string(s2[g]), "every value must be finite and > 0");
    }
    values.push_back(s2[g]);
    used.push_back(g);
    all_one = all_one && s2[g] == 1.0;
  }
  if (values.size() < 2) {
    throw InputError("dispersion shrinkage", std::to_string(values.size()) + " usable features",
                     "needs at least 2 features to estimate a prior");
  }
  if (all_one) {
    // Every feature at the trend (e.g. all at the Poisson limit): nothing to shrink.
    result.prior_df = std::numeric_limits<double>::infinity();
    result.converged = true;
    for (std::size_t g : used) {
      result.prior_variance[g] = 1.0;
      result.posterior_variance[g] = s2[g];
    }
    return result;
  }
  // Intercept only.
  const Eigen::MatrixXd ones = Eigen::MatrixXd::Ones(static_cast<Eigen::Index>(values.size()), 1);
  const PriorFit flat = FitPrior(values, df, ones, Eigen::Vector2d(0.0, 0.0));
  std::vector<double> v(values.size(), std::exp(flat.parameters(0)));
  double log_d0 = flat.parameters(1);
  result.converged = flat.converged;

  // The trend in log covariate over the features whose covariate is > 1e-8.
  std::size_t positive = 0;
  if (!covariate.empty()) {
    for (std::size_t g : used) positive += covariate[g] > 1e-8 ? 1 : 0;
  }
  if (trend && !covariate.empty() && positive >= 10) {
    std::vector<double> log_c;
    std::vector<double> sub_values;
    std::vector<std::size_t> sub_index;
    for (std::size_t k = 0; k < used.size(); ++k) {
      if (covariate[used[k]] > 1e-8) {
        log_c.push_back(std::log(covariate[used[k]]));
        sub_values.push_back(values[k]);
        sub_index.push_back(k);
      }
    }
    const double lo = *std::min_element(log_c.begin(), log_c.end());
    const double hi = *std::max_element(log_c.begin(), log_c.end());
    if (hi > lo) {
      Eigen::MatrixXd basis(static_cast<Eigen::Index>(log_c.size()), 4);
      Eigen::VectorXd log_s2(static_cast<Eigen::Index>(log_c.size()));
      for (std::size_t k = 0; k < log_c.size(); ++k) {
        basis.row(static_cast<Eigen::Index>(k)) = NaturalSplineRow((log_c[k] - lo) / (hi - lo));
        log_s2(static_cast<Eigen::Index>(k)) = std::log(sub_values[k]);
      }
      Eigen::VectorXd start(5);
      start.head(4) = basis.colPivHouseholderQr().solve(log_s2);
      start(4) = 0.0;
      const PriorFit spline = FitPrior(sub_values, df, basis, start);
      if (spline.parameters.allFinite()) {
        const Eigen::VectorXd log_v = basis * spline.parameters.head(4);
        for (std::size_t k = 0; k < sub_index.size(); ++k) v[sub_index[k]] = std::exp(log_v(static_cast<Eigen::Index>(k)));
        log_d0 = spline.parameters(4);
        result.converged = spline.converged;
        result.trended = true;
      }
    }
  }
  result.prior_df = log_d0 >= kMaxLogPriorDf ? std::numeric_limits<double>::infinity() : std::exp(log_d0);
  for (std::size_t k = 0; k < used.size(); ++k) {
    const std::size_t g = used[k];
    result.prior_variance[g] = v[k];
    result.posterior_variance[g] = std::isinf(result.prior_df)
                                       ? v[k]
                                       : (result.prior_df * v[k] + df * values[k]) / (result.prior_df + df);
  }
  return result;
}

}  // namespace nbglm::de
