// Negative-binomial log-likelihood and derivatives (docs/model.md §1, eqs. (4)–(8)).
//
// Notation: μ = e^η, r = e^ζ, p = r/(r+μ), q = μ/(r+μ) = 1 − p,
//   w = (y − μ)/(r + μ)            (so 1 + w = (r + y)/(r + μ)),
//   φ(x) = ψ(x) − log x,  χ(x) = ψ₁(x) − 1/x,  K(x) = φ(x) + x·χ(x),
//   bd0(x, t) = x·(t − log1p t) ≥ 0 (Loader's deviance term with M = x(1+t)).
//
// ℓ, eq. (4), in saddle-point form (Loader 2000, as in R's dnbinom_mu): with
// n = r + y and st(x) = lgamma(x+1) − [(x+½)log x − x + ½log 2π],
//   ℓ = st(r+y) − st(r) − st(y) − ½·log(2πy) − ½·log1p(y/r)
//       − bd0(r, w) − bd0(y, −w·r/y)                                   (y > 0)
//   ℓ = −r·log1p(μ/r)                                                  (y = 0)
// Proof sketch: write the three lgammas with st(·); the (x+½)log x terms and
// r·ζ + y·η − (y+r)·log(r+μ) regroup into the two bd0 terms exactly (the bd0
// means r(r+y)/(r+μ) and μ(r+y)/(r+μ) sum to r+y). Every term is ≤ 0 except
// the small st(r+y) ≤ st(r), so nothing cancels: lgamma(y+r) − lgamma(r) is
// never formed, and at r → ∞ the expression tends smoothly to the Poisson
// st(y)-form of y·η − μ − lgamma(y+1) (bd0(r, w) → (y−μ)²/(2r) → 0).
//
// Eq. (6): with ζ − log(r+μ) = −log1p(μ/r), 1 − (y+r)/(r+μ) = −w,
// ψ(y+r) − ψ(r) = log1p(y/r) + φ(y+r) − φ(r) and
// log1p(y/r) − log1p(μ/r) = log1p(w):
//   ∂ℓ/∂ζ = r·[log1p(w) − w] + r·[φ(y+r) − φ(r)] = −bd0(r, w) + r_dphi.
// The O(1) pieces of the textbook form, which cancel to O(1/r) as r → ∞, are
// gone: bd0(r, w) ≈ (y−μ)²/(2r) and r_dphi ≈ y/(2r) are each accurate.
//
// Eq. (7): differentiating the form above in ζ (∂r/∂ζ = r, ∂w/∂ζ = −w·p,
// d/dt log1pmx(t) = −t/(1+t), r·p/(1+w) = r²/(r+y)):
//   ∂²ℓ/∂ζ² = −bd0(r, w) + r·w²·r/(r+y) + v,   v = r_dphi + r²·[χ(y+r) − χ(r)],
// which equals eq. (7) term by term. For w ≥ 1 (y ≫ r, μ) the first two terms
// are each ≈ y and cancel; there we use the equivalent
//   −bd0(r, w) + r·w²·r/(r+y) = r·[log1p(w) − w·F],
//   F = (r² + 2rμ + μy)/((r+μ)(r+y)) = (p·(r+2μ) + q·y)/(r+y) > 0.
//
// The ψ-differences (see ComputeScaledPsiDifferences) are formed directly in
// double from φ(r+y), χ(r+y) and per-size constants when y ≥ 9r and
// r + y ≥ 100 (nothing cancels there, see DirectDifferences); otherwise summed
// from the asymptotic series of the differences for r ≥ 10 and in long double
// below (x87 80-bit on x86-64; where long double is double, the r < 10 terms
// degrade to ~3e-14, measured).
#include "nbglm/negative_binomial.h"
#include "noise/nb_kernels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>

