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

#include "estimator/cell_kernels.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

// Integer counts below this get a direct slot in the table builder and share
// one table entry per distinct value; larger (or non-integer) values get an
// entry each: they rarely repeat within a scale group (a sort or hash to find
// the few repeats cost more than the count terms they saved).
constexpr std::int32_t kDirectSlots = 4096;
using cell_kernels::AddOtherCountsPair;
using cell_kernels::CompensatedAdd;
using cell_kernels::kMaxPowerRatio;
using cell_kernels::kSmallStride;
using cell_kernels::LogFactorials;
using cell_kernels::ObservationSums;
using cell_kernels::SmallCountsKernel;
using cell_kernels::Sums2;
using cell_kernels::ZeroCountsByPowers;
using cell_kernels::ZeroCountsKernel;
// Cells with fewer zeros take them one by one (the power sums would cost
// as much as the zeros themselves).
constexpr Index kMinPowerZeros = 16;

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

}  // namespace nbglm
