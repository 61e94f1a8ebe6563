// Initialisation (docs/model.md §3): batchglm's "closed-form MLE for the mean,
// method of moments for the dispersion", computed per feature in O(n).
//
// Observations are grouped by distinct rows of the reduced location design
// X̃ = X B (and of Z̃ = Z B_s for the scale). Each group's mean m_g = Σy/Σs is
// the group MLE of the mean, and θ_loc solves X̃_g θ = log m_g: exactly when
// the design is saturated (#groups = q), by least squares weighted by group
// size otherwise. When the design is saturated and both the size factors and
// the scale rows are constant within each location group, that solution is
// the exact location MLE for every value of the scale parameters (the score
// of group g is Σ_i r(y_i − μ)/(r + μ) = 0 ⇔ μ = ȳ_g/s_g), so the location is
// not trained — batchglm's "Should train mu: False".
#ifndef NBGLM_SRC_INIT_INITIALIZER_H_
#define NBGLM_SRC_INIT_INITIALIZER_H_

#include <vector>

#include <Eigen/Dense>

#include "model/observation_layout.h"

namespace nbglm {

// Per-thread scratch space, sized once so Initialize never allocates.
struct InitWorkspace {
  Eigen::VectorXd location_sum_y, location_log_mean, location_fitted;
  Eigen::VectorXd scale_numerator, scale_denominator, scale_log_size;
};

class Initializer {
 public:
  // Bounds of the method-of-moments size (documented in docs/model.md).
  static constexpr double kMinInitialSize = 1e-2;
  static constexpr double kMaxInitialSize = 1e6;

  // The observation groups of both reduced designs, with the offsets (log
  // size factors), which decide whether the exact location solution applies.
  // `layout` must outlive this object.
  // `underdispersed_size`: the start of r in a scale group whose counts are
  // not overdispersed (method-of-moments denominator ≤ 0), where the MLE is
  // almost always r = ∞ (the Poisson limit): the fit's max_size bound, or
  // beyond it, so that such features reach their bound at once.
  explicit Initializer(const ObservationLayout& layout, double underdispersed_size = kMaxInitialSize);

  InitWorkspace MakeWorkspace() const;

  // Writes θ_loc (q) and θ_scale (q_s) for counts y (length n). Returns true
  // when θ_loc is the exact location MLE (no location training needed). A
  // group whose counts are all zero has no finite MLE; its mean starts at
  // 0.1/Σs and the location is trained (it will head for the bound).
  bool Initialize(const double* y, double* theta_location, double* theta_scale, InitWorkspace* work) const;

  // θ_scale by the method of moments at the means of θ_loc (also the second
  // step of Initialize). Returns true when some scale group shows
  // overdispersion (a positive moment denominator).
  bool ScaleFromMoments(const double* y, const double* theta_location, double* theta_scale,
                        InitWorkspace* work) const;

  // θ_scale with every scale group at log size ζ (exactly when the scale
  // design spans the constant, by least squares otherwise).
  void ScaleAtLogSize(double log_size, double* theta_scale) const;

  bool location_can_be_exact() const { return location_can_be_exact_; }

 private:
  const ObservationLayout& layout_;
  Index n_ = 0;
  std::vector<double> offset_;  // o_i in original observation order
  // θ = solver · (log group means): M⁻¹ when saturated, else (MᵀWM)⁻¹MᵀW.
  Eigen::MatrixXd location_solver_;
  Eigen::MatrixXd location_rows_;  // distinct rows M of X̃ (groups × q)
  Eigen::MatrixXd scale_solver_;
  bool location_can_be_exact_ = false;
  double underdispersed_size_ = kMaxInitialSize;
};

}  // namespace nbglm

#endif  // NBGLM_SRC_INIT_INITIALIZER_H_
