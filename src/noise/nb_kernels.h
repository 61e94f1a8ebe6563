// The negative-binomial kernels behind nbglm/negative_binomial.h, inline for
// the fitting loops (docs/model.md §1 eqs. (3)–(8), §4): the count terms that
// the estimators tabulate per distinct count and size, and the per-observation
// evaluation from them. Internal: the public header declares the density and
// its derivatives; these are how the library computes them fast. The accuracy
// devices are described at the top of nbglm/negative_binomial.h and derived in
// negative_binomial.cc.
#ifndef NBGLM_SRC_NOISE_NB_KERNELS_H_
#define NBGLM_SRC_NOISE_NB_KERNELS_H_

#include <algorithm>
#include <cmath>
#include <limits>

#include "nbglm/negative_binomial.h"

namespace nbglm {

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

// Σ_{j<N} c[j]·x^j by Estrin's scheme: pairs, then pairs of pairs with x²,
// x⁴, …: a dependency chain of depth ~log2 N instead of Horner's N. One
// template level per halving, so that every loop has a constant trip count
// and the compiler unrolls the whole scheme (a loop over the levels was not
// unrolled: a fifth of the notebook fit went to its bookkeeping).
//
// T is double or a SIMD vector of doubles (cell_kernels.cc evaluates two
// observations at a time); C the coefficients' type at this level.
template <int N, typename C, typename T>
inline T EstrinPolynomial(const C* c, T x) {
  static_assert(N >= 1, "at least one coefficient");
  if constexpr (N == 1) {
    return T{} + c[0];
  } else {
    T a[(N + 1) / 2];
    for (int k = 0; k < N / 2; ++k) a[k] = c[2 * k] + c[2 * k + 1] * x;
    if constexpr (N % 2 == 1) a[N / 2] = T{} + c[N - 1];
    return EstrinPolynomial<(N + 1) / 2>(a, x * x);
  }
}

// 1/(2j+3), j = 0…18: the coefficients of AtanhTailSeries.
inline constexpr double kAtanhTailCoefficients[19] = {
    1.0 / 3,  1.0 / 5,  1.0 / 7,  1.0 / 9,  1.0 / 11, 1.0 / 13, 1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21,
    1.0 / 23, 1.0 / 25, 1.0 / 27, 1.0 / 29, 1.0 / 31, 1.0 / 33, 1.0 / 35, 1.0 / 37, 1.0 / 39};

// Σ_{j≥0} v2^j/(2j+3) for 0 ≤ v2 ≤ max_v2 ≤ 1/9: the tail of atanh, in
// log1p(t) = 2·atanh(v) = 2v + 2v³·S(v²), v = t/(2+t). The polynomial stops
// at a length fixed by the range of v2, where the first omitted term
// v2^J/(2J+3) is below 2^-56 while the sum is ≥ ⅓ (below ulp/8): J = 4 for
// v2 ≤ 1e-4 (1e-16/11), J = 10 for v2 ≤ 0.02 (1.0e-17/23), J = 19 up to 1/9
// (7.4e-19/41). (For SIMD lanes max_v2 is the largest lane's v2.)
template <typename T>
inline T AtanhTailSeries(T v2, double max_v2) {
  if (max_v2 <= 1e-4) return EstrinPolynomial<4>(kAtanhTailCoefficients, v2);
  if (max_v2 <= 0.02) return EstrinPolynomial<10>(kAtanhTailCoefficients, v2);
  return EstrinPolynomial<19>(kAtanhTailCoefficients, v2);
}
inline double AtanhTailSeries(double v2) { return AtanhTailSeries(v2, v2); }

// t − log1p(t) for t ∈ (−½, 1): with v = t/(2+t) ∈ (−⅓, ⅓), t − 2v = t·v, so
// t − log1p(t) = t·v − 2v³·S(v²). Both terms have the sign making the result
// positive (for v > 0 the second is < 7% of the first): no cancellation.
inline double TMinusLog1pSeries(double t) {
  const double v = t / (2.0 + t);
  const double v2 = v * v;
  return t * v - 2.0 * v * v2 * AtanhTailSeries(v2);
}

inline bool InSeriesRange(double t) { return t > -0.5 && t < 1.0; }

// log1p(t) − t for t > −1, accurate (relative) everywhere, also for |t| ≪ 1.
inline double Log1pmx(double t) {
  if (InSeriesRange(t)) return -TMinusLog1pSeries(t);
  return std::log1p(t) - t;
}

// x·(t − log1p(t)) ≥ 0 for t > −1, with log1p_t = log1p(t) supplied by the
// caller (who can often form it more accurately than log1p(t) when 1 + t ≪ 1;
// it is not used inside the series range (−½, 1)).
// With t = M/x − 1 this is Loader's bd0(x, M) = x·log(x/M) + M − x, the
// deviance contribution of a count x against a mean M.
inline double DevianceTerm(double x, double t, double log1p_t) {
  if (InSeriesRange(t)) return x * TMinusLog1pSeries(t);
  // |t| ≥ ½: t − log1p(t) ≥ 0.09·max(1, |t|) so the difference loses at most
  // a few bits; log1p_t comes from the caller, accurate even when 1 + t ≪ 1.
  return x * (t - log1p_t);
}

// ½·log(2π).
inline constexpr double kHalfLog2Pi = 0.918938533204672741780329736405617639861;

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

// What the count terms need of r alone, computed once per size r and shared by
// every count with that r (see NbCountTermsFor).
struct SizeTerms {
  double r = 0.0;
  double stirling_r = 0.0;  // StirlingError(r)
  // r·φ(r) and K(r) = φ(r) + r·χ(r), for the ψ differences formed from
  // φ(r+y), χ(r+y): below r = 10 as r·ψ(1+r) − 1 − r·log r and
  // ψ(1+r) + r·ψ₁(1+r) − log r − 1, above from the asymptotic series.
  long double r_phi_r = 0.0L;
  long double k_r = 0.0L;
};
SizeTerms ComputeSizeTerms(double r);

}  // namespace nb_detail

