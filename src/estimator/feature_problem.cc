// One feature's objective in the reduced parameters (see feature_problem.h).
#include "estimator/feature_problem.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "nbglm/error.h"

namespace nbglm {
namespace {

// Counts below this get a direct slot in the table builder; larger (or
// non-integer) values are sorted.
constexpr std::int32_t kDirectSlots = 4096;

// Neumaier's compensated sum step: deterministic, and free of the ~n·ulp(ℓ)
// rounding of a plain sum, which would hide the gains a converging
// optimiser must see (see NegativeBinomial::LogLikelihood).
inline void CompensatedAdd(double term, double* sum, double* compensation) {
  const double t = *sum + term;
  *compensation += std::abs(*sum) >= std::abs(term) ? (*sum - t) + term : (term - t) + *sum;
  *sum = t;
}

}  // namespace

FeatureProblem::FeatureProblem(const ObservationLayout& layout) : layout_(layout) {
  const auto n = static_cast<std::size_t>(layout.num_observations());
  const auto groups = static_cast<std::size_t>(layout.num_location_groups());
  const auto scale_groups = static_cast<std::size_t>(layout.num_scale_groups());
  y_.assign(n, 0.0);
  entry_of_.assign(n, -1);
  table_begin_.assign(scale_groups + 1, 0);
  entry_y_.reserve(n);
  entry_stirling_y_.reserve(n);
  entry_terms_.reserve(n);
  slot_entry_.assign(static_cast<std::size_t>(kDirectSlots), -1);
  slot_stamp_.assign(static_cast<std::size_t>(kDirectSlots), 0);
  large_counts_.reserve(n);
  cached_theta_.assign(static_cast<std::size_t>(num_parameters()), 0.0);
  alpha_.assign(groups, 0.0);
  beta_.assign(scale_groups, 0.0);
  group_d_eta_.assign(groups, 0.0);
  group_d2_eta_.assign(groups, 0.0);
  group_fisher_.assign(groups, 0.0);
  cell_d2_eta_zeta_.assign(layout.cells().size(), 0.0);
  scale_d_zeta_.assign(scale_groups, 0.0);
  scale_d2_zeta_.assign(scale_groups, 0.0);
}

void FeatureProblem::SetFeature(const double* y) {
  const Index n = num_observations();
  if (y == nullptr && n > 0) throw InputError("y", "null", "counts are required");
  const std::vector<Index>& observation_at = layout_.observation_at();
  for (Index pos = 0; pos < n; ++pos) y_[static_cast<std::size_t>(pos)] = y[observation_at[static_cast<std::size_t>(pos)]];

  // The table of distinct positive counts per scale group (a scale group is
  // a contiguous range of positions: the cells of that group).
  entry_y_.clear();
  entry_stirling_y_.clear();
  const std::vector<ObservationLayout::Cell>& cells = layout_.cells();
  const std::vector<Index>& scale_cell_begin = layout_.scale_cell_begin();
  for (Index h = 0; h < layout_.num_scale_groups(); ++h) {
    table_begin_[static_cast<std::size_t>(h)] = static_cast<Index>(entry_y_.size());
    const Index first_cell = scale_cell_begin[static_cast<std::size_t>(h)];
    const Index end_cell = scale_cell_begin[static_cast<std::size_t>(h) + 1];
    if (first_cell == end_cell) continue;
    const Index begin = cells[static_cast<std::size_t>(first_cell)].begin;
    const Index end = cells[static_cast<std::size_t>(end_cell) - 1].end;
    if (++stamp_ == 0) {  // wrapped: clear the stamps once every 2^32 groups
      std::fill(slot_stamp_.begin(), slot_stamp_.end(), 0u);
      stamp_ = 1;
    }
    large_counts_.clear();
    for (Index pos = begin; pos < end; ++pos) {
      const double value = y_[static_cast<std::size_t>(pos)];
      std::int32_t& entry = entry_of_[static_cast<std::size_t>(pos)];
      if (value == 0.0) {
        entry = -1;
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
        large_counts_.emplace_back(value, pos);
      }
    }
    std::sort(large_counts_.begin(), large_counts_.end());
    for (std::size_t k = 0; k < large_counts_.size(); ++k) {
      if (k == 0 || large_counts_[k].first != large_counts_[k - 1].first) entry_y_.push_back(large_counts_[k].first);
      entry_of_[static_cast<std::size_t>(large_counts_[k].second)] = static_cast<std::int32_t>(entry_y_.size() - 1);
    }
  }
  table_begin_.back() = static_cast<Index>(entry_y_.size());
  for (double value : entry_y_) entry_stirling_y_.push_back(nb_detail::StirlingError(value));
  entry_terms_.resize(entry_y_.size());
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
  const double* size_factor = layout_.size_factor_at().data();
  const double* offset = layout_.offset_at().data();
  const NbCountTerms zero_count;
  double loglik = 0.0;
  double compensation = 0.0;
  for (Index h = 0; h < layout_.num_scale_groups(); ++h) {
    const auto hs = static_cast<std::size_t>(h);
    const double zeta = beta_[hs];
    const double r = std::exp(zeta);
    // Count terms once per distinct count of this scale group.
    const Index table_begin = table_begin_[hs];
    const Index table_end = table_begin_[hs + 1];
    if (table_end > table_begin) {
      const nb_detail::SizeTerms size = nb_detail::ComputeSizeTerms(r);
      for (Index k = table_begin; k < table_end; ++k) {
        const auto ks = static_cast<std::size_t>(k);
        entry_terms_[ks] = NbCountTermsFor(entry_y_[ks], entry_stirling_y_[ks], size);
      }
    }
    double d_zeta = 0.0;
    double d2_zeta = 0.0;
    for (Index c = scale_cell_begin[hs]; c < scale_cell_begin[hs + 1]; ++c) {
      const ObservationLayout::Cell& cell = cells[static_cast<std::size_t>(c)];
      const auto gs = static_cast<std::size_t>(cell.location_group);
      const double alpha = alpha_[gs];
      // μ_i = s_i·e^{α_g}: one exp per cell. Should e^{α_g} leave the normal
      // range while s_i·e^{α_g} might not, form each μ_i = e^{o_i + α_g}.
      const double group_mean = std::exp(alpha);
      const bool by_product = group_mean >= std::numeric_limits<double>::min() && std::isfinite(group_mean);
      double d_eta = 0.0;
      double d2_eta = 0.0;
      double fisher = 0.0;
      double d2_eta_zeta = 0.0;
      for (Index pos = cell.begin; pos < cell.end; ++pos) {
        const auto ps = static_cast<std::size_t>(pos);
        const double y = y_[ps];
        const double eta = offset[ps] + alpha;
        const double mu = by_product ? size_factor[ps] * group_mean : std::exp(eta);
        const std::int32_t entry = entry_of_[ps];
        const NbTerms t =
            NbObservationTerms(y, mu, r, eta, zeta, entry < 0 ? zero_count : entry_terms_[static_cast<std::size_t>(entry)]);
        CompensatedAdd(t.loglik, &loglik, &compensation);
        d_eta += t.location.d_eta;
        d2_eta += t.location.d2_eta;
        fisher += t.location.fisher_eta;
        d2_eta_zeta += t.location.d2_eta_zeta;
        d_zeta += t.scale.d_zeta;
        d2_zeta += t.scale.d2_zeta;
      }
      group_d_eta_[gs] += d_eta;
      group_d2_eta_[gs] += d2_eta;
      group_fisher_[gs] += fisher;
      cell_d2_eta_zeta_[static_cast<std::size_t>(c)] = d2_eta_zeta;
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
    for (Index j = 0; j < q; ++j) {
      double sum = 0.0;
      for (Index g = 0; g < groups; ++g) sum += x(g, j) * group_d_eta_[static_cast<std::size_t>(g)];
      gradient[j] = sum;
    }
    for (Index j = 0; j < q_s; ++j) {
      double sum = 0.0;
      for (Index h = 0; h < scale_groups; ++h) sum += z(h, j) * scale_d_zeta_[static_cast<std::size_t>(h)];
      gradient[q + j] = sum;
    }
  }
  if (hessian != nullptr) {
    // Upper triangle, mirrored: exactly symmetric.
    for (Index j = 0; j < q; ++j) {
      for (Index k = j; k < q; ++k) {  // H_loc,loc = X̃ᵀ diag(∂²ℓ/∂η²) X̃
        double sum = 0.0;
        for (Index g = 0; g < groups; ++g) sum += x(g, j) * x(g, k) * group_d2_eta_[static_cast<std::size_t>(g)];
        hessian[j * p + k] = sum;
        hessian[k * p + j] = sum;
      }
      for (Index k = 0; k < q_s; ++k) {  // H_loc,scale = X̃ᵀ diag(∂²ℓ/∂η∂ζ) Z̃, eq. (8)
        double sum = 0.0;
        const std::vector<ObservationLayout::Cell>& cells = layout_.cells();
        for (std::size_t c = 0; c < cells.size(); ++c) {
          sum += x(cells[c].location_group, j) * z(cells[c].scale_group, k) * cell_d2_eta_zeta_[c];
        }
        hessian[j * p + q + k] = sum;
        hessian[(q + k) * p + j] = sum;
      }
    }
    for (Index j = 0; j < q_s; ++j) {
      for (Index k = j; k < q_s; ++k) {  // H_scale,scale = Z̃ᵀ diag(∂²ℓ/∂ζ²) Z̃
        double sum = 0.0;
        for (Index h = 0; h < scale_groups; ++h) {
          sum += z(h, j) * z(h, k) * scale_d2_zeta_[static_cast<std::size_t>(h)];
        }
        hessian[(q + j) * p + q + k] = sum;
        hessian[(q + k) * p + q + j] = sum;
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
