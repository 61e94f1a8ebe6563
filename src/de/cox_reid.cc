#include "de/cox_reid.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nbglm/negative_binomial.h"
#include "noise/nb_kernels.h"

namespace nbglm::de {

CoxReidDispersion::CoxReidDispersion(const GlmDesign& design)
    : design_(design),
      mu_(static_cast<std::size_t>(design.n())),
      log_y_(static_cast<std::size_t>(design.n())),
      stirling_y_(static_cast<std::size_t>(design.n())),
      w_(static_cast<std::size_t>(design.n())),
      w1_(static_cast<std::size_t>(design.n())),
      w2_(static_cast<std::size_t>(design.n())),
      packed_(static_cast<std::size_t>(design.packed_size())),
      packed1_(static_cast<std::size_t>(design.packed_size())),
      packed2_(static_cast<std::size_t>(design.packed_size())),
      a_(design.q(), design.q()),
      a1_(design.q(), design.q()),
      a2_(design.q(), design.q()),
      inverse_(design.q(), design.q()),
      product_(design.q(), design.q()),
      cholesky_(design.q()),
      solver_(design.q()) {}

void CoxReidDispersion::Prepare(const double* y, const double* eta) {
  y_ = y;
  eta_ = eta;
  for (Index i = 0; i < design_.n(); ++i) {
    const std::size_t k = static_cast<std::size_t>(i);
    mu_[k] = std::exp(eta[i]);
    log_y_[k] = y[i] > 0.0 ? std::log(y[i]) : 0.0;
    stirling_y_[k] = y[i] > 0.0 ? nb_detail::StirlingError(y[i]) : 0.0;
  }
}

double CoxReidDispersion::AdjustedLogLikelihood(const double* y, const double* eta, double zeta, double* d1,
                                                double* d2, bool adjust) {
  Prepare(y, eta);
  return Evaluate(zeta, d1, d2, adjust);
}

double CoxReidDispersion::Evaluate(double zeta, double* d1, double* d2, bool adjust) {
  const Index n = design_.n();
  const Index q = design_.q();
  const double r = std::exp(zeta);
  // What ℓ's ζ-terms need of r alone, once for all observations.
  const nb_detail::SizeTerms size = nb_detail::ComputeSizeTerms(r);
  double value = 0.0, g = 0.0, h = 0.0;
  for (Index i = 0; i < n; ++i) {
    const std::size_t k = static_cast<std::size_t>(i);
    const double y = y_[i];
    // ℓ and its ζ-derivatives (eqs. (4), (6), (7) of docs/model.md), accurate
    // up to the Poisson limit.
    const NbCountTerms count = y > 0.0 ? NbCountTermsFor(y, log_y_[k], stirling_y_[k], size) : NbCountTerms();
    const NbTerms terms = NbObservationTerms(y, mu_[k], r, eta_[i], zeta, count);
    value += terms.loglik;
    g += terms.scale.d_zeta;
    h += terms.scale.d2_zeta;
    if (adjust) {
      const double mu = mu_[k];
      const double a = mu / (r + mu);
      const double w = terms.location.fisher_eta;  // μr/(r + μ)
      w_[k] = w;
      w1_[k] = w * a;
      w2_[k] = -w * a * (1.0 - 2.0 * a);
    }
  }
  if (adjust && q > 0) {
    design_.WeightedGram(w_.data(), packed_.data());
    design_.Unpack(packed_.data(), &a_);
    double log_det = 0.0;
    const bool cholesky = cholesky_.Compute(a_);
    if (cholesky) {
      log_det = cholesky_.LogDeterminant();
    } else {
      // Numerically singular A (a group of zeros at μ → 0): the pivoting
      // LDLᵀ, whose pivots carry the tiny eigenvalue (it does not move with ζ).
      solver_.compute(a_);
      for (Index j = 0; j < q; ++j) log_det += std::log(solver_.vectorD()(j));
    }
    value -= 0.5 * log_det;
    if (d1 != nullptr || d2 != nullptr) {
      design_.WeightedGram(w1_.data(), packed1_.data());
      design_.Unpack(packed1_.data(), &a1_);
      if (d2 != nullptr) {
        design_.WeightedGram(w2_.data(), packed2_.data());
        design_.Unpack(packed2_.data(), &a2_);
      }
      if (cholesky) {
        cholesky_.Inverse(inverse_);
      } else {
        inverse_ = solver_.solve(Eigen::MatrixXd::Identity(q, q));
      }
      product_.noalias() = inverse_ * a1_;
      double trace1 = 0.0, trace2 = 0.0, trace_square = 0.0;
      for (Index j = 0; j < q; ++j) {
        trace1 += product_(j, j);
        for (Index l = 0; l < q; ++l) {
          if (d2 != nullptr) trace2 += inverse_(j, l) * a2_(l, j);
          trace_square += product_(j, l) * product_(l, j);
        }
      }
      g -= 0.5 * trace1;
      h -= 0.5 * (trace2 - trace_square);
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
  Prepare(y, eta);
  // Still rising at r = max_size: the maximum is at the Poisson limit (or
  // indistinguishable from it), as glmGamPoi decides it.
  Evaluate(hi_bound, &g, nullptr, adjust);
  if (!(g < 0.0)) {
    outcome.poisson_limit = std::isfinite(g);
    outcome.converged = std::isfinite(g);
    outcome.overdispersion = 0.0;
    return outcome;
  }
  // The root of g = ∂APL/∂ζ lies in (lo, hi) with g(hi) < 0 and, as the
  // adjusted likelihood falls to −∞ as r → 0 whenever some y > 0, g(lo) > 0;
  // that is checked only if the search ends at the lower bound.
  double lo = lo_bound, hi = hi_bound;
  double zeta = start_overdispersion > 0.0 ? -std::log(start_overdispersion) : 0.0;
  if (!(zeta > lo && zeta < hi)) zeta = 0.5 * (lo + hi);
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    outcome.iterations = iteration + 1;
    Evaluate(zeta, &g, &h, adjust);
    if (!std::isfinite(g)) break;
    if (g > 0.0) lo = zeta; else hi = zeta;
    double next = h < 0.0 && std::isfinite(h) ? zeta - g / h : std::numeric_limits<double>::quiet_NaN();
    if (!(next > lo && next < hi)) {
      // Not a usable Newton step (not concave here, or leaving the
      // bracket): a step of at most kMaxStep uphill, or the bracket's
      // midpoint when that is nearer (the bracket is then small).
      constexpr double kMaxStep = 2.0;
      const double uphill = g > 0.0 ? std::min(zeta + kMaxStep, hi) : std::max(zeta - kMaxStep, lo);
      next = uphill > lo && uphill < hi ? uphill : 0.5 * (lo + hi);
    }
    const double change = std::abs(next - zeta);
    zeta = next;
    if (change <= options.tolerance || hi - lo <= options.tolerance) {
      outcome.converged = true;
      break;
    }
  }
  if (zeta - lo_bound <= 1e-6) {
    Evaluate(lo_bound, &g, nullptr, adjust);
    if (!(g > 0.0)) {
      outcome.at_lower_bound = std::isfinite(g);
      outcome.converged = std::isfinite(g);
      outcome.overdispersion = 1.0 / options.min_size;
      return outcome;
    }
  }
  outcome.overdispersion = std::exp(-zeta);
  return outcome;
}

}  // namespace nbglm::de
