// FeatureProblem (feature_problem.h), the second half: from the per-cell sums
// of EvaluateSums (feature_problem.cc) to ℓ, the gradient, the observed
// Hessian and the Fisher information in θ by the chain rule through the
// reduced designs (docs/model.md §1 "Chain rule"); the linear predictors and
// their extremes; and the Poisson-limit bound of the log-likelihood.
#include "estimator/feature_problem.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "nbglm/error.h"

namespace nbglm {

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

double FeatureProblem::ScaleGroupGradient(const double* theta, double* group_gradient) {
  EvaluateSums(theta);
  std::copy(scale_d_zeta_.begin(), scale_d_zeta_.end(), group_gradient);
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
