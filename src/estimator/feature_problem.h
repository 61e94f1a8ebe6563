// One feature's objective in the reduced parameters, for the estimators
// (docs/model.md §4). Internal header.
//
// Parameters θ = (θ_loc (q), θ_scale (q_s)), with reduced designs
// X̃ = X·B (n × q) and Z̃ = Z_s·B_s (n × q_s) (docs/model.md §2):
//   η = offset + X̃·θ_loc   (eq. (1)),      ζ = Z̃·θ_scale   (eq. (2)),
// objective ℓ(θ) = Σ_i ℓ_i(η_i, ζ_i), eq. (4). Chain rule (docs/model.md §1):
//   ∇_loc = X̃ᵀ·∂ℓ/∂η,   ∇_scale = Z̃ᵀ·∂ℓ/∂ζ,
//   H_loc,loc = X̃ᵀ diag(∂²ℓ/∂η²) X̃,   H_loc,scale = X̃ᵀ diag(∂²ℓ/∂η∂ζ) Z̃,
//   H_scale,scale = Z̃ᵀ diag(∂²ℓ/∂ζ²) Z̃,
// and the IRLS (Fisher-scoring) location information X̃ᵀ diag(E[−∂²ℓ/∂η²]) X̃.
//
// How it is fast (issue 5; docs/model.md "Evaluation"): observations are
// grouped by design rows (ObservationLayout), so an evaluation computes
// e^{α_g} once per location group (μ_i = s_i·e^{α_g}), the NB size and its
// special functions once per scale group, and the count-only special
// functions (NbCountTerms: Stirling remainders, ψ and ψ₁ differences) once per
// distinct count (below 4096) of a scale group — counts are small integers,
// repeated many times. What remains per observation is NbObservationTerms: a few divisions
// and, for a zero or small count, a short series instead of any logarithm
// while μ < r (two observations at a time in SIMD registers). The chain
// rule runs on per-cell sums. Every evaluation computes ℓ and all derivatives
// together and remembers θ: asking again at the same θ (as the estimators do
// after accepting a trial point) costs nothing.
//
// Usage: one FeatureProblem per thread, constructed once from the layout; it
// owns every work buffer, so SetFeature/evaluations never allocate. Not
// thread-safe: each thread has its own. Results depend only on the inputs
// (fixed summation order), hence are identical whatever thread computes them.
//
// Conventions: Hessians and information matrices are written as full
// symmetric row-major matrices (exactly symmetric); every output pointer may
// be null (that output is skipped); every method returns ℓ(θ) = Σ_i ℓ_i.
#ifndef NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_H_
#define NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_H_

#include <cstdint>
#include <vector>

#include "estimator/cell_kernels.h"
#include "estimator/feature_objective.h"
#include "model/observation_layout.h"
#include "nbglm/negative_binomial.h"
#include "noise/nb_kernels.h"
#include "nbglm/types.h"

namespace nbglm {

// The negative binomial's FeatureObjective (feature_objective.h).
class FeatureProblem final : public FeatureObjective {
 public:
  // Integer counts up to this are "small": their count terms are exact
  // finite sums (see feature_problem.cc) and they share the SIMD kernel of
  // the zeros (cell_kernels.h).
  static constexpr int kMaxSmallCount = cell_kernels::kMaxSmallCount;
  // Longest power series of the zeros' power-sum route (cell_kernels.h).
  static constexpr int kPowerTerms = cell_kernels::kPowerTerms;

  // `layout` must outlive this object.
  explicit FeatureProblem(const ObservationLayout& layout);

  FeatureProblem(const FeatureProblem&) = delete;
  FeatureProblem& operator=(const FeatureProblem&) = delete;

  // Points the problem at one feature: n counts y ≥ 0 in the original
  // observation order (copied). Throws InputError on null y when n > 0.
  void SetFeature(const double* y) override;

  const ObservationLayout& layout() const override { return layout_; }

  // ℓ(θ); theta has num_parameters() entries (θ_loc then θ_scale).
  double LogLikelihood(const double* theta) override;

  // ℓ(θ), gradient (num_parameters()) and observed Hessian of ℓ
  // (num_parameters()², row-major), both nullable.
  double Evaluate(const double* theta, double* gradient, double* hessian) override;

  // For IRLS / Fisher scoring of the location block at θ (scale held at
  // θ_scale): score = ∇_loc ℓ (q) and information = X̃ᵀ diag(E[−∂²ℓ/∂η²]) X̃
  // (q × q, positive semi-definite), both nullable.
  double EvaluateLocationFisher(const double* theta, double* score, double* information) override;

  // For the scale step of the alternating estimator, location held at θ_loc:
  // gradient = ∇_scale ℓ (q_s) and observed Hessian H_scale,scale
  // (q_s × q_s), both nullable.
  double EvaluateScale(const double* theta, double* gradient, double* hessian) override;

  // ∂ℓ/∂β_h at θ for every scale group h (num_scale_groups() values): how ℓ
  // changes when one group's log size moves alone (src/estimator/scale_limit.h).
  double ScaleGroupGradient(const double* theta, double* group_gradient) override;

  // min η_i, min ζ_i, max ζ_i at θ, in O(groups) (no pass over observations).
  // Zero observations give (+inf, +inf, −inf).
  PredictorExtremes Extremes(const double* theta) const override;