// The parts of one observation's ℓ and ζ-derivatives that depend on it only
// through its count y and size r (none through μ): the expensive special
// functions. Counts are small integers repeated many times, so the fitting
// code tabulates these once per distinct count and size (docs/model.md §4);
// NbObservationTerms adds the cheap μ-dependent rest. All 0 for y = 0.
struct NbCountTerms {
  // st(r+y) − st(r) − st(y) − ½·log(2πy) − ½·log1p(y/r): ℓ + bd0(r, w) +
  // bd0(y, ·) in the saddle-point form of negative_binomial.cc.
  double loglik = 0.0;
  double r_dphi = 0.0;          // r·[φ(y+r) − φ(r)] (nb_detail::ScaledPsiDifferences)
  double v = 0.0;               // r_dphi + r²·[χ(y+r) − χ(r)]
  double r_over_y = 0.0;        // r/y
  double r_over_r_plus_y = 0.0;  // r/(r+y)
};

// Count terms of (y, r) from the size terms of r and the per-count constants
// log y and st(y) = StirlingError(y) (the caller may tabulate them).
NbCountTerms NbCountTermsFor(double y, double log_y, double stirling_y, const nb_detail::SizeTerms& size);
// The same from scratch.
NbCountTerms NbCountTermsFor(double y, double r);

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

// Eqs. (5) and (8) from μ, r, p, q: without forming rμ, as rμ/(r+μ) = μ·p =
// r·q, r(y−μ)/(r+μ) = p·(y−μ), and (r+y)/(r+μ) = p + y/(r+μ) (no cancellation).
inline NbLocationTerms NbLocationTermsFrom(double y, double mu, double r, double p, double q) {
  NbLocationTerms t;
  t.fisher_eta = mu <= r ? mu * p : r * q;  // rμ/(r+μ)
  t.d_eta = p * (y - mu);
  t.d2_eta = -t.fisher_eta * (p + y / (r + mu));
  t.d2_eta_zeta = q * t.d_eta;
  return t;
}

inline NbLocationTerms NbLocationDerivatives(double y, double eta, double zeta) {
  const double mu = std::exp(eta);
  const double r = std::exp(zeta);
  double p = 0.0;
  double q = 0.0;
  NbProbabilities(mu, r, eta, zeta, &p, &q);
  return NbLocationTermsFrom(y, mu, r, p, q);
}

