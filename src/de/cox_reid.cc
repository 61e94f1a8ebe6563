#include "de/cox_reid.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nbglm/negative_binomial.h"

namespace nbglm::de {

CoxReidDispersion::CoxReidDispersion(const GlmDesign& design)
    : design_(design),
      a_(design.q(), design.q()),
      a1_(design.q(), design.q()),
      a2_(design.q(), design.q()),
      inverse_(design.q(), design.q()),
      product_(design.q(), design.q()),
      solver_(design.q()) {}

double CoxReidDispersion::AdjustedLogLikelihood(const double* y, const double* eta, double zeta, double* d1,
                                                double* d2, bool adjust) {
  const Index n = design_.n();
  const Index q = design_.q();
  const double r = std::exp(zeta);
  double value = 0.0, g = 0.0, h = 0.0;
  if (adjust) {
    a_.setZero();
    a1_.setZero();
    a2_.setZero();
  }
  for (Index i = 0; i < n; ++i) {
    // ℓ and its ζ-derivatives (eqs. (4), (6), (7) of docs/model.md), accurate
    // up to the Poisson limit.
    const NbTerms terms = NbEvaluate(y[i], eta[i], zeta);
    value += terms.loglik;
    g += terms.scale.d_zeta;
    h += terms.scale.d2_zeta;
    if (adjust) {
      const double mu = std::exp(eta[i]);
      const double a = mu / (r + mu);
      const double w = mu / (1.0 + mu / r);  // μr/(r + μ) without overflow
      const auto row = design_.x.row(i);
      a_.noalias() += w * row.transpose() * row;
      a1_.noalias() += (w * a) * row.transpose() * row;
      a2_.noalias() += (-w * a * (1.0 - 2.0 * a)) * row.transpose() * row;
    }
  }
  if (adjust && q > 0) {
    solver_.compute(a_);
    // log det A from the LDLᵀ factorisation's diagonal (positive for a
    // full-rank design and μ > 0).
    double log_det = 0.0;
    for (Index j = 0; j < q; ++j) log_det += std::log(solver_.vectorD()(j));
    value -= 0.5 * log_det;
    if (d1 != nullptr || d2 != nullptr) {
      inverse_ = solver_.solve(Eigen::MatrixXd::Identity(q, q));
      product_.noalias() = inverse_ * a1_;
      g -= 0.5 * product_.trace();
      h -= 0.5 * ((inverse_ * a2_).trace() - (product_ * product_).trace());
    }
  }
  if (d1 != nullptr) *d1 = g;
  if (d2 != nullptr) *d2 = h;
  return value;
}

CoxReidOutcome CoxReidDispersion::Maximize(const double* y, const double* eta, double start_overdispersion,
                                           const CoxReidOptions& options, bool adjust) {
  CoxReidOutcome outcome;
  const double lo_bound = std::log(options.min_size);
  const double hi_bound = std::log(options.max_size);
  double g = 0.0, h = 0.0;
  // Still rising at r = max_size: the maximum is at the Poisson limit (or
  // indistinguishable from it), as glmGamPoi decides it.
  AdjustedLogLikelihood(y, eta, hi_bound, &g, nullptr, adjust);
  if (!(g < 0.0)) {
    outcome.poisson_limit = std::isfinite(g);
    outcome.converged = std::isfinite(g);
    outcome.overdispersion = 0.0;
    return outcome;
  }
  AdjustedLogLikelihood(y, eta, lo_bound, &g, nullptr, adjust);
  if (!(g > 0.0)) {
    outcome.at_lower_bound = std::isfinite(g);
    outcome.converged = std::isfinite(g);
    outcome.overdispersion = 1.0 / options.min_size;
    return outcome;
  }
  // The root of g = ∂APL/∂ζ lies in (lo, hi) with g(lo) > 0 > g(hi).
  double lo = lo_bound, hi = hi_bound;
  double zeta = start_overdispersion > 0.0 ? -std::log(start_overdispersion) : 0.0;
  if (!(zeta > lo && zeta < hi)) zeta = 0.5 * (lo + hi);
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    outcome.iterations = iteration + 1;
    AdjustedLogLikelihood(y, eta, zeta, &g, &h, adjust);
    if (!std::isfinite(g)) break;
    if (g > 0.0) lo = zeta; else hi = zeta;
    double next = h < 0.0 && std::isfinite(h) ? zeta - g / h : std::numeric_limits<double>::quiet_NaN();
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const double change = std::abs(next - zeta);
    zeta = next;
    if (change <= options.tolerance || hi - lo <= options.tolerance) {
      outcome.converged = true;
      break;
    }
  }
  outcome.overdispersion = std::exp(-zeta);
  return outcome;
}

}  // namespace nbglm::de