namespace nbglm {
namespace nb_detail {
namespace {

// Special functions must never throw inside the parallel loop (docs/model.md §4):
// errors become NaN/inf, which the estimators turn into a status.
using NoThrowPolicy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::underflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

constexpr long double kHalfLog2PiL = 0.918938533204672741780329736405617639861L;

// Bernoulli numbers B_2, B_4, …, B_26.
constexpr int kNumBernoulli = 13;
constexpr long double kBernoulli[kNumBernoulli] = {
    1.0L / 6,           -1.0L / 30,     1.0L / 42,          -1.0L / 30,
    5.0L / 66,          -691.0L / 2730, 7.0L / 6,           -3617.0L / 510,
    43867.0L / 798,     -174611.0L / 330, 854513.0L / 138,  -236364091.0L / 2730,
    8553103.0L / 6};

// Below this r the asymptotic series (error ~ e^{−2πr} at best) is not used.
// At r = 10 the 13 terms reach ~1e-19 relative.
constexpr double kAsymptoticMinR = 10.0;
// For r + y at least this and y ≥ kDirectMinRatio·r, the ψ differences are
// formed directly in double (see PsiDifferences).
constexpr double kDoubleMinX = 100.0;
constexpr double kDirectMinRatio = 9.0;

// Series coefficients in double, rounded exactly as PhiAsymptotic and
// ChiAsymptotic round them: φ: B_2k/(2k); χ: B_2k; st: B_2k/(2k(2k−1)).
constexpr std::array<double, kNumBernoulli> MakeCoefficients(int kind) {
  std::array<double, kNumBernoulli> c{};
  for (int k = 0; k < kNumBernoulli; ++k) {
    const double bernoulli = static_cast<double>(kBernoulli[k]);
    c[static_cast<std::size_t>(k)] = kind == 0   ? bernoulli / (2 * k + 2)
                                     : kind == 1 ? bernoulli
                                                 : static_cast<double>(kBernoulli[k] / ((2 * k + 2) * (2 * k + 1)));
  }
  return c;
}
constexpr std::array<double, kNumBernoulli> kPhiCoefficient = MakeCoefficients(0);
constexpr std::array<double, kNumBernoulli> kChiCoefficient = MakeCoefficients(1);
constexpr std::array<double, kNumBernoulli> kStirlingCoefficient = MakeCoefficients(2);

// φ(x) = ψ(x) − log x and χ(x) = ψ₁(x) − 1/x for x ≥ kAsymptoticMinR:
//   φ(x) = −1/(2x) − Σ_k B_2k/(2k)·x^{−2k},   χ(x) = 1/(2x²) + Σ_k B_2k·x^{−2k−1}.
// The number of terms K of the asymptotic series below that x needs: the
// first omitted term, ~|B_2K|·x^{−2K} relative to the series' leading term,
// below 2^-64 (the series envelops: its error is below the first omitted
// term). 13 terms at x = 10, 4 at x = 1000.
int AsymptoticTerms(double x) {
  static const std::array<double, kNumBernoulli> minimum_x = [] {
    std::array<double, kNumBernoulli> t{};
    for (int k = 1; k < kNumBernoulli; ++k) {
      // 2·|B_{2k+2}|·x^{−2k} ≤ 2^-64  ⇔  x ≥ (2^65·|B_{2k+2}|)^{1/(2k)}
      t[static_cast<std::size_t>(k)] =
          std::pow(std::ldexp(1.0, 65) * std::fabs(static_cast<double>(kBernoulli[k])), 1.0 / (2.0 * k));
    }
    return t;
  }();
  for (int k = 1; k < kNumBernoulli; ++k) {
    if (x >= minimum_x[static_cast<std::size_t>(k)]) return k;
  }
  return kNumBernoulli;
}

template <typename T>
T PhiAsymptotic(T x) {
  const T z = 1 / (x * x);
  T sum = 0;
  for (int k = AsymptoticTerms(static_cast<double>(x)) - 1; k >= 0; --k) {
    sum = z * (static_cast<T>(kBernoulli[k]) / (2 * k + 2) + sum);
  }
  return -1 / (2 * x) - sum;
}
template <typename T>
T ChiAsymptotic(T x) {
  const T z = 1 / (x * x);
  T sum = 0;
  for (int k = AsymptoticTerms(static_cast<double>(x)) - 1; k >= 0; --k) {
    sum = z * (static_cast<T>(kBernoulli[k]) + sum);
  }
  return (1 / (2 * x) + sum) / x;
}

// K(x) = φ(x) + x·χ(x) = Σ_k B_2k·(2k−1)/(2k)·x^{−2k}, summed directly (the
// ±1/(2x) of φ and x·χ cancel analytically).
template <typename T>
T KAsymptotic(T x) {
  const T z = 1 / (x * x);
  T sum = 0;
  for (int k = AsymptoticTerms(static_cast<double>(x)) - 1; k >= 0; --k) {
    sum = z * (static_cast<T>(kBernoulli[k]) * (2 * k + 1) / (2 * k + 2) + sum);
  }
  return sum;
}

// st(x), φ(x) and χ(x) at one x ≥ kDoubleMinX in one pass: one term count
// (AsymptoticTerms, whose 2^-64 bound also covers the faster-converging
// Stirling series), one 1/x, three Horner sums over precomputed coefficients.
struct LargeArgumentSeries {
  double stirling, phi, chi;
};
inline LargeArgumentSeries SeriesAt(double x) {
  const int terms = AsymptoticTerms(x);
  const double inverse = 1.0 / x;
  const double z = inverse * inverse;
  double stirling = 0.0, phi = 0.0, chi = 0.0;
  for (int k = terms - 1; k >= 0; --k) {
    const auto ks = static_cast<std::size_t>(k);
    stirling = kStirlingCoefficient[ks] + z * stirling;
    phi = z * (kPhiCoefficient[ks] + phi);
    chi = z * (kChiCoefficient[ks] + chi);
  }
  return {stirling * inverse, -0.5 * inverse - phi, (0.5 * inverse + chi) * inverse};
}

// The direct double form of the ψ differences applies (PsiDifferences).
inline bool UseDirectDifferences(double y, double r) {
  return y >= kDirectMinRatio * r && r + y >= kDoubleMinX;
}

// The ψ differences from φ(r+y), χ(r+y) and the size terms of r, in double:
//   r_dphi = r·φ(x) − r·φ(r),   v = r·[φ(x) + r·χ(x) − K(r)].
// With y ≥ 9r, |r·φ(x)| ≤ r/(2x) ≤ 0.05 against |r·φ(r)| ≥ 0.5, and φ(x)
// (≈ −1/(2x)) dominates the positive r·χ(x) ≈ r/(2x²) ≤ φ/10 and has the sign
// of −K(r): nothing cancels by more than ~10%.
inline ScaledPsiDifferences DirectDifferences(double r, double phi_x, double chi_x, const SizeTerms& size) {
  return {r * phi_x - static_cast<double>(size.r_phi_r), r * (phi_x + r * chi_x - static_cast<double>(size.k_r))};
}

// φ(x), χ(x) in long double for any x > 0. Below the asymptotic range the
// subtractions ψ(x) − log x and ψ₁(x) − 1/x cancel by at most ~45×, which the
// long-double digits absorb.
void PhiChiLongDouble(long double x, long double* phi, long double* chi) {
  if (x >= kAsymptoticMinR) {
    *phi = PhiAsymptotic(x);
    *chi = ChiAsymptotic(x);
    return;
  }
  *phi = boost::math::digamma(x, NoThrowPolicy()) - std::log(x);
  *chi = boost::math::trigamma(x, NoThrowPolicy()) - 1 / x;
}

}  // namespace

double StirlingError(double x) {
  if (x >= kAsymptoticMinR) {
    // Σ_k B_2k/(2k(2k−1))·x^{1−2k}; 10 terms give < 1e-17 relative at x = 10.
    constexpr double kCoef[10] = {1.0 / 12,       -1.0 / 360,         1.0 / 1260,
                                  -1.0 / 1680,    1.0 / 1188,         -691.0 / 360360,
                                  1.0 / 156,      -3617.0 / 122400,   43867.0 / 244188,
                                  -174611.0 / 125400};
    // Terms needed: the first omitted, 12·|c_K|·x^{−2K} relative to the
    // result ≈ 1/(12x), below 2^-56 (the series envelops).
    static const std::array<double, 10> minimum_x = [&] {
      std::array<double, 10> t{};
      for (int k = 1; k < 10; ++k) {
        t[static_cast<std::size_t>(k)] = std::pow(12.0 * std::fabs(kCoef[k]) * std::ldexp(1.0, 56), 1.0 / (2.0 * k));
      }
      return t;
    }();
    int terms = 10;
    for (int k = 1; k < 10; ++k) {
      if (x >= minimum_x[static_cast<std::size_t>(k)]) {
        terms = k;
        break;
      }
    }
    const double z = 1.0 / (x * x);
    double sum = 0.0;
    for (int k = terms - 1; k >= 0; --k) sum = kCoef[k] + z * sum;
    return sum / x;
  }
  // Small integers (counts!) from a table (values computed in 50 digits).
  constexpr double kAtInteger[10] = {
      0.0,  // unused: x = 0 is not a valid argument
      0.08106146679532725821967026, 0.04134069595540929409382208,
      0.02767792568499833914878929, 0.02079067210376509311152277,
      0.01664469118982119216319487, 0.01387612882307074799874573,
      0.01189670994589177009505572, 0.01041126526197209649747857,
      0.009255462182712732917728637};
  const int as_int = static_cast<int>(x);
  if (as_int >= 1 && static_cast<double>(as_int) == x) return kAtInteger[as_int];
  // Direct form in long double: for x < 10 the terms are < 25 in size, so the
  // absolute error is ~1e-17 after rounding to double.
  const long double xl = x;
  return static_cast<double>(boost::math::lgamma(xl + 1, NoThrowPolicy()) -
                             (xl + 0.5L) * std::log(xl) + xl - kHalfLog2PiL);
}

namespace {

// ComputeScaledPsiDifferences for r ≥ kAsymptoticMinR, y > 0.
ScaledPsiDifferences AsymptoticPsiDifferences(double y, double r) {
  // With D_k = (r/(r+y))^{2k} − 1, from the series for φ, χ and
  // K(x) = φ(x) + x·χ(x) = Σ_k B_2k·(2k−1)/(2k)·x^{−2k}:
  //   r·[φ(r+y) − φ(r)] = y/(2(r+y)) − Σ_k B_2k/(2k)·r^{1−2k}·D_k
  //   v = r·[K(r+y) − K(r)] − r·y·χ(r+y)
  //     = Σ_k B_2k(2k−1)/(2k)·r^{1−2k}·D_k − r·y·χ(r+y).
  // (v = r·[φ(r+y) + r·χ(r+y)] − r·K(r) and φ + rχ = K(x) − y·χ at x = r+y.)
  // D_k is built by the recurrence D_k = D_{k−1}·u + D_1 with u = (r/(r+y))²
  // and D_1 = −y(2r+y)/(r+y)²; all terms share the sign of D_1, so each D_k
  // is accurate also for y ≪ r, where D_k ≈ −2k·y/r (no expm1 needed).
  const double sum_ry = r + y;
  const double a = y / sum_ry;   // y/(r+y)
  const double b = r / sum_ry;   // r/(r+y)
  const double u = b * b;
  const double d1 = -a * (1.0 + b);
  const double inv_r2 = 1.0 / (r * r);
  double d = d1;
  double power = 1.0 / r;  // r^{1−2k}
  double sum_phi = 0.0;
  double sum_k = 0.0;
  for (int k = 0; k < kNumBernoulli; ++k) {
    const double bern = static_cast<double>(kBernoulli[k]);
    const double two_k = 2.0 * (k + 1);
    sum_phi += (bern / two_k) * power * d;
    sum_k += (bern * (two_k - 1.0) / two_k) * power * d;
    // Relative size of this term in the worst case (y ≫ r, where
    // v ≈ −1/(12r)) is 12·|B_2k|·r^{2−2k}; later terms are smaller still.
    if (12.0 * std::fabs(bern) * power * r < 0x1p-56) break;
    d = d * u + d1;
    power *= inv_r2;
  }
  return {0.5 * a - sum_phi, sum_k - r * y * ChiAsymptotic(sum_ry)};
}

}  // namespace

SizeTerms ComputeSizeTerms(double r) {
  SizeTerms size;
  size.r = r;
  size.stirling_r = StirlingError(r);
  if (r < kAsymptoticMinR) {
    // r < 10: long double. r·φ(r) and K(r) are evaluated through 1 + r, where
    // the poles of ψ(r) ≈ −1/r and ψ₁(r) ≈ 1/r² cancel analytically:
    //   r·φ(r) = r·ψ(1+r) − 1 − r·log r,   K(r) = ψ(1+r) + r·ψ₁(1+r) − log r − 1.
    using LD = long double;
    const LD rl = r;
    const LD psi = boost::math::digamma(1 + rl, NoThrowPolicy());
    const LD tri = boost::math::trigamma(1 + rl, NoThrowPolicy());
    const LD log_r = std::log(rl);
    size.r_phi_r = rl * psi - 1 - rl * log_r;
    size.k_r = psi + rl * tri - log_r - 1;
  } else if (std::isfinite(r)) {
    // r ≥ 10 (used by the direct differences, y ≥ 9r): the series in long double.
    using LD = long double;
    const LD rl = r;
    size.r_phi_r = rl * PhiAsymptotic(rl);
    size.k_r = KAsymptotic(rl);
  }
  return size;
}

namespace {

ScaledPsiDifferences PsiDifferences(double y, const SizeTerms& size) {
  if (y == 0) return {0.0, 0.0};  // exact: both differences vanish
  const double r = size.r;
  if (UseDirectDifferences(y, r)) {
    const LargeArgumentSeries series = SeriesAt(r + y);
    return DirectDifferences(r, series.phi, series.chi, size);
  }
  if (r >= kAsymptoticMinR) return AsymptoticPsiDifferences(y, r);
  using LD = long double;
  const LD rl = r;
  LD phi_x = 0;
  LD chi_x = 0;
  PhiChiLongDouble(rl + static_cast<LD>(y), &phi_x, &chi_x);
  const LD r_dphi = rl * phi_x - size.r_phi_r;
  const LD v = rl * (phi_x + rl * chi_x - size.k_r);
  return {static_cast<double>(r_dphi), static_cast<double>(v)};
}

}  // namespace

ScaledPsiDifferences ComputeScaledPsiDifferences(double y, double r) {
  return PsiDifferences(y, ComputeSizeTerms(r));
}

}  // namespace nb_detail

NbCountTerms NbCountTermsFor(double y, double log_y, double stirling_y, const nb_detail::SizeTerms& size) {
  NbCountTerms count;
  if (y == 0) return count;  // ℓ = −r·log1p(μ/r) has no count-only part
  const double r = size.r;
  // st(r+y) and the ψ differences; for y ≥ 9r, x = r+y ≥ 100 (large counts
  // against a small size, the common case of bulk data) all from one series
  // evaluation at x.
  double stirling_x;
  nb_detail::ScaledPsiDifferences psi;
  if (nb_detail::UseDirectDifferences(y, r)) {
    const nb_detail::LargeArgumentSeries series = nb_detail::SeriesAt(r + y);
    stirling_x = series.stirling;
    psi = nb_detail::DirectDifferences(r, series.phi, series.chi, size);
  } else {
    stirling_x = nb_detail::StirlingError(r + y);
    psi = nb_detail::PsiDifferences(y, size);
  }
  // Saddle-point form of ℓ (top of file) without its two deviance terms.
  const double stirling = stirling_x - size.stirling_r - stirling_y;
  // log1p(y/r): for y ≥ r as log(1 + y/r), whose argument rounds to ½ ulp
  // relative, i.e. ≤ 2^-53 absolute in a result ≥ log 2 (glibc's log is
  // cheaper than its log1p, and this runs once per large count and size).
  const double ratio = y / r;
  const double log1p_ratio = ratio >= 1.0 ? std::log(1.0 + ratio) : std::log1p(ratio);
  count.loglik = stirling - nb_detail::kHalfLog2Pi - 0.5 * (log_y + log1p_ratio);
  count.r_dphi = psi.r_dphi;
  count.v = psi.v;
  count.r_over_y = r / y;
  count.r_over_r_plus_y = r / (r + y);
  return count;
}

NbCountTerms NbCountTermsFor(double y, double r) {
  if (y == 0) return NbCountTerms();
  return NbCountTermsFor(y, std::log(y), nb_detail::StirlingError(y), nb_detail::ComputeSizeTerms(r));
}

NbTerms NbEvaluate(double y, double eta, double zeta) {
  const double mu = std::exp(eta);
  const double r = std::exp(zeta);
  return NbObservationTerms(y, mu, r, eta, zeta, NbCountTermsFor(y, r));
}

double NbLogLikelihood(double y, double eta, double zeta) { return NbEvaluate(y, eta, zeta).loglik; }

NbScaleTerms NbScaleDerivatives(double y, double eta, double zeta) { return NbEvaluate(y, eta, zeta).scale; }

double NegativeBinomial::LogLikelihood(const double* y, const double* eta, const double* zeta,
                                       Index n) const {
  // Compensated (Neumaier) summation: a plain sum of n terms near ℓ's
  // magnitude rounds at ~n·ulp(ℓ) (1e-10 for n = 2000, ℓ ≈ −2e4), far above
  // the per-term accuracy and above the gains a converging optimiser must
  // see. Deterministic, order fixed.
  double sum = 0.0;
  double compensation = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double term = NbLogLikelihood(y[i], eta[i], zeta[i]);
    const double t = sum + term;
    compensation += std::abs(sum) >= std::abs(term) ? (sum - t) + term : (term - t) + sum;
    sum = t;
  }
  return sum + compensation;
}

void NegativeBinomial::Evaluate(const double* y, const double* eta, const double* zeta, Index n,
                                const PointwiseTerms& out) const {
  for (Index i = 0; i < n; ++i) {
    const NbTerms t = NbEvaluate(y[i], eta[i], zeta[i]);
    if (out.loglik != nullptr) out.loglik[i] = t.loglik;
    if (out.d_eta != nullptr) out.d_eta[i] = t.location.d_eta;
    if (out.d2_eta != nullptr) out.d2_eta[i] = t.location.d2_eta;
    if (out.fisher_eta != nullptr) out.fisher_eta[i] = t.location.fisher_eta;
    if (out.d2_eta_zeta != nullptr) out.d2_eta_zeta[i] = t.location.d2_eta_zeta;
    if (out.d_zeta != nullptr) out.d_zeta[i] = t.scale.d_zeta;
    if (out.d2_zeta != nullptr) out.d2_zeta[i] = t.scale.d2_zeta;
  }
}

}  // namespace nbglm
