// One feature's objective in the reduced parameters (see feature_problem.h).
#include "estimator/feature_problem.h"

#include <cmath>
#include <string>

#include <Eigen/Dense>

#include "eigen_view.h"
#include "nbglm/error.h"

namespace nbglm {
namespace {

using ConstVectorMap = Eigen::Map<const Eigen::VectorXd>;
using VectorMap = Eigen::Map<Eigen::VectorXd>;

std::size_t BufferSize(Index rows, Index cols) {
  return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
}

// Writes the strict lower triangle of the p × p row-major matrix from the
// upper one, so that the result is exactly symmetric (the GEMM products for
// (i, j) and (j, i) may round differently).
void MirrorUpperTriangle(double* matrix, Index p) {
  for (Index i = 0; i < p; ++i) {
    for (Index j = i + 1; j < p; ++j) matrix[j * p + i] = matrix[i * p + j];
  }
}

}  // namespace

FeatureProblem::FeatureProblem(const NoiseModel& noise, Index num_observations,
                               Index num_location, Index num_scale)
    : noise_(noise), n_(num_observations), q_(num_location), q_scale_(num_scale) {
  if (n_ < 0) throw InputError("num_observations", std::to_string(n_), "must be ≥ 0");
  if (q_ < 0) throw InputError("num_location", std::to_string(q_), "must be ≥ 0");
  if (q_scale_ < 0) throw InputError("num_scale", std::to_string(q_scale_), "must be ≥ 0");
  const std::size_t n = BufferSize(n_, 1);
  for (std::vector<double>* buffer : {&eta_, &zeta_, &loglik_, &d_eta_, &d2_eta_, &fisher_eta_,
                                      &d_zeta_, &d2_zeta_, &d2_eta_zeta_}) {
    buffer->assign(n, 0.0);
  }
  weighted_location_.assign(BufferSize(n_, q_), 0.0);
  weighted_scale_.assign(BufferSize(n_, q_scale_), 0.0);
}

void FeatureProblem::SetFeature(const double* y, const double* offset,
                                const double* location_design, const double* scale_design) {
  if (y == nullptr && n_ > 0) throw InputError("y", "null", "counts are required");
  if (location_design == nullptr && n_ > 0 && q_ > 0) {
    throw InputError("location_design", "null", "required when num_location > 0");
  }
  if (scale_design == nullptr && n_ > 0 && q_scale_ > 0) {
    throw InputError("scale_design", "null", "required when num_scale > 0");
  }
  y_ = y;
  offset_ = offset;
  location_design_ = location_design;
  scale_design_ = scale_design;
}

void FeatureProblem::CheckFeatureSet() const {
  if (y_ == nullptr && n_ > 0) {
    throw InputError("FeatureProblem", "no feature", "call SetFeature before evaluating");
  }
}

void FeatureProblem::ComputePredictors(const double* theta) {
  CheckFeatureSet();
  VectorMap eta(eta_.data(), n_);
  VectorMap zeta(zeta_.data(), n_);
  // Eq. (1): η = offset + X̃·θ_loc.
  if (q_ > 0) {
    const ConstMatrixMap x(location_design_, n_, q_);
    eta.noalias() = x * ConstVectorMap(theta, q_);
  } else {
    eta.setZero();
  }
  if (offset_ != nullptr) eta += ConstVectorMap(offset_, n_);
  // Eq. (2): ζ = Z̃·θ_scale.
  if (q_scale_ > 0) {
    const ConstMatrixMap z(scale_design_, n_, q_scale_);
    zeta.noalias() = z * ConstVectorMap(theta + q_, q_scale_);
  } else {
    zeta.setZero();
  }
}

double FeatureProblem::SumLoglik() const {
  // Left-to-right compensated (Neumaier) sum: deterministic, independent of
  // threading, and free of the ~n·ulp(ℓ) rounding of a plain sum (see
  // NegativeBinomial::LogLikelihood); both paths must agree to the last bit.
  double sum = 0.0;
  double compensation = 0.0;
  for (Index i = 0; i < n_; ++i) {
    const double term = loglik_[static_cast<std::size_t>(i)];
    const double t = sum + term;
    compensation += std::abs(sum) >= std::abs(term) ? (sum - t) + term : (term - t) + sum;
    sum = t;
  }
  return sum + compensation;
}

double FeatureProblem::LogLikelihood(const double* theta) {
  ComputePredictors(theta);
  return noise_.LogLikelihood(y_, eta_.data(), zeta_.data(), n_);
}

double FeatureProblem::Evaluate(const double* theta, double* gradient, double* hessian) {
  ComputePredictors(theta);
  PointwiseTerms terms;
  terms.loglik = loglik_.data();
  if (gradient != nullptr) {
    terms.d_eta = d_eta_.data();
    terms.d_zeta = d_zeta_.data();
  }
  if (hessian != nullptr) {
    terms.d2_eta = d2_eta_.data();
    terms.d2_zeta = d2_zeta_.data();
    terms.d2_eta_zeta = d2_eta_zeta_.data();
  }
  noise_.Evaluate(y_, eta_.data(), zeta_.data(), n_, terms);

  const ConstMatrixMap x(location_design_, n_, q_);
  const ConstMatrixMap z(scale_design_, n_, q_scale_);
  if (gradient != nullptr) {
    // ∇_loc = X̃ᵀ·∂ℓ/∂η, ∇_scale = Z̃ᵀ·∂ℓ/∂ζ.
    VectorMap(gradient, q_).noalias() = x.transpose() * ConstVectorMap(d_eta_.data(), n_);
    VectorMap(gradient + q_, q_scale_).noalias() =
        z.transpose() * ConstVectorMap(d_zeta_.data(), n_);
  }
  if (hessian != nullptr) {
    const Index p = q_ + q_scale_;
    MatrixMap h(hessian, p, p);
    MatrixMap weighted_x(weighted_location_.data(), n_, q_);
    MatrixMap weighted_z(weighted_scale_.data(), n_, q_scale_);
    // H_loc,loc = X̃ᵀ diag(∂²ℓ/∂η²) X̃.
    weighted_x.noalias() = ConstVectorMap(d2_eta_.data(), n_).asDiagonal() * x;
    h.topLeftCorner(q_, q_).noalias() = x.transpose() * weighted_x;
    // H_loc,scale = X̃ᵀ diag(∂²ℓ/∂η∂ζ) Z̃ (eq. (8)); the lower block mirrors it.
    weighted_x.noalias() = ConstVectorMap(d2_eta_zeta_.data(), n_).asDiagonal() * x;
    h.topRightCorner(q_, q_scale_).noalias() = weighted_x.transpose() * z;
    // H_scale,scale = Z̃ᵀ diag(∂²ℓ/∂ζ²) Z̃.
    weighted_z.noalias() = ConstVectorMap(d2_zeta_.data(), n_).asDiagonal() * z;
    h.bottomRightCorner(q_scale_, q_scale_).noalias() = z.transpose() * weighted_z;
    MirrorUpperTriangle(hessian, p);
  }
  return SumLoglik();
}

double FeatureProblem::EvaluateLocationFisher(const double* theta, double* score,
                                              double* information) {
  ComputePredictors(theta);
  PointwiseTerms terms;
  terms.loglik = loglik_.data();
  if (score != nullptr) terms.d_eta = d_eta_.data();
  if (information != nullptr) terms.fisher_eta = fisher_eta_.data();
  noise_.Evaluate(y_, eta_.data(), zeta_.data(), n_, terms);

  const ConstMatrixMap x(location_design_, n_, q_);
  if (score != nullptr) {
    VectorMap(score, q_).noalias() = x.transpose() * ConstVectorMap(d_eta_.data(), n_);
  }
  if (information != nullptr) {
    // X̃ᵀ diag(w) X̃ with the IRLS weight w = E[−∂²ℓ/∂η²] = rμ/(r+μ), eq. (5).
    MatrixMap weighted_x(weighted_location_.data(), n_, q_);
    weighted_x.noalias() = ConstVectorMap(fisher_eta_.data(), n_).asDiagonal() * x;
    MatrixMap(information, q_, q_).noalias() = x.transpose() * weighted_x;
    MirrorUpperTriangle(information, q_);
  }
  return SumLoglik();
}

double FeatureProblem::EvaluateScale(const double* theta, double* gradient, double* hessian) {
  ComputePredictors(theta);
  PointwiseTerms terms;
  terms.loglik = loglik_.data();
  if (gradient != nullptr) terms.d_zeta = d_zeta_.data();
  if (hessian != nullptr) terms.d2_zeta = d2_zeta_.data();
  noise_.Evaluate(y_, eta_.data(), zeta_.data(), n_, terms);

  const ConstMatrixMap z(scale_design_, n_, q_scale_);
  if (gradient != nullptr) {
    VectorMap(gradient, q_scale_).noalias() = z.transpose() * ConstVectorMap(d_zeta_.data(), n_);
  }
  if (hessian != nullptr) {
    MatrixMap weighted_z(weighted_scale_.data(), n_, q_scale_);
    weighted_z.noalias() = ConstVectorMap(d2_zeta_.data(), n_).asDiagonal() * z;
    MatrixMap(hessian, q_scale_, q_scale_).noalias() = z.transpose() * weighted_z;
    MirrorUpperTriangle(hessian, q_scale_);
  }
  return SumLoglik();
}

}  // namespace nbglm
