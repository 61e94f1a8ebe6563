// Negative-binomial noise model (docs/model.md §1, eqs. (3)–(8)) in the linear
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

// ℓ = log NB(y; mean e^η, size e^ζ), eq. (4).
double NbLogLikelihood(double y, double eta, double zeta);

// Eqs. (6) and (7).
NbScaleTerms NbScaleDerivatives(double y, double eta, double zeta);

// ℓ and all derivatives at once (shares the common work).
NbTerms NbEvaluate(double y, double eta, double zeta);

// The noise model for the estimators (docs/model.md §4). Stateless, thread-safe.
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
