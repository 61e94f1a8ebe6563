// The narrow interface through which estimators see a noise model (docs/model.md §4).
//
// An estimator works in two linear predictors per observation:
//   η (location: log mean, offset included, eq. (1)) and
//   ζ (scale: e.g. log NB size r, eq. (2)),
// and needs from the noise model only per-observation log-likelihood terms and
// their first and second derivatives in (η, ζ), plus the expected information
// in η (the IRLS weight). Everything else (chain rule through the designs,
// constraints, optimisation) is noise-model independent, so another noise
// model (Poisson, normal, Student-t, beta…) is one new class with its own
// tests and nothing else changes.
//
// Contract for implementations:
//   * no allocation and no exceptions in LogLikelihood/Evaluate (they run in
//     the per-feature parallel loop; docs/model.md §4 statuses, not exceptions);
//     invalid numbers propagate as NaN/inf for the caller to turn into a status;
//   * results are a pure function of the inputs (bit-identical whatever the
//     thread), so implementations hold no mutable state;
//   * a model without a scale parameter ignores ζ and reports zero ζ terms.
#ifndef NBGLM_NOISE_MODEL_H_
#define NBGLM_NOISE_MODEL_H_

#include "nbglm/types.h"

namespace nbglm {

// Per-observation terms in the linear predictors η (location) and ζ (scale).
// Any pointer may be null: that term is not computed. Arrays have length n.
// Equation numbers refer to the negative-binomial model of docs/model.md §1.
struct PointwiseTerms {
  double* loglik = nullptr;       // ℓ_i, eq. (4)
  double* d_eta = nullptr;        // ∂ℓ/∂η, eq. (5)
  double* d2_eta = nullptr;       // ∂²ℓ/∂η² (observed), eq. (5)
  double* fisher_eta = nullptr;   // E[−∂²ℓ/∂η²] (IRLS weight), eq. (5)
  double* d_zeta = nullptr;       // ∂ℓ/∂ζ, eq. (6)
  double* d2_zeta = nullptr;      // ∂²ℓ/∂ζ², eq. (7)
  double* d2_eta_zeta = nullptr;  // ∂²ℓ/∂η∂ζ, eq. (8)
};

class NoiseModel {
 public:
  virtual ~NoiseModel() = default;

  // Short identifier, e.g. "negative_binomial".
  virtual const char* name() const = 0;

  // Σ_i ℓ_i over the n observations (y: responses, eta/zeta: linear predictors).
  virtual double LogLikelihood(const double* y, const double* eta, const double* zeta,
                               Index n) const = 0;

  // Fills every non-null array of `out` with the per-observation terms.
  virtual void Evaluate(const double* y, const double* eta, const double* zeta, Index n,
                        const PointwiseTerms& out) const = 0;
};

}  // namespace nbglm

#endif  // NBGLM_NOISE_MODEL_H_