// ℓ and every derivative of one observation, eqs. (4)–(8), given μ = e^η,
// r = e^ζ (η and ζ themselves are read only on the overflow fallbacks) and
// the count terms of (y, r) (NbCountTermsFor; ignored for y = 0). This is the
// whole per-observation kernel: NbEvaluate is this with everything computed
// from (y, η, ζ), and the fitting code calls it with tabulated count terms.
// The formulas and their derivations are at the top of negative_binomial.cc.
inline NbTerms NbObservationTerms(double y, double mu, double r, double eta, double zeta,
                                  const NbCountTerms& count) {
  NbTerms t;
  // One division: p = r/(r+μ), q = μ/(r+μ), w = (y−μ)/(r+μ) and y/(r+μ) all
  // from 1/(r+μ) (each to ~2 ulp). Should r + μ overflow, p and q come from
  // logistic functions of ζ − η instead (NbProbabilities).
  const double sum = r + mu;
  double inverse_sum = 1.0 / sum;
  double p = r * inverse_sum;
  double q = mu * inverse_sum;
  if (!std::isfinite(sum)) {
    NbProbabilities(mu, r, eta, zeta, &p, &q);
    inverse_sum = 0.0;  // the terms it scales vanish in that limit
  }
  const double fisher = mu <= r ? mu * p : r * q;  // rμ/(r+μ), eq. (5)
  t.location.fisher_eta = fisher;
  t.location.d_eta = p * (y - mu);  // r(y−μ)/(r+μ)
  t.location.d2_eta_zeta = q * t.location.d_eta;
  if (y == 0) {
    t.location.d2_eta = -fisher * p;
    // w = −q. In the series range (q < ½): bd0(r, −q) = r·S with
    // S = −q − log p ≥ 0, so ℓ = r·log p = −(rq + bd0) is a sum of two
    // negative terms and no logarithm is needed; rq = rμ/(r+μ) is fisher_eta.
    // Otherwise ℓ = −r·log1p(μ/r) (μ/r by division, or from logs on overflow).
    const double w = -q;
    double bd0_r;
    if (nb_detail::InSeriesRange(w)) {
      bd0_r = r * nb_detail::TMinusLog1pSeries(w);
      t.loglik = -(fisher + bd0_r);
    } else {
      const double ratio = mu / r;
      const double log1p_ratio = std::isfinite(ratio) ? std::log1p(ratio) : nb_detail::Softplus(eta - zeta);
      t.loglik = -r * log1p_ratio;
      bd0_r = r * (w + log1p_ratio);  // log1p(w) = log p = −log1p(μ/r)
    }
    t.scale.d_zeta = -bd0_r;                  // eq. (6): r_dphi = 0
    t.scale.d2_zeta = -bd0_r + r * (w * w);  // eq. (7): v = 0, r/(r+y) = 1
    return t;
  }
  t.location.d2_eta = -fisher * (p + y * inverse_sum);  // (r+y)/(r+μ) = p + y/(r+μ)
  // y − μ rounds once, then the product: w is accurate to ~2 ulp relative.
  const double w = (y - mu) * inverse_sum;
  // log1p(w) is needed only outside the series range of bd0 (and for w ≥ 1
  // in eq. (7), or to form log1p(t2) below). Near w = −1 (μ ≫ r, y), 1 + w
  // must not be formed from w: use the ratio (2 roundings), or, should it
  // underflow, the difference of the logs.
  const auto log1p_w_of = [&]() {
    if (w > -0.5) return std::log1p(w);
    const double ratio = (r + y) / (r + mu);
    const double log_r_plus_mu = std::max(eta, zeta) + nb_detail::Softplus(-std::fabs(eta - zeta));
    return ratio >= std::numeric_limits<double>::min() ? std::log(ratio) : std::log(r + y) - log_r_plus_mu;
  };
  const bool w_in_series = nb_detail::InSeriesRange(w);
  const double log1p_w = w_in_series ? 0.0 : log1p_w_of();  // unused in the series range
  const double bd0_r = w_in_series ? r * nb_detail::TMinusLog1pSeries(w) : r * (w - log1p_w);
  // ℓ: second deviance term with x = y, t = M/y − 1 = r(μ−y)/(y(r+μ)) = −w·r/y;
  // 1 + t2 = μ(r+y)/(y(r+μ)), its log formed from logs when 1 + t2 ≪ 1.
  const double t2 = -w * count.r_over_y;
  double bd0_y;
  if (nb_detail::InSeriesRange(t2)) {
    bd0_y = y * nb_detail::TMinusLog1pSeries(t2);
  } else {
    const double log1p_t2 = t2 > -0.5 ? std::log1p(t2) : eta - std::log(y) + (w_in_series ? log1p_w_of() : log1p_w);
    bd0_y = y * (t2 - log1p_t2);
  }
  t.loglik = count.loglik - bd0_r - bd0_y;
  if (y == 1.0 && mu <= r) {
    // y = 1: ψ(1+r) − ψ(r) = 1/r and ψ₁(1+r) − ψ₁(r) = −1/r² exactly, so
    // ℓ = ζ + r·log p + log q and, with x = μ/r ≤ 1,
    //   ∂ℓ/∂ζ = (1−μ)·q − r·log1pmx(x),  ∂²ℓ/∂ζ² = −r·log1pmx(x) − q·(μq + p).
    // The general form below would subtract r_dphi ≈ bd0(r, w) ≈ 1/(2r) to
    // leave O(μ/r), losing all digits as μ → 0.
    const double r_log1pmx = r * nb_detail::Log1pmx(mu / r);
    t.scale.d_zeta = (1.0 - mu) * q - r_log1pmx;
    t.scale.d2_zeta = -r_log1pmx - q * (mu * q + p);
    return t;
  }
  t.scale.d_zeta = count.r_dphi - bd0_r;  // eq. (6), regrouped
  // −bd0(r, w) + r·w²·r/(r+y), the μ-dependent part of eq. (7); for w ≥ 1
  // (y ≫ r, μ) its two terms are each ≈ y and cancel, so use the equivalent
  // r·[log1p(w) − w·F], F = (p·(r+2μ) + q·y)/(r+y).
  double mu_part;
  if (w < 1.0) {
    mu_part = -bd0_r + r * w * w * count.r_over_r_plus_y;
  } else {
    const double f = (p * (r + 2.0 * mu) + q * y) / (r + y);
    mu_part = r * (log1p_w - w * f);
  }
  t.scale.d2_zeta = mu_part + count.v;  // eq. (7)
  return t;
}

}  // namespace nbglm

#endif  // NBGLM_SRC_NOISE_NB_KERNELS_H_
