// The per-cell kernels of a feature's evaluation (feature_problem.cc, whose
// top comment derives the formulas; docs/model.md "Evaluation per feature"):
// sums over some observations of one cell — same location and scale group —
// of ℓ and its pointwise derivatives, for zero counts, small integer counts
// and other counts, two observations at a time in SIMD registers, and the
// zeros of a mostly-zero cell by power sums of their size factors. The order
// of operations is fixed, so results do not depend on the thread. Internal.
#ifndef NBGLM_SRC_ESTIMATOR_CELL_KERNELS_H_
#define NBGLM_SRC_ESTIMATOR_CELL_KERNELS_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "nbglm/negative_binomial.h"
#include "nbglm/types.h"
#include "noise/nb_kernels.h"

namespace nbglm::cell_kernels {

// Integer counts up to this are "small": their count terms are exact finite
// sums, tabulated per scale group, and they share the SIMD kernel of the zeros.
inline constexpr int kMaxSmallCount = 32;
inline constexpr int kSmallStride = kMaxSmallCount + 1;
// Longest power series of the zeros' power-sum route.
inline constexpr int kPowerTerms = 32;

// log y! for y = 0 … kMaxSmallCount, summed in long double.
const std::array<double, kSmallStride>& LogFactorials();

// Neumaier's compensated sum step: deterministic, and free of the ~n·ulp(ℓ)
// rounding of a plain sum, which would hide the gains a converging
// optimiser must see (see NegativeBinomial::LogLikelihood).
inline void CompensatedAdd(double term, double* sum, double* compensation) {
  const double t = *sum + term;
  *compensation += std::abs(*sum) >= std::abs(term) ? (*sum - t) + term : (term - t) + *sum;
  *sum = t;
}

// Knuth's TwoSum accumulation (branch-free): sum + compensation carries the
// exact sum of the terms added up to ~1 ulp.
inline void TwoSumAdd(double term, double* sum, double* compensation) {
  const double t = *sum + term;
  const double z = t - *sum;
  *compensation += (*sum - (t - z)) + (term - z);
  *sum = t;
}

// Sums over some observations of a cell of ℓ and its pointwise derivatives.
struct ObservationSums {
  double loglik = 0.0, loglik_compensation = 0.0;
  double d_eta = 0.0, d2_eta = 0.0, fisher = 0.0, d2_eta_zeta = 0.0;
  double d_zeta = 0.0, d2_zeta = 0.0;
  void Add(const NbTerms& t) {
    TwoSumAdd(t.loglik, &loglik, &loglik_compensation);
    d_eta += t.location.d_eta;
    d2_eta += t.location.d2_eta;
    fisher += t.location.fisher_eta;
    d2_eta_zeta += t.location.d2_eta_zeta;
    d_zeta += t.scale.d_zeta;
    d2_zeta += t.scale.d2_zeta;
  }
};

// Two observations at a time in SIMD registers (GCC/Clang vector extensions;
// SSE2 on any x86-64). The order of operations is fixed, so results do not
// depend on the thread.
using Double2 = double __attribute__((vector_size(16)));

inline Double2 Load2(const double* p) {
  Double2 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Per-lane accumulators of ObservationSums.
struct Sums2 {
  Double2 loglik{}, compensation{}, d_eta{}, d2_eta{}, fisher{}, d2_eta_zeta{}, d_zeta{}, d2_zeta{};
  void AddLoglik(Double2 term) {  // TwoSum, lane-wise
    const Double2 t = loglik + term;
    const Double2 z = t - loglik;
    compensation += (loglik - (t - z)) + (term - z);
    loglik = t;
  }
  void AddTo(ObservationSums* sums) const {
    for (int l = 0; l < 2; ++l) {
      TwoSumAdd(loglik[l], &sums->loglik, &sums->loglik_compensation);
      sums->loglik_compensation += compensation[l];
    }
    sums->d_eta += d_eta[0] + d_eta[1];
    sums->d2_eta += d2_eta[0] + d2_eta[1];
    sums->fisher += fisher[0] + fisher[1];
    sums->d2_eta_zeta += d2_eta_zeta[0] + d2_eta_zeta[1];
    sums->d_zeta += d_zeta[0] + d_zeta[1];
    sums->d2_zeta += d2_zeta[0] + d2_zeta[1];
  }
};

// t − log1p(t) for two lanes, each t in the series range (−½, 1): as
// nb_detail::TMinusLog1pSeries, the polynomial's length set by the larger v².
inline Double2 TMinusLog1pSeries2(Double2 t) {
  const Double2 v = t / (2.0 + t);
  const Double2 v2 = v * v;
  return t * v - 2.0 * v * v2 * nb_detail::AtanhTailSeries(v2, std::max(v2[0], v2[1]));
}

// Two other (large) counts of a cell at once: NbObservationTerms's common
// regime — r + μ finite and both deviance arguments, w = (y−μ)/(r+μ) and
// t2 = −w·r/y, in the series range (−½, 1), i.e. the counts near their
// means, the case of every well-fitted large count — in SIMD lanes, with the
// same formulas. Returns false, adding nothing, when a lane is outside it
// (the caller then takes both one by one).
inline bool AddOtherCountsPair(const double* y_in, const double* size_factor, const NbCountTerms& count0,
                        const NbCountTerms& count1, double group_mean, double r, Sums2* lanes) {
  const Double2 y = Load2(y_in);
  const Double2 mu = Load2(size_factor) * group_mean;
  const Double2 sum = r + mu;
  if (!std::isfinite(sum[0]) || !std::isfinite(sum[1])) return false;
  const Double2 inverse_sum = 1.0 / sum;
  const Double2 w = (y - mu) * inverse_sum;
  const Double2 t2 = -w * Double2{count0.r_over_y, count1.r_over_y};
  for (int l = 0; l < 2; ++l) {
    if (!nb_detail::InSeriesRange(w[l]) || !nb_detail::InSeriesRange(t2[l])) return false;
  }
  const Double2 p = r * inverse_sum;
  const Double2 q = mu * inverse_sum;
  Double2 fisher;  // rμ/(r+μ), eq. (5)
  for (int l = 0; l < 2; ++l) fisher[l] = mu[l] <= r ? mu[l] * p[l] : r * q[l];
  const Double2 d_eta = p * (y - mu);
  const Double2 bd0_r = r * TMinusLog1pSeries2(w);
  const Double2 bd0_y = y * TMinusLog1pSeries2(t2);
  lanes->AddLoglik(Double2{count0.loglik, count1.loglik} - bd0_r - bd0_y);
  lanes->d_eta += d_eta;
  lanes->d2_eta += -fisher * (p + y * inverse_sum);
  lanes->fisher += fisher;
  lanes->d2_eta_zeta += q * d_eta;
  lanes->d_zeta += Double2{count0.r_dphi, count1.r_dphi} - bd0_r;
  // The μ-dependent part of eq. (7) for w < 1, plus v.
  lanes->d2_zeta += (-bd0_r + r * w * w * Double2{count0.r_over_r_plus_y, count1.r_over_r_plus_y}) +
                    Double2{count0.v, count1.v};
  return true;
}

// The number of terms of the atanh tail for every q ≤ max_q < ½: the first
// neglected term x^j/(2j+3) ≤ 2^-58 for x = u², u = max_q/(2 − max_q) (the
// tail is ≥ ⅓). Rounded up to the instantiated lengths 2, 4, 6, 10, 19.
int SeriesTerms(double max_q);

// Zeros by power sums. For a zero count, with x = μ/r = s·m/r < 1, every
// sum the zero kernel forms is a power series in x:
//   F = r·x/(1+x) = r·Σ_{k≥1} (−1)^{k+1} x^k,   F·p = r·x/(1+x)² = r·Σ (−1)^{k+1} k x^k,
//   F·q = r·x²/(1+x)² = r·Σ_{k≥2} (−1)^k (k−1) x^k,
//   S = log1p(x) − x/(1+x) = Σ_{k≥2} (−1)^k (k−1)/k x^k,
//   q² − S = Σ_{k≥2} (−1)^k (k−1)²/k x^k,
// so over a cell's zeros they are Σ_k c_k (m/r)^k P_k with P_k = Σ_zeros s^k
// (zero_power_): O(series length) per evaluation instead of O(zeros). Used
// while x_max = s_max·m/r ≤ kMaxPowerRatio; the series stops after term k
// once 2(k+1)·x_max^{k−1}/(1 − x_max)², a bound of every tail relative to
// its first term (x or x², weight ≥ ½), is below 2^-54: by k = 32
// (kPowerTerms) for x_max = ¼. Each alternating series sums to about its first
// term (x ≤ ¼), and P_k = (cell's) − (non-zero ones') is used only while
// the zeros are at least half of the cell: its rounding is ~ulp of the
// cell's Σ μ^k/r^k, a smooth function of θ, like every other term's.
inline constexpr double kMaxPowerRatio = 0.25;

void ZeroCountsByPowers(const double* zero_power, double max_ratio, double ratio, double r, ObservationSums* sums);

// The kernels with the series length for max_q, or with log1p (series =
// false, max_q ≥ ½).
void ZeroCountsKernel(double max_q, bool series, const double* size_factor, Index count, double group_mean, double r,
                      ObservationSums* sums);

void SmallCountsKernel(double max_q, bool series, const double* y, const double* size_factor, const double* offset,
                       Index count, double alpha, double group_mean, double r, const double* a, const double* c1,
                       const double* c3, ObservationSums* sums);

}  // namespace nbglm::cell_kernels

#endif  // NBGLM_SRC_ESTIMATOR_CELL_KERNELS_H_