  // An upper bound of the Poisson log-likelihood Σ[y·log μ − μ − log y!]
  // over every location (the r → ∞ limit of ℓ), by Lagrange duality: for any
  // v ≥ 0 with X̃ᵀv = X̃ᵀy (Fenchel: s·e^t ≥ v·t − v·log(v/s) + v),
  //   max ≤ Σ_i y_i·o_i − Σ_i log y_i! + Σ_i v_i·(log(v_i/s_i) − 1).
  // v is taken near the Poisson maximum: the means at θ_loc scaled per
  // location group by c_g = 1 + x̃_gᵀδ, δ the weighted projection that makes
  // X̃ᵀv = X̃ᵀy; when some c_g < 0, c_g = Y_g/M_g instead (the bound of a
  // saturated model, Σ_g [Y_g·log(Y_g/S_g) − Y_g] + …, attained when the
  // design is saturated).
  double PoissonLogLikelihoodBound(const double* theta);

  // η and ζ (n each, original observation order) at θ, e.g. for tests.
  void LinearPredictors(const double* theta, double* eta, double* zeta) const;

 private:
  // Evaluates ℓ and the per-group sums of all pointwise derivatives at θ,
  // unless θ is the point of the last evaluation.
  void EvaluateSums(const double* theta);
  // ℓ for the current feature when there are no observations, etc.
  void CheckFeatureSet() const;

  const ObservationLayout& layout_;
  bool has_feature_ = false;

  // The current feature, in position order (see ObservationLayout).
  std::vector<double> y_;              // counts at each position
  std::vector<std::int32_t> entry_of_;  // table entry of each position (−1: none)
  std::vector<Index> nonzero_positions_;  // positions of the non-zero counts, ascending
  // Each cell's observations in three lists, in position order (so by
  // increasing size factor): zero counts, small counts (integers 1 …
  // kMaxSmallCount) and other counts. Cell c's zeros are at [zero_begin_[c],
  // zero_begin_[c + 1]) of zero_*, and so on.
  std::vector<Index> zero_begin_, small_begin_, other_begin_;
  std::vector<double> zero_size_factor_, zero_offset_;
  std::vector<double> small_y_, small_size_factor_, small_offset_;
  std::vector<double> other_y_, other_size_factor_, other_offset_;
  std::vector<std::int32_t> other_entry_;
  // Zeros by power sums (FeatureProblem.cc, "Zeros by power sums"): for the
  // cells with a slot (cell_power_slot_, −1: none; cells of at least 16
  // observations whose powers are finite) Σ s^k over all its observations
  // (k = 1 … kPowerTerms, summed in long double) and, for the current
  // feature, over its zeros (all minus the non-zero ones); usable when the
  // zeros are at least half of the cell.
  std::vector<Index> cell_power_slot_;
  std::vector<double> cell_power_all_;
  std::vector<double> zero_power_;
  std::vector<char> zero_power_usable_;
  // Small counts: the largest per scale group, and at the current θ the
  // exact count terms A, c1, c3 of y = 0 … that largest (FeatureProblem.cc),
  // kMaxSmallCount + 1 values per scale group.
  std::vector<int> max_small_count_;
  std::vector<double> small_a_, small_c1_, small_c3_;
  // Other counts: the distinct values (below 4096; larger ones one entry per
  // observation) of each scale group h at entries
  // [table_begin_[h], table_begin_[h + 1]), with their NbCountTerms.
  std::vector<Index> table_begin_;
  std::vector<double> entry_y_, entry_log_y_, entry_stirling_y_;
  std::vector<NbCountTerms> entry_terms_;  // at the current θ
  // The size r each scale group's count tables (small and other) were last
  // computed for (NaN: not yet): unchanged r, no recomputation.
  std::vector<double> table_size_;
  // Building the table: direct slots for integer counts below a limit
  // (one entry per distinct value), an entry per observation for the rest
  // (no allocation after construction).
  std::vector<std::int32_t> slot_entry_;
  std::vector<std::uint32_t> slot_stamp_;
  std::uint32_t stamp_ = 0;

  // Per location group, for PoissonLogLikelihoodBound: Σy, Σs; and the
  // constant Σ y·o − Σ log y! (computed at SetFeature).
  std::vector<double> group_sum_y_, bound_mean_;
  double poisson_constant_ = 0.0;
  Eigen::MatrixXd bound_matrix_;
  Eigen::VectorXd bound_vector_;
  Eigen::LDLT<Eigen::MatrixXd> bound_solver_;

  // Cache of the last evaluation.
  bool cache_valid_ = false;
  std::vector<double> cached_theta_;
  double loglik_ = 0.0;
  // Per location group g: Σ ∂ℓ/∂η, Σ ∂²ℓ/∂η², Σ E[−∂²ℓ/∂η²]; per cell:
  // Σ ∂²ℓ/∂η∂ζ; per scale group: Σ ∂ℓ/∂ζ, Σ ∂²ℓ/∂ζ².
  std::vector<double> alpha_, beta_;
  std::vector<double> group_d_eta_, group_d2_eta_, group_fisher_;
  std::vector<double> cell_d2_eta_zeta_;
  std::vector<double> scale_d_zeta_, scale_d2_zeta_;
  // The packed Hessian blocks of Evaluate before they are mirrored.
  std::vector<double> hessian_scratch_;
};

}  // namespace nbglm

#endif  // NBGLM_SRC_ESTIMATOR_FEATURE_PROBLEM_H_
