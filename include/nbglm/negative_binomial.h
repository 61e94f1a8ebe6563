// Negative-binomial noise model (DESIGN.md §1, eqs. (3)–(8)) in the linear
// predictors η = log μ (location, offset included) and ζ = log r (scale).
//
// Accuracy is the point of this unit. Every quantity is evaluated in a form
// that has no cancellation beyond what the value itself has, so results are
// accurate to a few ulps relative (or, where the value is itself a near-zero
// difference, to a few ulps of the size of its derivatives in (η, ζ), i.e. as
// accurate as the rounding of μ = e^η and r = e^ζ allows) over
//   y ≥ 0 (any real, counts in practice), μ and r from ~1e-300 to ~1e300,
// including r → ∞ (the Poisson limit, reached smoothly) and r → 0.
// The main devices (derivations in negative_binomial.cc):
//   * ℓ in Loader's saddle-point form: Stirling-series remainders and two
//     "deviance" terms x·(t − log1p t) ≥ 0, all of one sign, so
//     lgamma(y+r) − lgamma(r) never cancels, even at r = 1e12 and y = 1e6;
//   * ψ(y+r) − ψ(r) and ψ₁(y+r) − ψ₁(r) as differences of φ(x) = ψ(x) − log x
//     and χ(x) = ψ₁(x) − 1/x, summed in closed form from the asymptotic series
//     for r ≥ 10 (exact rational powers, no expm1) and in long double below;
//   * eqs. (6)/(7) regrouped around w = (y − μ)/(r + μ) so that their O(1)
//     terms, which cancel to O(1/r) as r → ∞, never appear separately;
//   * ratios such as rμ/(r+μ) formed as μ·r/(r+μ) etc., never as rμ, so
//     nothing overflows for μ = 1e6, r = 1e-4 and the like.
// Domain: y ≥ 0 and |η|, |ζ| ≤ ~700 (so that μ and r are finite, non-zero
// doubles); outside it results may be inf or NaN, never exceptions.
#ifndef NBGLM_NEGATIVE_BINOMIAL_H_
#define NBGLM_NEGATIVE_BINOMIAL_H_

#include <cmath>

#include "nbglm/noise_model.h"
#include "nbglm/types.h"

namespace nbglm {

// Derivatives of ℓ in the location predictor η (cheap: no special functions).
struct NbLocationTerms {
  double d_eta;        // ∂ℓ/∂η = r(y−μ)/(r+μ), eq. (5)
  double d2_eta;       // ∂²ℓ/∂η² = −rμ(r+y)/(r+μ)², eq. (5)
  double fisher_eta;   // E[−∂²ℓ/∂η²] = rμ/(r+μ), eq. (5)
  double d2_eta_zeta;  // ∂²ℓ/∂η∂ζ = rμ(y−μ)/(r+μ)², eq. (8)
};

// Derivatives of ℓ in the scale predictor ζ (need digamma/trigamma).
struct NbScaleTerms {
  double d_zeta;   // ∂ℓ/∂ζ, eq. (6)
  double d2_zeta;  // ∂²ℓ/∂ζ², eq. (7)
};

// Everything for one observation.
struct NbTerms {
  double loglik;  // ℓ, eq. (4)
  NbLocationTerms location;
  NbScaleTerms scale;
};

namespace nb_detail {

// σ(x) = 1/(1 + e^{−x}), accurate (relative) for every x, never overflows.
inline double Logistic(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

// log(1 + e^x), accurate (relative) for every x, never overflows.
inline double Softplus(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

// log1p(t) − t for t > −1, accurate (relative) everywhere, also for |t| ≪ 1.
double Log1pmx(double t);

// x·(t − log1p(t)) ≥ 0 for t > −1, with log1p_t = log1p(t) supplied by the
// caller (who can often form it more accurately than log1p(t) when 1 + t ≪ 1).
// With t = M/x − 1 this is Loader's bd0(x, M) = x·log(x/M) + M − x, the
// deviance contribution of a count x against a mean M.
double DevianceTerm(double x, double t, double log1p_t);

// Stirling-series remainder lgamma(x+1) − [(x+½)·log x − x + ½·log 2π], x > 0.
// Absolute error below ~1e-17.
double StirlingError(double x);

// The digamma/trigamma differences of eqs. (6)–(7), scaled so that nothing
// cancels, for y ≥ 0, r > 0 (with φ(x) = ψ(x) − log x, χ(x) = ψ₁(x) − 1/x):
//   r_dphi = r·[φ(y+r) − φ(r)]            = r·[ψ(y+r) − ψ(r)] − r·log1p(y/r)
//   v      = r_dphi + r²·[χ(y+r) − χ(r)]  = r·[ψ(y+r) − ψ(r)] + r²·[ψ₁(y+r) − ψ₁(r)]
//                                            − r·log1p(y/r) + r·y/(r+y)
// Both are 0 for y = 0 and O(y/r) for r ≫ y.
struct ScaledPsiDifferences {
  double r_dphi;
  double v;
};
ScaledPsiDifferences ComputeScaledPsiDifferences(double y, double r);

}  // namespace nb_detail

// ℓ = log NB(y; mean e^η, size e^ζ), eq. (4).
double NbLogLikelihood(double y, double eta, double zeta);

// p = r/(r+μ) and q = μ/(r+μ), each to ~1.5 ulp: by division while r + μ is
// finite, else as logistic functions of ζ − η (still overflow-free; relative
// error then grows to ~ulp·|η − ζ|).
inline void NbProbabilities(double mu, double r, double eta, double zeta, double* p, double* q) {
  const double sum = r + mu;
  if (std::isfinite(sum)) {
    *p = r / sum;
    *q = mu / sum;
  } else {
    *p = nb_detail::Logistic(zeta - eta);
    *q = nb_detail::Logistic(eta - zeta);
  }
}

// Eqs. (5) and (8) without forming rμ: rμ/(r+μ) = μ·p = r·q,
// r(y−μ)/(r+μ) = p·(y−μ), and (r+y)/(r+μ) = p + y/(r+μ) (no cancellation).
inline NbLocationTerms NbLocationDerivatives(double y, double eta, double zeta) {
  const double mu = std::exp(eta);
  const double r = std::exp(zeta);
  double p = 0.0;
  double q = 0.0;
  NbProbabilities(mu, r, eta, zeta, &p, &q);
  NbLocationTerms t;
  t.fisher_eta = mu <= r ? mu * p : r * q;  // rμ/(r+μ)
  t.d_eta = p * (y - mu);
  t.d2_eta = -t.fisher_eta * (p + y / (r + mu));
  t.d2_eta_zeta = q * t.d_eta;
  return t;
}

// Eqs. (6) and (7).
NbScaleTerms NbScaleDerivatives(double y, double eta, double zeta);

// ℓ and all derivatives at once (shares the common work).
NbTerms NbEvaluate(double y, double eta, double zeta);

// The noise model for the estimators (DESIGN.md §4). Stateless, thread-safe.
class NegativeBinomial final : public NoiseModel {
 public:
  const char* name() const override { return "negative_binomial"; }
  double LogLikelihood(const double* y, const double* eta, const double* zeta,
                       Index n) const override;
  void Evaluate(const double* y, const double* eta, const double* zeta, Index n,
                const PointwiseTerms& out) const override;
};

}  // namespace nbglm

#endif  // NBGLM_NEGATIVE_BINOMIAL_H_
