// One feature's objective in the reduced parameters (see feature_problem.h).
//
// Evaluation, per scale group h (size r = e^{β_h}) and cell (h, g)
// (μ_i = s_i·m, m = e^{α_g}), in three kinds of observations:
//
// * Zero and small counts (integers 0 ≤ y ≤ kMaxSmallCount), in the simple
//   form of eq. (4) with L = log1p(μ/r) = log((r+μ)/r), q = μ/(r+μ), p = 1 − q,
//   F = rμ/(r+μ) and S = L − q ≥ 0:
//     ℓ = A(y, r) + y·η − (y + r)·L,
//     A(y, r) = lgamma(y+r) − lgamma(r) − lgamma(y+1) − y·log r
//             = Σ_{k<y} log1p(k/r) − log y!,
//   and eqs. (5)–(8) regrouped so that the large terms of the Poisson limit
//   r → ∞ cancel inside exact count-only sums:
//     ∂ℓ/∂ζ   = c1 + y·q − r·S,            c1 = r[ψ(y+r) − ψ(r)] − y = −Σ_{k<y} k/(r+k),
//     ∂²ℓ/∂ζ² = c3 − y·p·q − r·S + F·q,    c3 = Σ_{k=1}^{y−1} r·k/(r+k)²,
//     ∂ℓ/∂η = p(y − μ),  ∂²ℓ/∂η² = −F·(p + y/(r+μ)),  E[−∂²ℓ/∂η²] = F,  ∂²ℓ/∂η∂ζ = q·∂ℓ/∂η.
//   (Derivation: ψ(y+r) − ψ(r) = Σ_{k<y} 1/(r+k) for integer y; with
//   ζ − log(r+μ) = −L and (y+r)/(r+μ) = p + y/(r+μ), eq. (6) is
//   rΔψ − y·p − r·S = c1 + y·q − r·S; eq. (7) adds r²Δψ₁ + r − p²(r + 2μ − y)
//   = c2 − y(1 − p²) + F·q with c2 = r²Δψ₁ + y = Σ_{k<y} k(2r+k)/(r+k)², and
//   c1 + c2 = c3 exactly: the O(y) terms of both limits r → 0 and r → ∞
//   cancel inside c3, never between rounded numbers.) A, c1, c3 are sums of
//   same-sign terms,
//   tabulated per scale group for y = 0 … the group's largest small count.
//   S is the series q·u + 2u³·Σ_j u^{2j}/(2j+3), u = q/(2−q) (every term
//   positive) while μ < r, i.e. q < ½, and log1p(μ/r) − q otherwise (≥ 0.19·L,
//   no cancellation). Within a cell, μ grows with the position (the layout
//   sorts by size factor), so the series observations are a prefix; they are
//   evaluated two at a time in SIMD registers with a series length fixed per
//   cell.
// * Zeros of a cell that is at least half zeros, while μ/r ≤ ¼ for every
//   one: by power sums of their size factors (see "Zeros by power sums").
// * Other counts (larger or non-integer): NbObservationTerms with the
//   NbCountTerms of (y, r) tabulated per distinct count of the scale group.
//
// Accuracy: every term is accurate to a few ulps of its own size; the small-
// count form of ℓ adds terms of size ≤ y·max(|η|, L) + log y!, which for
// y ≤ kMaxSmallCount keeps absolute errors near 1e-14 (the saddle-point form
// of NbObservationTerms, used for larger counts, has no such cancellation).
// feature_problem_test.cc compares with NbEvaluate observation by observation.
#include "estimator/feature_problem.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "nbglm/error.h"

