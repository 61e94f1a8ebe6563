#include "de/fixed_dispersion_glm.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nbglm::de {

RowMatrix ToRowMatrix(const Matrix& m) {
  RowMatrix out(static_cast<Index>(m.shape(0)), static_cast<Index>(m.shape(1)));
  for (Index i = 0; i < out.rows(); ++i) {
    for (Index j = 0; j < out.cols(); ++j) out(i, j) = m(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
  }
  return out;
}

bool IsInterceptOnly(const LinearPredictor& predictor) {
  if (predictor.num_parameters() != 1 || predictor.num_reduced() != 1) return false;
  for (std::size_t i = 0; i < predictor.design.values.shape(0); ++i) {
    if (predictor.design.values(i, 0) != 1.0) return false;
  }
  return true;
}

double UnitDeviance(double y, double mu, double overdispersion) {
  const double phi = overdispersion;
  if (y == 0.0) {
    // 2·(1/φ)·log(1 + φμ) → 2μ as φ → 0.
    return phi > 0.0 ? 2.0 * std::log1p(phi * mu) / phi : 2.0 * mu;
  }
  const double y_log_ratio = y * std::log(y / mu);
  if (phi <= 0.0) return 2.0 * (y_log_ratio - (y - mu));
  // (y + 1/φ)·log((1 + φy)/(1 + φμ)) = (y + 1/φ)·log1p(φ(y − μ)/(1 + φμ)):
  // no cancellation between two logarithms as φ → 0.
  const double ratio = phi * (y - mu) / (1.0 + phi * mu);
  return 2.0 * (y_log_ratio - (y + 1.0 / phi) * std::log1p(ratio));
}

GlmDesign::GlmDesign(RowMatrix reduced_design) : x(std::move(reduced_design)) {
  const Eigen::MatrixXd gram = x.transpose() * x;
  ls_map = gram.ldlt().solve(Eigen::MatrixXd(x.transpose()));
  const Index m = packed_size();
  outer.assign(static_cast<std::size_t>(n() * m), 0.0);
  for (Index i = 0; i < n(); ++i) {
    Index k = 0;
    for (Index a = 0; a < q(); ++a) {
      for (Index b = a; b < q(); ++b) outer[static_cast<std::size_t>(i * m + k++)] = x(i, a) * x(i, b);
    }
  }
}

void GlmDesign::WeightedGram(const double* w, double* out) const {
  const Index m = packed_size();
  for (Index k = 0; k < m; ++k) out[k] = 0.0;
  for (Index i = 0; i < n(); ++i) {
    const double* row = outer.data() + i * m;
    const double wi = w[i];
    for (Index k = 0; k < m; ++k) out[k] += wi * row[k];
  }
}

void GlmDesign::Unpack(const double* packed, Eigen::MatrixXd* full) const {
  Index k = 0;
  for (Index a = 0; a < q(); ++a) {
    for (Index b = a; b < q(); ++b) {
      (*full)(a, b) = packed[k];
      (*full)(b, a) = packed[k];
      ++k;
    }
  }
}

FixedDispersionGlm::FixedDispersionGlm(const GlmDesign& design)
    : design_(design),
      theta_(design.q()),
      trial_(design.q()),
      step_(design.q()),
      score_(design.q()),
      mu_(design.n()),
      trial_mu_(design.n()),
      z_(design.n()),
      weight_(design.n()),
      packed_(static_cast<std::size_t>(design.packed_size())),
      information_(design.q(), design.q()),
      damped_(design.q(), design.q()),
      cholesky_(design.q()),
      solver_(design.q()),
      eigen_(design.q()),
      null_vectors_(design.q(), design.q()) {}

double FixedDispersionGlm::Deviance(const double* y, const double* offset, double overdispersion,
                                    const Eigen::VectorXd& theta, Eigen::VectorXd* mu) const {
  double deviance = 0.0;
  for (Index i = 0; i < design_.n(); ++i) {
    const double eta = offset[i] + design_.x.row(i).dot(theta);
    const double m = std::exp(eta);
    (*mu)(i) = m;
    deviance += UnitDeviance(y[i], m, overdispersion);
  }
  return deviance;
}

FixedDispersionOutcome FixedDispersionGlm::Fit(const double* y, const double* offset, double overdispersion,
                                               double* theta, bool warm_start,
                                               const FixedDispersionOptions& options) {
  const Index n = design_.n();
  const Index q = design_.q();
  FixedDispersionOutcome outcome;
  if (warm_start) {
    for (Index j = 0; j < q; ++j) theta_(j) = theta[j];
  } else {
    for (Index i = 0; i < n; ++i) z_(i) = std::log(y[i] + 0.5) - offset[i];
    theta_.noalias() = design_.ls_map * z_;
  }
  double deviance = Deviance(y, offset, overdispersion, theta_, &mu_);
  // D is a sum of terms of size ~y·|log(y/μ)| that cancel to D: its
  // rounding error is ~1e-16·Σy·(…), far above 1e-14·D when the fit is
  // near saturated (D → 0). A step is accepted when it does not raise D
  // beyond that noise, and the stopping rule measures the decrement
  // against D + n (each observation contributes O(1) at a good fit).
  double total = 0.0;
  for (Index i = 0; i < n; ++i) total += y[i];
  const double noise = 1e-12 * (total + static_cast<double>(n));
  const double scale = static_cast<double>(n);
  double lambda = 0.0;
  for (int iteration = 0; iteration < options.max_iterations && std::isfinite(deviance); ++iteration) {
    outcome.iterations = iteration + 1;
    // Score and observed information of ℓ in θ (eq. (5) of docs/model.md at
    // a fixed size r = 1/φ): U = X̃ᵀ (y − μ)/(1 + φμ) and
    // J = X̃ᵀ diag(μ(1 + φy)/(1 + φμ)²) X̃ — positive for every y ≥ 0, so D is
    // convex in θ and Newton converges quadratically. (Fisher scoring,
    // weights μ/(1 + φμ), crawls when φ is large: its steps overshoot and are
    // damped every time.)
    score_.setZero();
    for (Index i = 0; i < n; ++i) {
      const double denominator = 1.0 + overdispersion * mu_(i);
      weight_(i) = mu_(i) * (1.0 + overdispersion * y[i]) / (denominator * denominator);
      const double residual = (y[i] - mu_(i)) / denominator;
      for (Index j = 0; j < q; ++j) score_(j) += residual * design_.x(i, j);
    }
    design_.WeightedGram(weight_.data(), packed_.data());
    design_.Unpack(packed_.data(), &information_);
    bool accepted = false;
    for (int attempt = 0; attempt < 30; ++attempt) {
      damped_ = information_;
      if (lambda > 0.0) damped_.diagonal() *= 1.0 + lambda;
      if (!SolveStep()) {
        lambda = std::max(lambda * 10.0, 1e-6);
        continue;
      }
      if (lambda == 0.0) {
        // Stopping rule: the decrease of D a full Newton step predicts.
        const double decrement = score_.dot(step_);
        if (decrement <= options.tolerance * (deviance + scale)) {
          outcome.converged = true;
          break;
        }
      }
      trial_ = theta_ + step_;
      const double trial_deviance = Deviance(y, offset, overdispersion, trial_, &trial_mu_);
      if (std::isfinite(trial_deviance) && trial_deviance <= deviance + noise) {
        theta_.swap(trial_);
        mu_.swap(trial_mu_);
        deviance = trial_deviance;
        lambda = lambda > 1e-6 ? lambda / 10.0 : 0.0;
        accepted = true;
        break;
      }
      lambda = std::max(lambda * 10.0, 1e-6);
    }
    if (outcome.converged) break;
    if (!accepted) {
      // No step lowers D: at the minimum to rounding, or stuck.
      outcome.converged = lambda > 1e10;
      break;
    }
  }
  // Fisher information at the final θ (for standard errors).
  for (Index i = 0; i < n; ++i) weight_(i) = mu_(i) / (1.0 + overdispersion * mu_(i));
  design_.WeightedGram(weight_.data(), packed_.data());
  design_.Unpack(packed_.data(), &information_);
  outcome.deviance = deviance;
  outcome.failed = !std::isfinite(deviance) || !theta_.allFinite();
  // A diverging direction: only possible when some μ_i is tiny against the
  // others, so the eigen-decomposition runs only then.
  null_directions_ = 0;
  if (!outcome.failed && q > 0 && mu_.minCoeff() < 1e-6 * mu_.maxCoeff()) {
    eigen_.compute(information_);
    if (eigen_.info() == Eigen::Success) {
      const double largest = eigen_.eigenvalues()(q - 1);
      for (Index k = 0; k < q; ++k) {
        if (!(largest > 0.0) || eigen_.eigenvalues()(k) <= kNullEigenvalue * largest) {
          null_vectors_.col(null_directions_++) = eigen_.eigenvectors().col(k);
        }
      }
    }
  }
  outcome.at_bound = null_directions_ > 0;
  for (Index j = 0; j < q; ++j) theta[j] = theta_(j);
  return outcome;
}

bool FixedDispersionGlm::SolveStep() {
  if (cholesky_.Compute(damped_)) {
    cholesky_.Solve(score_.data(), step_.data());
    if (step_.allFinite()) return true;
  }
  // Numerically singular (a direction of vanishing information, a group of
  // zeros): the pivoting LDLᵀ with a tiny ridge still gives the step.
  damped_.diagonal().array() += 1e-300;
  solver_.compute(damped_);
  step_ = solver_.solve(score_);
  return step_.allFinite();
}

bool FixedDispersionGlm::Estimable(const Eigen::VectorXd& contrast) const {
  const double norm = contrast.norm();
  for (Index k = 0; k < null_directions_; ++k) {
    if (std::abs(null_vectors_.col(k).dot(contrast)) > kNullLoading * norm) return false;
  }
  return true;
}

}  // namespace nbglm::de
