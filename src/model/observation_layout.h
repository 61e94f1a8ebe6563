// The observations of a model grouped by their design rows, computed once per
// model and shared read-only by every thread (docs/model.md §3–§4). Internal header.
//
// Observations with the same row of the reduced location design X̃ = X·B
// share the location predictor up to their offset: η_i = o_i + α_g with
// α_g = x̃_gᵀθ_loc (eq. (1)); observations with the same row of Z̃ = Z·B_s
// share ζ_i = β_h = z̃_hᵀθ_scale (eq. (2)), hence the NB size r_h = e^{β_h}.
// Real designs are mostly factors, so there are few groups:
//   location groups g — distinct rows of X̃ (G of them),
//   scale groups h    — distinct rows of Z̃ (H of them),
//   cells (h, g)      — observations in scale group h and location group g.
// The fitting code then needs one exp per location group (μ_i = s_i·e^{α_g})
// and can tabulate the special functions of eqs. (4), (6), (7) once per
// distinct count within a scale group (NbCountTerms). A design with a numeric
// covariate simply has more groups (up to one per observation); nothing else
// changes.
//
// Observations are stored in "positions": sorted by (scale group, location
// group, offset, original index), so every cell and every scale group is a
// contiguous range of positions, and within a cell μ_i = s_i·e^{α_g} grows
// with the position (the fitting code finds the observations with μ_i < r as
// a prefix). Groups are numbered in order of first appearance.
#ifndef NBGLM_SRC_MODEL_OBSERVATION_LAYOUT_H_
#define NBGLM_SRC_MODEL_OBSERVATION_LAYOUT_H_

#include <vector>

#include <Eigen/Dense>

#include "eigen_view.h"
#include "nbglm/model.h"
#include "nbglm/types.h"

namespace nbglm {

class ObservationLayout {
 public:
  struct Cell {
    Index location_group;
    Index scale_group;
    Index begin;  // positions [begin, end)
    Index end;
  };

  // X̃: n × q and Z̃: n × q_s, row-major (either may be null when its q is 0:
  // then every observation is in the one group with an empty row, and the
  // predictor is 0 besides the offset). `offset`: n log size factors o_i, or
  // null for none. Throws InputError on negative sizes or a missing array.
  ObservationLayout(Index n, Index q, Index q_s, const double* location_design, const double* scale_design,
                    const double* offset);
  // The model's reduced designs; `offset` empty or of length n.
  ObservationLayout(const NbGlmModel& model, const std::vector<double>& offset);

  Index num_observations() const { return n_; }
  Index num_location() const { return q_; }
  Index num_scale() const { return q_s_; }

  Index num_location_groups() const { return location_rows_.rows(); }
  Index num_scale_groups() const { return scale_rows_.rows(); }
  // Distinct rows: G × q and H × q_s.
  const RowMajorMatrixXd& location_rows() const { return location_rows_; }
  const RowMajorMatrixXd& scale_rows() const { return scale_rows_; }
  // Observations per group.
  const Eigen::VectorXd& location_group_sizes() const { return location_sizes_; }
  const Eigen::VectorXd& scale_group_sizes() const { return scale_sizes_; }
  // Group of each observation, in original order.
  const std::vector<Index>& location_group_of() const { return location_group_of_; }
  const std::vector<Index>& scale_group_of() const { return scale_group_of_; }

  // Cells sorted by (scale group, location group); the cells of scale group
  // h are cells()[scale_cell_begin()[h] … scale_cell_begin()[h + 1]).
  const std::vector<Cell>& cells() const { return cells_; }
  const std::vector<Index>& scale_cell_begin() const { return scale_cell_begin_; }

  // position → original observation index, and its inverse.
  const std::vector<Index>& observation_at() const { return observation_at_; }
  const std::vector<Index>& position_of() const { return position_of_; }
  // Offset o_i and size factor s_i = e^{o_i} at each position.
  const std::vector<double>& offset_at() const { return offset_at_; }
  const std::vector<double>& size_factor_at() const { return size_factor_at_; }
  // Per location group: Σ s_i, summed in position order (the initial means
  // Σy/Σs and the Poisson bound need it for every feature).
  const std::vector<double>& location_group_size_factor_sums() const { return location_size_factor_sums_; }
  // Per location group: min_i o_i (for the bound check min_i η_i without a
  // pass over the observations).
  const std::vector<double>& min_offset() const { return min_offset_; }
  // True when every offset is 0 (no size factors).
  bool no_offsets() const { return no_offsets_; }
  // A θ_scale direction d with z̃_hᵀd = 1 for every scale group h (moving θ
  // along it adds the same constant to every ζ_i), or empty when the scale
  // design does not span the constant.
  const Eigen::VectorXd& scale_constant_direction() const { return scale_constant_direction_; }
  // Z̃_G⁻¹ (q_s × H) when the scale groups identify θ_scale one to one: as
  // many groups as scale parameters and their rows Z̃_G invertible (a factor
  // scale model, e.g. ~ condition). Then ζ_h = β_h can move group by group,
  // and each group's size can head to its own Poisson limit
  // (src/estimator/scale_limit.h). Empty otherwise.
  const Eigen::MatrixXd& scale_group_inverse() const { return scale_group_inverse_; }
  // The same observations with the scale design replaced by the indicators
  // of the scale groups (n × H): its scale parameters are the groups' log
  // sizes β_h, in this layout's group order, so positions, groups and
  // summation order are this layout's. With scale_group_inverse(), θ_scale =
  // Z̃_G⁻¹β maps a fit in these coordinates back to the model's.
  ObservationLayout InScaleGroupCoordinates() const;
  // The same observations and location design without a scale predictor
  // (q_s = 0), for a noise model that has none (the Poisson).
  ObservationLayout WithoutScale() const;

  // Products of design entries, for the Hessian's weighted sums over groups
  // (FeatureProblem::Evaluate) as contiguous, vectorisable loops:
  //   location_products: per location group g, x̃_gj·x̃_gk for j ≤ k (row by
  //     row of the upper triangle: q(q+1)/2 per group);
  //   scale_products: per scale group h, z̃_hj·z̃_hk for j ≤ k;
  //   cross_products: per cell c = (h, g), x̃_gj·z̃_hk (q × q_s, row-major).
  // O((G + H + cells)·q²) doubles: small beside the observations.
  const std::vector<double>& location_products() const { return location_products_; }
  const std::vector<double>& scale_products() const { return scale_products_; }
  const std::vector<double>& cross_products() const { return cross_products_; }

 private:
  // This layout's location design and offsets with another scale design
  // (n × q_s row-major, null when q_s = 0).
  ObservationLayout WithScaleDesign(Index q_s, const double* scale_design) const;

  Index n_ = 0;
  Index q_ = 0;
  Index q_s_ = 0;
  RowMajorMatrixXd location_rows_, scale_rows_;
  Eigen::VectorXd location_sizes_, scale_sizes_;
  std::vector<Index> location_group_of_, scale_group_of_;
  std::vector<Cell> cells_;
  std::vector<Index> scale_cell_begin_;
  std::vector<Index> observation_at_, position_of_;
  std::vector<double> offset_at_, size_factor_at_, min_offset_, location_size_factor_sums_;
  bool no_offsets_ = true;
  Eigen::VectorXd scale_constant_direction_;
  Eigen::MatrixXd scale_group_inverse_;
  std::vector<double> location_products_, scale_products_, cross_products_;
};

}  // namespace nbglm

#endif  // NBGLM_SRC_MODEL_OBSERVATION_LAYOUT_H_
