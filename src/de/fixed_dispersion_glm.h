// One feature's NB GLM of the location at a KNOWN overdispersion φ = 1/r
// (docs/de.md "The quasi-likelihood pipeline"): the fit every step of the DE
// layer repeats — at a first rough φ, at the Cox–Reid φ, at the trended φ
// for the full and the reduced model. Internal header.
//
// Maximises ℓ(θ) = Σ_i ℓ_NB(y_i; μ_i, φ), μ_i = exp(o_i + x̃_iᵀθ), over θ
// (q reduced location parameters, X̃ = X·B, so constraints hold by
// construction), i.e. minimises the deviance
//   D(θ) = 2 Σ_i [y log(y/μ) − (y + 1/φ) log((1 + φy)/(1 + φμ))]   (φ > 0)
//   D(θ) = 2 Σ_i [y log(y/μ) − (y − μ)]                            (φ = 0)
// by Newton's method on the observed information (D is convex in θ) with
// Levenberg damping (a step that does not lower D is damped until it does,
// beyond its rounding noise). Stopping rule: the
// Newton decrement UᵀI⁻¹U — the decrease of D a full step predicts — is at
// most tolerance·(D + n).
//
// A group of zero counts drives its μ → 0 (the coefficient to −∞): each
// Newton step then lowers that μ by ~e⁻¹ and the deviance converges to its
// finite limit, so the deviance (what the tests use) is accurate while the
// coefficient is not an estimate: `at_bound` is set when the Fisher
// information has a direction of vanishing eigenvalue (≤ kNullEigenvalue of the largest),
// and Estimable() tells which contrasts load on it (callers report NaN).
#ifndef NBGLM_SRC_DE_FIXED_DISPERSION_GLM_H_
#define NBGLM_SRC_DE_FIXED_DISPERSION_GLM_H_

#include <vector>

#include <Eigen/Dense>

#include "estimator/small_cholesky.h"
#include "nbglm/model.h"
#include "nbglm/types.h"

namespace nbglm::de {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A row-major Eigen copy of an xtensor matrix (a reduced design X̃ = X·B).
RowMatrix ToRowMatrix(const Matrix& m);

// True when the predictor is one intercept (one parameter, every design
// value 1): one dispersion per feature, what the Cox–Reid estimate and the
// shrinkage of the DE layer are of.
bool IsInterceptOnly(const LinearPredictor& predictor);

// Unit deviance of one count, stable for φ → 0 (log1p forms) and y = 0.
double UnitDeviance(double y, double mu, double overdispersion);

// The design of a fit and what every feature shares: X̃ (n × q), the
// least-squares map (X̃ᵀX̃)⁻¹X̃ᵀ of the starting values, and each row's outer
// product x̃_i x̃_iᵀ packed (upper triangle, row by row), so that a weighted
// Gram matrix Σ w_i x̃_i x̃_iᵀ is one pass of multiply-adds.
struct GlmDesign {
  explicit GlmDesign(RowMatrix reduced_design);
  RowMatrix x;              // n × q
  Eigen::MatrixXd ls_map;   // q × n
  std::vector<double> outer;  // n × packed_size()
  Index n() const { return x.rows(); }
  Index q() const { return x.cols(); }
  Index packed_size() const { return q() * (q() + 1) / 2; }
  // out (packed) = Σ_i w_i x̃_i x̃_iᵀ.
  void WeightedGram(const double* w, double* out) const;
  // The packed upper triangle into a full symmetric q × q matrix.
  void Unpack(const double* packed, Eigen::MatrixXd* full) const;
};

struct FixedDispersionOptions {
  int max_iterations = 100;
  double tolerance = 1e-14;  // ≈ coefficients to 1e-7 standard errors
};

struct FixedDispersionOutcome {
  double deviance = 0.0;
  int iterations = 0;
  bool converged = false;
  bool at_bound = false;  // a diverging direction (a group of zeros)
  bool failed = false;    // non-finite deviance or no descent found
};

// Workspace for one thread; Fit never allocates.
class FixedDispersionGlm {
 public:
  explicit FixedDispersionGlm(const GlmDesign& design);

  // y, offset: n values; φ ≥ 0 (0: Poisson). theta (q) holds the start when
  // `warm_start`, else a least-squares start on log(y + ½) − o is used; it
  // returns the estimate.
  FixedDispersionOutcome Fit(const double* y, const double* offset, double overdispersion, double* theta,
                             bool warm_start, const FixedDispersionOptions& options = {});

  // After Fit: the fitted means (n) and the Fisher information X̃ᵀWX̃,
  // W_i = μ_i/(1 + φμ_i) (q × q).
  const Eigen::VectorXd& mu() const { return mu_; }
  const Eigen::MatrixXd& information() const { return information_; }
  // After Fit: false when the contrast c (q) loads on a diverging direction.
  bool Estimable(const Eigen::VectorXd& contrast) const;

  static constexpr double kNullEigenvalue = 1e-8;
  static constexpr double kNullLoading = 1e-6;

 private:
  double Deviance(const double* y, const double* offset, double overdispersion, const Eigen::VectorXd& theta,
                  Eigen::VectorXd* mu) const;

  // step_ = (damped_)⁻¹ score_: the small Cholesky, Eigen's pivoting LDLᵀ
  // when the matrix is numerically singular (a direction of zeros).
  bool SolveStep();

  const GlmDesign& design_;
  Eigen::VectorXd theta_, trial_, step_, score_, mu_, trial_mu_, z_, weight_;
  std::vector<double> packed_;
  Eigen::MatrixXd information_, damped_;
  SmallCholesky cholesky_;
  Eigen::LDLT<Eigen::MatrixXd> solver_;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen_;
  Eigen::MatrixXd null_vectors_;  // the first null_directions_ columns
  Index null_directions_ = 0;
};

}  // namespace nbglm::de

#endif  // NBGLM_SRC_DE_FIXED_DISPERSION_GLM_H_
