#include "estimator/cell_kernels.h"

namespace nbglm::cell_kernels {
namespace {

// Σ_j x^j/(2j+3), j < kTerms, by Horner's rule.
template <int kTerms>
inline Double2 AtanhTailPolynomial(Double2 x) {
  Double2 a = Double2{} + 1.0 / (2 * (kTerms - 1) + 3);
  for (int j = kTerms - 2; j >= 0; --j) a = a * x + 1.0 / (2 * j + 3);
  return a;
}

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

}  // namespace

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


void ZeroCountsByPowers(const double* zero_power, double max_ratio, double ratio, double r, ObservationSums* sums) {
  const double tail_scale = 1.0 / ((1.0 - max_ratio) * (1.0 - max_ratio));
  double f = 0.0, fp = 0.0, fq = 0.0, s = 0.0, q2_minus_s = 0.0;
  double ratio_power = ratio;      // (m/r)^k
  double max_power = max_ratio;    // x_max^k
  double sign = 1.0;               // (−1)^{k+1}
  for (int k = 1; k <= kPowerTerms; ++k) {
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

}  // namespace nbglm::cell_kernels