namespace nbglm {
namespace {

// Integer counts below this get a direct slot in the table builder and share
// one table entry per distinct value; larger (or non-integer) values get an
// entry each: they rarely repeat within a scale group (a sort or hash to find
// the few repeats cost more than the count terms they saved).
constexpr std::int32_t kDirectSlots = 4096;
constexpr int kSmallStride = FeatureProblem::kMaxSmallCount + 1;
// Cells with fewer zeros take them one by one (the power sums would cost
// as much as the zeros themselves).
constexpr Index kMinPowerZeros = 16;

// log y! for y = 0 … kMaxSmallCount, summed in long double.
const std::array<double, kSmallStride>& LogFactorials() {
  static const std::array<double, kSmallStride> table = [] {
    std::array<double, kSmallStride> t{};
    long double sum = 0.0L;
    for (int y = 0; y < kSmallStride; ++y) {
      if (y > 1) sum += std::log(static_cast<long double>(y));
      t[static_cast<std::size_t>(y)] = static_cast<double>(sum);
    }
    return t;
  }();
  return table;
}

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

// Σ_j x^j/(2j+3), j < kTerms, by Horner's rule.
template <int kTerms>
inline Double2 AtanhTailPolynomial(Double2 x) {
  Double2 a = Double2{} + 1.0 / (2 * (kTerms - 1) + 3);
  for (int j = kTerms - 2; j >= 0; --j) a = a * x + 1.0 / (2 * j + 3);
  return a;
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

// What both kernels share for one pair of observations: μ, 1/(r+μ), p, q,
// F = rμ/(r+μ), and L = log1p(μ/r), S = L − q (see the top of the file).
struct Common2 {
  Double2 mu, inverse_sum, p, q, fisher, log1p_ratio, series;
};

// kSeries: S by the series with kTerms terms (every μ < r); otherwise S
// from log1p (scalar, per lane).
template <bool kSeries, int kTerms>
inline Common2 ComputeCommon2(Double2 size_factor, double group_mean, double r) {
  Common2 c;
  c.mu = size_factor * group_mean;
  c.inverse_sum = 1.0 / (r + c.mu);
  c.p = r * c.inverse_sum;
  c.q = c.mu * c.inverse_sum;
  c.fisher = c.mu * c.p;
  if constexpr (kSeries) {
    const Double2 u = c.q / (2.0 - c.q);
    const Double2 u2 = u * u;
    c.series = c.q * u + 2.0 * u * u2 * AtanhTailPolynomial<kTerms>(u2);
    c.log1p_ratio = c.q + c.series;
  } else {
    for (int l = 0; l < 2; ++l) c.log1p_ratio[l] = std::log1p(c.mu[l] / r);
    c.series = c.log1p_ratio - c.q;
  }
  return c;
}

// Zero counts [0, count) (count even): ℓ = −(F + r·S), ∂ℓ/∂η = −F,
// ∂²ℓ/∂η² = −F·p, ∂²ℓ/∂η∂ζ = −q·F, ∂ℓ/∂ζ = −r·S, ∂²ℓ/∂ζ² = r·(q² − S).
template <bool kSeries, int kTerms>
void AddZeroCounts(const double* size_factor, Index count, double group_mean, double r, ObservationSums* sums) {
  Double2 fisher_sum{}, fisher_p_sum{}, fisher_q_sum{}, s_sum{}, q2_sum{};
  Sums2 lanes;
  for (Index k = 0; k < count; k += 2) {
    const Common2 c = ComputeCommon2<kSeries, kTerms>(Load2(size_factor + k), group_mean, r);
    fisher_sum += c.fisher;
    fisher_p_sum += c.fisher * c.p;
    fisher_q_sum += c.fisher * c.q;
    s_sum += c.series;
    q2_sum += c.q * c.q;
    lanes.AddLoglik(-(c.fisher + r * c.series));
  }
  lanes.AddTo(sums);
  const double fisher_total = fisher_sum[0] + fisher_sum[1];
  const double s_total = s_sum[0] + s_sum[1];
  sums->d_eta -= fisher_total;
  sums->d2_eta -= fisher_p_sum[0] + fisher_p_sum[1];
  sums->fisher += fisher_total;
  sums->d2_eta_zeta -= fisher_q_sum[0] + fisher_q_sum[1];
  sums->d_zeta -= r * s_total;
  sums->d2_zeta += r * ((q2_sum[0] + q2_sum[1]) - s_total);
}

// Small counts [0, count) (count even), with the scale group's tables a,
// c1, c3 indexed by the count.
template <bool kSeries, int kTerms>
void AddSmallCounts(const double* y_in, const double* size_factor, const double* offset, Index count,
                    double alpha, double group_mean, double r, const double* a, const double* c1,
                    const double* c3, ObservationSums* sums) {
  Sums2 lanes;
  for (Index k = 0; k < count; k += 2) {
    const Common2 c = ComputeCommon2<kSeries, kTerms>(Load2(size_factor + k), group_mean, r);
    const Double2 y = Load2(y_in + k);
    const auto y0 = static_cast<std::size_t>(y_in[k]);
    const auto y1 = static_cast<std::size_t>(y_in[k + 1]);
    const Double2 count_a{a[y0], a[y1]};
    const Double2 count_c1{c1[y0], c1[y1]};
    const Double2 count_c3{c3[y0], c3[y1]};
    const Double2 eta = Load2(offset + k) + alpha;
    lanes.AddLoglik(count_a + y * eta - (y + r) * c.log1p_ratio);
    const Double2 d_eta = c.p * (y - c.mu);
    lanes.d_eta += d_eta;
    lanes.d2_eta -= c.fisher * (c.p + y * c.inverse_sum);
    lanes.fisher += c.fisher;
    lanes.d2_eta_zeta += c.q * d_eta;
    const Double2 d_zeta = count_c1 + y * c.q - r * c.series;
    lanes.d_zeta += d_zeta;
    lanes.d2_zeta += count_c3 - y * c.p * c.q - r * c.series + c.fisher * c.q;
  }
  lanes.AddTo(sums);
}

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
bool AddOtherCountsPair(const double* y_in, const double* size_factor, const NbCountTerms& count0,
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
int SeriesTerms(double max_q) {
  const double max_u = max_q / (2.0 - max_q);
  const double max_u2 = max_u * max_u;
  int terms = 1;
  for (double power = max_u2; terms < 19 && power / (2 * terms + 3) > 0x1p-58; power *= max_u2) ++terms;
  for (int length : {2, 4, 6, 10}) {
    if (terms <= length) return length;
  }
  return 19;
}

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
constexpr double kMaxPowerRatio = 0.25;

void ZeroCountsByPowers(const double* zero_power, double max_ratio, double ratio, double r, ObservationSums* sums) {
  const double tail_scale = 1.0 / ((1.0 - max_ratio) * (1.0 - max_ratio));
  double f = 0.0, fp = 0.0, fq = 0.0, s = 0.0, q2_minus_s = 0.0;
  double ratio_power = ratio;      // (m/r)^k
  double max_power = max_ratio;    // x_max^k
  double sign = 1.0;               // (−1)^{k+1}
  for (int k = 1; k <= FeatureProblem::kPowerTerms; ++k) {
    const double t = zero_power[k - 1] * ratio_power;  // Σ_zeros x^k
    const double kd = k;
    f += sign * t;
    fp += sign * kd * t;
    if (k >= 2) {
      fq -= sign * (kd - 1.0) * t;
      s -= sign * ((kd - 1.0) / kd) * t;
      q2_minus_s -= sign * ((kd - 1.0) * (kd - 1.0) / kd) * t;
    }
    if (2.0 * (kd + 1.0) * (max_power / max_ratio) * tail_scale <= 0x1p-54) break;
    ratio_power *= ratio;
    max_power *= max_ratio;
    sign = -sign;
  }
  TwoSumAdd(-r * (f + s), &sums->loglik, &sums->loglik_compensation);
  sums->d_eta -= r * f;
  sums->d2_eta -= r * fp;
  sums->fisher += r * f;
  sums->d2_eta_zeta -= r * fq;
  sums->d_zeta -= r * s;
  sums->d2_zeta += r * q2_minus_s;
}

// The kernels with the series length for max_q, or with log1p (series =
// false, max_q ≥ ½).
void ZeroCountsKernel(double max_q, bool series, const double* size_factor, Index count, double group_mean, double r,
                      ObservationSums* sums) {
  if (!series) return AddZeroCounts<false, 1>(size_factor, count, group_mean, r, sums);
  switch (SeriesTerms(max_q)) {
    case 2: return AddZeroCounts<true, 2>(size_factor, count, group_mean, r, sums);
    case 4: return AddZeroCounts<true, 4>(size_factor, count, group_mean, r, sums);
    case 6: return AddZeroCounts<true, 6>(size_factor, count, group_mean, r, sums);
    case 10: return AddZeroCounts<true, 10>(size_factor, count, group_mean, r, sums);
    default: return AddZeroCounts<true, 19>(size_factor, count, group_mean, r, sums);
  }
}

void SmallCountsKernel(double max_q, bool series, const double* y, const double* size_factor, const double* offset,
                       Index count, double alpha, double group_mean, double r, const double* a, const double* c1,
                       const double* c3, ObservationSums* sums) {
  if (!series) return AddSmallCounts<false, 1>(y, size_factor, offset, count, alpha, group_mean, r, a, c1, c3, sums);
  switch (SeriesTerms(max_q)) {
    case 2: return AddSmallCounts<true, 2>(y, size_factor, offset, count, alpha, group_mean, r, a, c1, c3, sums);
    case 4: return AddSmallCounts<true, 4>(y, size_factor, offset, count, alpha, group_mean, r, a, c1, c3, sums);
    case 6: return AddSmallCounts<true, 6>(y, size_factor, offset, count, alpha, group_mean, r, a, c1, c3, sums);
    case 10: return AddSmallCounts<true, 10>(y, size_factor, offset, count, alpha, group_mean, r, a, c1, c3, sums);
    default: return AddSmallCounts<true, 19>(y, size_factor, offset, count, alpha, group_mean, r, a, c1, c3, sums);
  }
}

}  // namespace

// bound_solver_ is sized in place: Eigen leaves a factorization's `info`
// member uninitialized until its first compute(), so assigning a freshly
// constructed one would read it (UBSan: invalid enum load).
FeatureProblem::FeatureProblem(const ObservationLayout& layout)
    : layout_(layout), bound_solver_(layout.num_location()) {
  const auto n = static_cast<std::size_t>(layout.num_observations());
  const auto groups = static_cast<std::size_t>(layout.num_location_groups());
  const auto scale_groups = static_cast<std::size_t>(layout.num_scale_groups());
  const std::size_t num_cells = layout.cells().size();
  y_.assign(n, 0.0);
  entry_of_.assign(n, -1);
  for (std::vector<Index>* begin : {&zero_begin_, &small_begin_, &other_begin_}) begin->assign(num_cells + 1, 0);
  // The zeros' lists are filled by copies of runs (SetFeature): sized once.
  zero_size_factor_.assign(n, 0.0);
  zero_offset_.assign(n, 0.0);
  for (std::vector<double>* list : {&small_y_, &small_size_factor_, &small_offset_, &other_y_, &other_size_factor_,
                                    &other_offset_}) {
    list->reserve(n);
  }
  other_entry_.reserve(n);
  max_small_count_.assign(scale_groups, 0);
  for (std::vector<double>* table : {&small_a_, &small_c1_, &small_c3_}) {
    table->assign(scale_groups * static_cast<std::size_t>(kSmallStride), 0.0);
  }
  table_begin_.assign(scale_groups + 1, 0);
  table_size_.assign(scale_groups, std::numeric_limits<double>::quiet_NaN());
  entry_y_.reserve(n);
  entry_stirling_y_.reserve(n);
  entry_log_y_.reserve(n);
  entry_terms_.reserve(n);
  slot_entry_.assign(static_cast<std::size_t>(kDirectSlots), -1);
  slot_stamp_.assign(static_cast<std::size_t>(kDirectSlots), 0);
  cached_theta_.assign(static_cast<std::size_t>(num_parameters()), 0.0);
  alpha_.assign(groups, 0.0);
  beta_.assign(scale_groups, 0.0);
  group_d_eta_.assign(groups, 0.0);
  group_d2_eta_.assign(groups, 0.0);
  group_fisher_.assign(groups, 0.0);
  cell_d2_eta_zeta_.assign(num_cells, 0.0);
  {
    const Index q = num_location(), q_s = num_scale();
    hessian_scratch_.assign(static_cast<std::size_t>(q * (q + 1) / 2 + q_s * (q_s + 1) / 2 + q * q_s), 0.0);
  }
  group_sum_y_.assign(groups, 0.0);
  nonzero_positions_.reserve(n);
  bound_mean_.assign(groups, 0.0);
  bound_matrix_ = Eigen::MatrixXd::Zero(num_location(), num_location());
  bound_vector_ = Eigen::VectorXd::Zero(num_location());
  scale_d_zeta_.assign(scale_groups, 0.0);
  scale_d2_zeta_.assign(scale_groups, 0.0);
  // Power sums of the size factors of every cell that could take the zeros'
  // power-sum route (at least kMinPowerZeros observations, so at most
  // n/kMinPowerZeros slots of kPowerTerms values: ≤ 2 doubles per
  // observation whatever the design).
  const std::vector<ObservationLayout::Cell>& cells = layout.cells();
  const std::vector<double>& size_factor = layout.size_factor_at();
  cell_power_slot_.assign(num_cells, -1);
  zero_power_usable_.assign(num_cells, 0);
  for (std::size_t c = 0; c < num_cells; ++c) {
    if (cells[c].end - cells[c].begin < kMinPowerZeros) continue;
    long double sums[kPowerTerms] = {};
    for (Index pos = cells[c].begin; pos < cells[c].end; ++pos) {
      const long double s = size_factor[static_cast<std::size_t>(pos)];
      long double power = s;
      for (int k = 0; k < kPowerTerms; ++k, power *= s) sums[k] += power;
    }
    bool finite = true;
    for (int k = 0; k < kPowerTerms; ++k) finite = finite && std::isfinite(static_cast<double>(sums[k]));
    if (!finite) continue;
    cell_power_slot_[c] = static_cast<Index>(cell_power_all_.size() / kPowerTerms);
    for (int k = 0; k < kPowerTerms; ++k) cell_power_all_.push_back(static_cast<double>(sums[k]));
  }
  zero_power_.assign(cell_power_all_.size(), 0.0);
}

namespace {

bool IsSmallCount(double y) {
  return y >= 1.0 && y <= FeatureProblem::kMaxSmallCount && std::floor(y) == y;
}

}  // namespace

void FeatureProblem::SetFeature(const double* y) {
  const Index n = num_observations();
  if (y == nullptr && n > 0) throw InputError("y", "null", "counts are required");
  // Counts in position order, and the positions of the non-zero ones: every
  // pass below but the zeros' copies visits only those (single-cell data are
  // mostly zeros; the zeros of a cell are the runs between its non-zeros).
  const std::vector<Index>& observation_at = layout_.observation_at();
  nonzero_positions_.clear();
  for (Index pos = 0; pos < n; ++pos) {
    const double value = y[observation_at[static_cast<std::size_t>(pos)]];
    y_[static_cast<std::size_t>(pos)] = value;
    if (value != 0.0) nonzero_positions_.push_back(pos);
  }
  const Index* next_nonzero = nonzero_positions_.data();
  const Index* const nonzero_end = next_nonzero + nonzero_positions_.size();

  // The table of distinct other (not zero, not small) counts per scale group
  // (a scale group is a contiguous range of positions: its cells).
  entry_y_.clear();
  entry_stirling_y_.clear();
  const std::vector<ObservationLayout::Cell>& cells = layout_.cells();
  const std::vector<Index>& scale_cell_begin = layout_.scale_cell_begin();
  for (Index h = 0; h < layout_.num_scale_groups(); ++h) {
    const auto hs = static_cast<std::size_t>(h);
    table_begin_[hs] = static_cast<Index>(entry_y_.size());
    max_small_count_[hs] = 0;
    const Index first_cell = scale_cell_begin[hs];
    const Index end_cell = scale_cell_begin[hs + 1];
    if (first_cell == end_cell) continue;
    const Index end = cells[static_cast<std::size_t>(end_cell) - 1].end;
    if (++stamp_ == 0) {  // wrapped: clear the stamps once every 2^32 groups
      std::fill(slot_stamp_.begin(), slot_stamp_.end(), 0u);
      stamp_ = 1;
    }
    for (; next_nonzero != nonzero_end && *next_nonzero < end; ++next_nonzero) {
      const auto ps = static_cast<std::size_t>(*next_nonzero);
      const double value = y_[ps];
      std::int32_t& entry = entry_of_[ps];
      entry = -1;
      if (IsSmallCount(value)) {
        max_small_count_[hs] = std::max(max_small_count_[hs], static_cast<int>(value));
        continue;
      }
      const auto slot = static_cast<std::int32_t>(value);
      if (value > 0.0 && value < kDirectSlots && static_cast<double>(slot) == value) {
        const auto s = static_cast<std::size_t>(slot);
        if (slot_stamp_[s] != stamp_) {
          slot_stamp_[s] = stamp_;
          slot_entry_[s] = static_cast<std::int32_t>(entry_y_.size());
          entry_y_.push_back(value);
        }
        entry = slot_entry_[s];
      } else {
        entry = static_cast<std::int32_t>(entry_y_.size());
        entry_y_.push_back(value);
      }
    }
  }
  table_begin_.back() = static_cast<Index>(entry_y_.size());
  entry_log_y_.clear();
  for (double value : entry_y_) {
    entry_stirling_y_.push_back(nb_detail::StirlingError(value));
    entry_log_y_.push_back(std::log(value));
  }
  entry_terms_.resize(entry_y_.size());

  // Each cell's observations split by kind, in position order; and, for
  // PoissonLogLikelihoodBound, per location group Σy and the constant
  // Σ y·o − Σ log y!, log y! from the factorial table or as
  // (y+½)·log y − y + ½·log 2π + st(y) from the count table (Σs is the
  // layout's).
  for (std::vector<double>* list : {&small_y_, &small_size_factor_, &small_offset_, &other_y_, &other_size_factor_,
                                    &other_offset_}) {
    list->clear();
  }
  other_entry_.clear();
  std::fill(group_sum_y_.begin(), group_sum_y_.end(), 0.0);
  poisson_constant_ = 0.0;
  const std::array<double, kSmallStride>& log_factorial = LogFactorials();
  const std::vector<double>& size_factor = layout_.size_factor_at();
  const std::vector<double>& offset = layout_.offset_at();
  Index zeros_copied = 0;
  const auto append_zeros = [&](Index begin, Index end) {
    std::copy(size_factor.data() + begin, size_factor.data() + end, zero_size_factor_.data() + zeros_copied);
    std::copy(offset.data() + begin, offset.data() + end, zero_offset_.data() + zeros_copied);
    zeros_copied += end - begin;
  };
  next_nonzero = nonzero_positions_.data();
  for (std::size_t c = 0; c < cells.size(); ++c) {
    zero_begin_[c] = zeros_copied;
    small_begin_[c] = static_cast<Index>(small_y_.size());
    other_begin_[c] = static_cast<Index>(other_y_.size());
    const auto g = static_cast<std::size_t>(cells[c].location_group);
    Index zeros_from = cells[c].begin;
    for (; next_nonzero != nonzero_end && *next_nonzero < cells[c].end; ++next_nonzero) {
      const Index pos = *next_nonzero;
      const auto ps = static_cast<std::size_t>(pos);
      append_zeros(zeros_from, pos);
      zeros_from = pos + 1;
      const double value = y_[ps];
      group_sum_y_[g] += value;
      double log_factorial_y;
      if (entry_of_[ps] < 0) {
        small_y_.push_back(value);
        small_size_factor_.push_back(size_factor[ps]);
        small_offset_.push_back(offset[ps]);
        log_factorial_y = log_factorial[static_cast<std::size_t>(value)];
      } else {
        other_y_.push_back(value);
        other_size_factor_.push_back(size_factor[ps]);
        other_offset_.push_back(offset[ps]);
        other_entry_.push_back(entry_of_[ps]);
        const auto e = static_cast<std::size_t>(entry_of_[ps]);
        log_factorial_y = (value + 0.5) * entry_log_y_[e] - value + nb_detail::kHalfLog2Pi + entry_stirling_y_[e];
      }
      poisson_constant_ += value * offset[ps] - log_factorial_y;
    }
    append_zeros(zeros_from, cells[c].end);
  }
  std::fill(table_size_.begin(), table_size_.end(), std::numeric_limits<double>::quiet_NaN());
  zero_begin_.back() = zeros_copied;
  small_begin_.back() = static_cast<Index>(small_y_.size());
  other_begin_.back() = static_cast<Index>(other_y_.size());
  // Power sums of the zeros' size factors: the cell's minus the non-zero
  // observations' (cheap when zeros dominate, the case that pays).
  for (std::size_t c = 0; c < cells.size(); ++c) {
    const Index zeros = zero_begin_[c + 1] - zero_begin_[c];
    const Index observations = cells[c].end - cells[c].begin;
    const Index slot = cell_power_slot_[c];
    zero_power_usable_[c] = slot >= 0 && zeros >= kMinPowerZeros && 2 * zeros >= observations;
    if (zero_power_usable_[c] == 0) continue;
    double nonzero[kPowerTerms] = {};
    const auto add_powers = [&](const std::vector<double>& list, Index begin, Index end) {
      for (Index i = begin; i < end; ++i) {
        const double s = list[static_cast<std::size_t>(i)];
        double power = s;
        for (int k = 0; k < kPowerTerms; ++k, power *= s) nonzero[k] += power;
      }
    };
    add_powers(small_size_factor_, small_begin_[c], small_begin_[c + 1]);
    add_powers(other_size_factor_, other_begin_[c], other_begin_[c + 1]);
    const double* all = cell_power_all_.data() + static_cast<std::size_t>(slot) * kPowerTerms;
    double* zero = zero_power_.data() + static_cast<std::size_t>(slot) * kPowerTerms;
    for (int k = 0; k < kPowerTerms; ++k) zero[k] = all[k] - nonzero[k];
  }
  has_feature_ = true;
  cache_valid_ = false;
}

void FeatureProblem::CheckFeatureSet() const {
  if (!has_feature_ && num_observations() > 0) {
    throw InputError("FeatureProblem", "no feature", "call SetFeature before evaluating");
  }
}

void FeatureProblem::EvaluateSums(const double* theta) {
  CheckFeatureSet();
  const Index q = num_location();
  const Index q_s = num_scale();
  const auto m = static_cast<std::size_t>(num_parameters());
  if (cache_valid_ && std::equal(theta, theta + m, cached_theta_.begin())) return;

  // Group predictors: α_g = x̃_gᵀθ_loc, β_h = z̃_hᵀθ_scale (eqs. (1), (2)).
  const RowMajorMatrixXd& location_rows = layout_.location_rows();
  const RowMajorMatrixXd& scale_rows = layout_.scale_rows();
  for (Index g = 0; g < layout_.num_location_groups(); ++g) {
    double alpha = 0.0;
    for (Index j = 0; j < q; ++j) alpha += location_rows(g, j) * theta[j];
    alpha_[static_cast<std::size_t>(g)] = alpha;
  }
  for (Index h = 0; h < layout_.num_scale_groups(); ++h) {
    double beta = 0.0;
    for (Index j = 0; j < q_s; ++j) beta += scale_rows(h, j) * theta[q + j];
    beta_[static_cast<std::size_t>(h)] = beta;
  }
  std::fill(group_d_eta_.begin(), group_d_eta_.end(), 0.0);
  std::fill(group_d2_eta_.begin(), group_d2_eta_.end(), 0.0);
  std::fill(group_fisher_.begin(), group_fisher_.end(), 0.0);

  const std::vector<ObservationLayout::Cell>& cells = layout_.cells();
  const std::vector<Index>& scale_cell_begin = layout_.scale_cell_begin();
  const std::array<double, kSmallStride>& log_factorial = LogFactorials();
  double loglik = 0.0;
  double compensation = 0.0;
  for (Index h = 0; h < layout_.num_scale_groups(); ++h) {
    const auto hs = static_cast<std::size_t>(h);
    const double zeta = beta_[hs];
    const double r = std::exp(zeta);
    // The count tables depend on r only: recomputed when r changed.
    const bool tables_current = table_size_[hs] == r;
    table_size_[hs] = r;
    // Count terms of the other counts, once per distinct count.
    const Index table_begin = table_begin_[hs];
    const Index table_end = table_begin_[hs + 1];
    if (table_end > table_begin && !tables_current) {
      const nb_detail::SizeTerms size = nb_detail::ComputeSizeTerms(r);
      for (Index k = table_begin; k < table_end; ++k) {
        const auto ks = static_cast<std::size_t>(k);
        entry_terms_[ks] = NbCountTermsFor(entry_y_[ks], entry_log_y_[ks], entry_stirling_y_[ks], size);
      }
    }
    // A, c1, c3 of the small counts 0 … max: sums over k < y.
    double* a = small_a_.data() + hs * kSmallStride;
    double* c1 = small_c1_.data() + hs * kSmallStride;
    double* c3 = small_c3_.data() + hs * kSmallStride;
    if (!tables_current) {
      double log_sum = 0.0, c1_sum = 0.0, c3_sum = 0.0;
      for (int y = 1; y <= max_small_count_[hs]; ++y) {
        const double k = y - 1;
        if (k > 0) {
          const double inverse = 1.0 / (r + k);
          log_sum += std::log1p(k / r);
          c1_sum -= k * inverse;
          c3_sum += r * k * (inverse * inverse);
        }
        a[y] = log_sum - log_factorial[static_cast<std::size_t>(y)];
        c1[y] = c1_sum;
        c3[y] = c3_sum;
      }
    }
    double d_zeta = 0.0;
    double d2_zeta = 0.0;
    for (Index c = scale_cell_begin[hs]; c < scale_cell_begin[hs + 1]; ++c) {
      const auto cs = static_cast<std::size_t>(c);
      const ObservationLayout::Cell& cell = cells[cs];
      const auto gs = static_cast<std::size_t>(cell.location_group);
      const double alpha = alpha_[gs];
      // μ_i = s_i·e^{α_g}: one exp per cell. Should e^{α_g} or r leave the
      // range where the kernels' products and ratios are safe, every
      // observation goes through NbObservationTerms with μ_i = e^{o_i + α_g}.
      const double group_mean = std::exp(alpha);
      const bool fast = group_mean >= std::numeric_limits<double>::min() && std::isfinite(group_mean) &&
                        r >= std::numeric_limits<double>::min() && r < 1e300;
      ObservationSums sums;
      const auto add_general = [&](double y, double s, double o, const NbCountTerms& count_terms) {
        const double eta = o + alpha;
        const double mu = fast ? s * group_mean : std::exp(eta);
        sums.Add(NbObservationTerms(y, mu, r, eta, zeta, count_terms));
      };
      const Index zero_begin = zero_begin_[cs], zero_end = zero_begin_[cs + 1];
      const Index small_begin = small_begin_[cs], small_end = small_begin_[cs + 1];
      if (fast) {
        // Observations with μ < r (s < r/m) come first: the kernels take them
        // with the series, the rest with log1p, in pairs; an odd last one is
        // paired with a dummy lane (y = 0, s = 0: μ = 0), which adds exact
        // zeros to every sum.
        const double size_limit = r / group_mean;
        const auto run = [&](Index begin, Index end, const double* s, const auto& kernel) {
          const Index split = static_cast<Index>(std::lower_bound(s + begin, s + end, size_limit) - s);
          for (int part = 0; part < 2; ++part) {
            const Index part_begin = part == 0 ? begin : split;
            const Index part_end = part == 0 ? split : end;
            if (part_end == part_begin) continue;
            const double max_mu = s[part_end - 1] * group_mean;
            const double max_q = part == 0 ? max_mu / (r + max_mu) : 1.0;
            kernel(part_begin, part_end, max_q, part == 0);
          }
        };
        const double max_ratio = layout_.size_factor_at()[static_cast<std::size_t>(cell.end) - 1] * (group_mean / r);
        if (zero_power_usable_[cs] != 0 && max_ratio <= kMaxPowerRatio) {
          ZeroCountsByPowers(zero_power_.data() + static_cast<std::size_t>(cell_power_slot_[cs]) * kPowerTerms,
                             max_ratio, group_mean / r, r, &sums);
        } else {
          run(zero_begin, zero_end, zero_size_factor_.data(), [&](Index begin, Index end, double max_q, bool series) {
            const Index pairs_end = begin + (end - begin) / 2 * 2;
            if (pairs_end > begin) {
              ZeroCountsKernel(max_q, series, zero_size_factor_.data() + begin, pairs_end - begin, group_mean, r, &sums);
            }
            if (pairs_end < end) {
              const double size_factor[2] = {zero_size_factor_[static_cast<std::size_t>(pairs_end)], 0.0};
              ZeroCountsKernel(max_q, series, size_factor, 2, group_mean, r, &sums);
            }
          });
        }
        run(small_begin, small_end, small_size_factor_.data(), [&](Index begin, Index end, double max_q, bool series) {
          const Index pairs_end = begin + (end - begin) / 2 * 2;
          if (pairs_end > begin) {
            SmallCountsKernel(max_q, series, small_y_.data() + begin, small_size_factor_.data() + begin,
                              small_offset_.data() + begin, pairs_end - begin, alpha, group_mean, r, a, c1, c3, &sums);
          }
          if (pairs_end < end) {
            const auto k = static_cast<std::size_t>(pairs_end);
            const double y[2] = {small_y_[k], 0.0};
            const double size_factor[2] = {small_size_factor_[k], 0.0};
            const double offset[2] = {small_offset_[k], 0.0};
            SmallCountsKernel(max_q, series, y, size_factor, offset, 2, alpha, group_mean, r, a, c1, c3, &sums);
          }
        });
      } else {
        for (Index k = zero_begin; k < zero_end; ++k) {
          const auto ks = static_cast<std::size_t>(k);
          add_general(0.0, zero_size_factor_[ks], zero_offset_[ks], NbCountTerms());
        }
        for (Index k = small_begin; k < small_end; ++k) {
          const auto ks = static_cast<std::size_t>(k);
          add_general(small_y_[ks], small_size_factor_[ks], small_offset_[ks], NbCountTermsFor(small_y_[ks], r));
        }
      }
      // Other counts: in pairs through the SIMD common regime, one by one
      // where a pair is outside it (and for the last of an odd count).
      Index k = other_begin_[cs];
      const Index other_end = other_begin_[cs + 1];
      if (fast && other_end - k >= 2) {
        Sums2 lanes;
        for (; k + 1 < other_end; k += 2) {
          const auto ks = static_cast<std::size_t>(k);
          const NbCountTerms& count0 = entry_terms_[static_cast<std::size_t>(other_entry_[ks])];
          const NbCountTerms& count1 = entry_terms_[static_cast<std::size_t>(other_entry_[ks + 1])];
          if (!AddOtherCountsPair(other_y_.data() + k, other_size_factor_.data() + k, count0, count1, group_mean, r,
                                  &lanes)) {
            add_general(other_y_[ks], other_size_factor_[ks], other_offset_[ks], count0);
            add_general(other_y_[ks + 1], other_size_factor_[ks + 1], other_offset_[ks + 1], count1);
          }
        }
        lanes.AddTo(&sums);
      }
      for (; k < other_end; ++k) {
        const auto ks = static_cast<std::size_t>(k);
        add_general(other_y_[ks], other_size_factor_[ks], other_offset_[ks],
                    entry_terms_[static_cast<std::size_t>(other_entry_[ks])]);
      }
      CompensatedAdd(sums.loglik + sums.loglik_compensation, &loglik, &compensation);
      group_d_eta_[gs] += sums.d_eta;
      group_d2_eta_[gs] += sums.d2_eta;
      group_fisher_[gs] += sums.fisher;
      cell_d2_eta_zeta_[cs] = sums.d2_eta_zeta;
      d_zeta += sums.d_zeta;
      d2_zeta += sums.d2_zeta;
    }
    scale_d_zeta_[hs] = d_zeta;
    scale_d2_zeta_[hs] = d2_zeta;
  }
  loglik_ = loglik + compensation;
  std::copy(theta, theta + m, cached_theta_.begin());
  cache_valid_ = true;
}

double FeatureProblem::LogLikelihood(const double* theta) {
  EvaluateSums(theta);
  return loglik_;
}

double FeatureProblem::Evaluate(const double* theta, double* gradient, double* hessian) {
  EvaluateSums(theta);
  const Index q = num_location();
  const Index q_s = num_scale();
  const Index p = q + q_s;
  const RowMajorMatrixXd& x = layout_.location_rows();
  const RowMajorMatrixXd& z = layout_.scale_rows();
  const Index groups = layout_.num_location_groups();
  const Index scale_groups = layout_.num_scale_groups();
  if (gradient != nullptr) {
    // ∇_loc = X̃ᵀ·∂ℓ/∂η and ∇_scale = Z̃ᵀ·∂ℓ/∂ζ, summed by group.
    std::fill(gradient, gradient + p, 0.0);
    for (Index g = 0; g < groups; ++g) {
      const double weight = group_d_eta_[static_cast<std::size_t>(g)];
      for (Index j = 0; j < q; ++j) gradient[j] += x(g, j) * weight;
    }
    for (Index h = 0; h < scale_groups; ++h) {
      const double weight = scale_d_zeta_[static_cast<std::size_t>(h)];
      for (Index j = 0; j < q_s; ++j) gradient[q + j] += z(h, j) * weight;
    }
  }
  if (hessian != nullptr) {
    // H_loc,loc = X̃ᵀ diag(∂²ℓ/∂η²) X̃, H_loc,scale = X̃ᵀ diag(∂²ℓ/∂η∂ζ) Z̃
    // (eq. (8), by cell) and H_scale,scale = Z̃ᵀ diag(∂²ℓ/∂ζ²) Z̃, each a
    // weighted sum of the layout's design products (contiguous per group);
    // the upper triangles are mirrored: exactly symmetric.
    const auto weighted_sum = [](const double* __restrict products, Index width, const double* __restrict weights,
                                 Index count, double* __restrict out) {
      std::fill(out, out + width, 0.0);
      for (Index g = 0; g < count; ++g) {
        const double weight = weights[g];
        const double* row = products + g * width;
        for (Index t = 0; t < width; ++t) out[t] += row[t] * weight;
      }
    };
    const Index location_pairs = q * (q + 1) / 2;
    const Index scale_pairs = q_s * (q_s + 1) / 2;
    const Index cross = q * q_s;
    double* packed = hessian_scratch_.data();
    weighted_sum(layout_.location_products().data(), location_pairs, group_d2_eta_.data(), groups, packed);
    weighted_sum(layout_.scale_products().data(), scale_pairs, scale_d2_zeta_.data(), scale_groups,
                 packed + location_pairs);
    weighted_sum(layout_.cross_products().data(), cross, cell_d2_eta_zeta_.data(),
                 static_cast<Index>(layout_.cells().size()), packed + location_pairs + scale_pairs);
    const double* pair = packed;
    for (Index j = 0; j < q; ++j) {
      for (Index k = j; k < q; ++k, ++pair) {
        hessian[j * p + k] = *pair;
        hessian[k * p + j] = *pair;
      }
    }
    for (Index j = 0; j < q_s; ++j) {
      for (Index k = j; k < q_s; ++k, ++pair) {
        hessian[(q + j) * p + q + k] = *pair;
        hessian[(q + k) * p + q + j] = *pair;
      }
    }
    for (Index j = 0; j < q; ++j) {
      for (Index k = 0; k < q_s; ++k, ++pair) {
        hessian[j * p + q + k] = *pair;
        hessian[(q + k) * p + j] = *pair;
      }
    }
  }
  return loglik_;
}

double FeatureProblem::EvaluateLocationFisher(const double* theta, double* score, double* information) {
  EvaluateSums(theta);
  const Index q = num_location();
  const RowMajorMatrixXd& x = layout_.location_rows();
  const Index groups = layout_.num_location_groups();
  if (score != nullptr) {
    for (Index j = 0; j < q; ++j) {
      double sum = 0.0;
      for (Index g = 0; g < groups; ++g) sum += x(g, j) * group_d_eta_[static_cast<std::size_t>(g)];
      score[j] = sum;
    }
  }
  if (information != nullptr) {
    // X̃ᵀ diag(w) X̃ with the IRLS weight w = E[−∂²ℓ/∂η²] = rμ/(r+μ), eq. (5).
    for (Index j = 0; j < q; ++j) {
      for (Index k = j; k < q; ++k) {
        double sum = 0.0;
        for (Index g = 0; g < groups; ++g) sum += x(g, j) * x(g, k) * group_fisher_[static_cast<std::size_t>(g)];
        information[j * q + k] = sum;
        information[k * q + j] = sum;
      }
    }
  }
  return loglik_;
}

double FeatureProblem::EvaluateScale(const double* theta, double* gradient, double* hessian) {
  EvaluateSums(theta);
  const Index q_s = num_scale();
  const RowMajorMatrixXd& z = layout_.scale_rows();
  const Index scale_groups = layout_.num_scale_groups();
  if (gradient != nullptr) {
    for (Index j = 0; j < q_s; ++j) {
      double sum = 0.0;
      for (Index h = 0; h < scale_groups; ++h) sum += z(h, j) * scale_d_zeta_[static_cast<std::size_t>(h)];
      gradient[j] = sum;
    }
  }
  if (hessian != nullptr) {
    for (Index j = 0; j < q_s; ++j) {
      for (Index k = j; k < q_s; ++k) {
        double sum = 0.0;
        for (Index h = 0; h < scale_groups; ++h) {
          sum += z(h, j) * z(h, k) * scale_d2_zeta_[static_cast<std::size_t>(h)];
        }
        hessian[j * q_s + k] = sum;
        hessian[k * q_s + j] = sum;
      }
    }
  }
  return loglik_;
}

double FeatureProblem::PoissonLogLikelihoodBound(const double* theta) {
  CheckFeatureSet();
  const Index q = num_location();
  const Index groups = layout_.num_location_groups();
  const RowMajorMatrixXd& x = layout_.location_rows();
  // M_g = Σ_{i∈g} μ_i = S_g·e^{α_g}; the projection δ solves
  // (Σ_g M_g x̃_g x̃_gᵀ) δ = Σ_g x̃_g (Y_g − M_g).
  bound_matrix_.setZero();
  bound_vector_.setZero();
  for (Index g = 0; g < groups; ++g) {
    const auto gs = static_cast<std::size_t>(g);
    double alpha = 0.0;
    for (Index j = 0; j < q; ++j) alpha += x(g, j) * theta[j];
    bound_mean_[gs] = std::exp(alpha);
    const double mass = layout_.location_group_size_factor_sums()[gs] * bound_mean_[gs];
    for (Index j = 0; j < q; ++j) {
      bound_vector_(j) += x(g, j) * (group_sum_y_[gs] - mass);
      for (Index k = 0; k < q; ++k) bound_matrix_(j, k) += mass * x(g, j) * x(g, k);
    }
  }
  bool projected = q > 0 && bound_matrix_.allFinite() && bound_vector_.allFinite();
  if (projected) {
    bound_solver_.compute(bound_matrix_);
    projected = bound_solver_.info() == Eigen::Success;
    if (projected) bound_vector_ = bound_solver_.solve(bound_vector_);  // δ
    projected = projected && bound_vector_.allFinite();
  }
  // With v_i = c_g·μ_i: Σ_{i∈g} v_i(log(v_i/s_i) − 1) = V_g·(log(V_g/S_g) − 1),
  // V_g = c_g·M_g, since μ_i/s_i = e^{α_g} within the group.
  const auto bound_with = [&](bool use_projection) {
    double bound = poisson_constant_;
    for (Index g = 0; g < groups; ++g) {
      const auto gs = static_cast<std::size_t>(g);
      double v;
      if (use_projection) {
        double c = 1.0;
        for (Index j = 0; j < q; ++j) c += x(g, j) * bound_vector_(j);
        if (!(c >= 0.0)) return std::numeric_limits<double>::quiet_NaN();
        v = c * layout_.location_group_size_factor_sums()[gs] * bound_mean_[gs];
      } else {
        v = group_sum_y_[gs];
      }
      if (v > 0.0) bound += v * (std::log(v / layout_.location_group_size_factor_sums()[gs]) - 1.0);
    }
    return bound;
  };
  const double projected_bound = projected ? bound_with(true) : std::numeric_limits<double>::quiet_NaN();
  const double saturated_bound = bound_with(false);
  // Both are valid bounds; the smaller is the better one.
  return std::isfinite(projected_bound) ? std::min(projected_bound, saturated_bound) : saturated_bound;
}

PredictorExtremes FeatureProblem::Extremes(const double* theta) const {
  const Index q = num_location();
  const Index q_s = num_scale();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  PredictorExtremes extremes{kInf, kInf, -kInf};
  const RowMajorMatrixXd& x = layout_.location_rows();
  const RowMajorMatrixXd& z = layout_.scale_rows();
  for (Index g = 0; g < layout_.num_location_groups(); ++g) {
    double alpha = 0.0;
    for (Index j = 0; j < q; ++j) alpha += x(g, j) * theta[j];
    extremes.min_eta = std::min(extremes.min_eta, alpha + layout_.min_offset()[static_cast<std::size_t>(g)]);
  }
  for (Index h = 0; h < layout_.num_scale_groups(); ++h) {
    double beta = 0.0;
    for (Index j = 0; j < q_s; ++j) beta += z(h, j) * theta[q + j];
    extremes.min_zeta = std::min(extremes.min_zeta, beta);
    extremes.max_zeta = std::max(extremes.max_zeta, beta);
  }
  return extremes;
}

void FeatureProblem::LinearPredictors(const double* theta, double* eta, double* zeta) const {
  const Index q = num_location();
  const Index q_s = num_scale();
  const RowMajorMatrixXd& x = layout_.location_rows();
  const RowMajorMatrixXd& z = layout_.scale_rows();
  const std::vector<double>& offset = layout_.offset_at();
  for (Index i = 0; i < num_observations(); ++i) {
    const auto is = static_cast<std::size_t>(i);
    const Index g = layout_.location_group_of()[is];
    const Index h = layout_.scale_group_of()[is];
    double alpha = 0.0;
    for (Index j = 0; j < q; ++j) alpha += x(g, j) * theta[j];
    double beta = 0.0;
    for (Index j = 0; j < q_s; ++j) beta += z(h, j) * theta[q + j];
    eta[i] = offset[static_cast<std::size_t>(layout_.position_of()[is])] + alpha;
    zeta[i] = beta;
  }
}

}  // namespace nbglm
