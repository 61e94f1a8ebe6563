// Observations grouped by design rows (see observation_layout.h).
#include "model/observation_layout.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "nbglm/error.h"

namespace nbglm {
namespace {

// Groups the n rows (length p, row-major) by exact equality. Returns the
// distinct rows in order of first appearance; fills group_of and sizes.
RowMajorMatrixXd GroupRows(Index n, Index p, const double* rows, std::vector<Index>* group_of,
                           Eigen::VectorXd* sizes) {
  group_of->assign(static_cast<std::size_t>(n), 0);
  std::vector<Index> first_rows;
  if (p == 0) {
    // One group with an empty row (when there are observations at all).
    if (n > 0) first_rows.push_back(0);
  } else {
    std::map<std::vector<double>, Index> index;
    std::vector<double> key(static_cast<std::size_t>(p));
    for (Index i = 0; i < n; ++i) {
      std::copy(rows + i * p, rows + (i + 1) * p, key.begin());
      const auto [it, inserted] = index.emplace(key, static_cast<Index>(first_rows.size()));
      if (inserted) first_rows.push_back(i);
      (*group_of)[static_cast<std::size_t>(i)] = it->second;
    }
  }
  RowMajorMatrixXd distinct(static_cast<Eigen::Index>(first_rows.size()), p);
  for (std::size_t g = 0; g < first_rows.size(); ++g) {
    for (Index j = 0; j < p; ++j) distinct(static_cast<Eigen::Index>(g), j) = rows[first_rows[g] * p + j];
  }
  *sizes = Eigen::VectorXd::Zero(distinct.rows());
  for (Index g : *group_of) (*sizes)(g) += 1.0;
  return distinct;
}

// The offsets' data, after checking their length (empty: none).
const double* CheckedOffset(const NbGlmModel& model, const std::vector<double>& offset) {
  if (offset.empty()) return nullptr;
  if (static_cast<Index>(offset.size()) != model.num_observations()) {
    throw InputError("offset", std::to_string(offset.size()) + " values",
                     "expected " + std::to_string(model.num_observations()) + " (one per observation)");
  }
  return offset.data();
}

}  // namespace

ObservationLayout::ObservationLayout(Index n, Index q, Index q_s, const double* location_design,
                                     const double* scale_design, const double* offset)
    : n_(n), q_(q), q_s_(q_s) {
  if (n < 0) throw InputError("num_observations", std::to_string(n), "must be >= 0");
  if (q < 0) throw InputError("num_location", std::to_string(q), "must be >= 0");
  if (q_s < 0) throw InputError("num_scale", std::to_string(q_s), "must be >= 0");
  if (n > 0 && q > 0 && location_design == nullptr) {
    throw InputError("location_design", "null", "required when num_location > 0");
  }
  if (n > 0 && q_s > 0 && scale_design == nullptr) {
    throw InputError("scale_design", "null", "required when num_scale > 0");
  }
  location_rows_ = GroupRows(n, q, location_design, &location_group_of_, &location_sizes_);
  scale_rows_ = GroupRows(n, q_s, scale_design, &scale_group_of_, &scale_sizes_);

  // Positions: observations sorted by (scale group, location group, index).
  observation_at_.resize(static_cast<std::size_t>(n));
  std::iota(observation_at_.begin(), observation_at_.end(), Index{0});
  std::stable_sort(observation_at_.begin(), observation_at_.end(), [this, offset](Index a, Index b) {
    const auto sa = static_cast<std::size_t>(a);
    const auto sb = static_cast<std::size_t>(b);
    if (scale_group_of_[sa] != scale_group_of_[sb]) return scale_group_of_[sa] < scale_group_of_[sb];
    if (location_group_of_[sa] != location_group_of_[sb]) return location_group_of_[sa] < location_group_of_[sb];
    return offset != nullptr && offset[a] < offset[b];
  });
  position_of_.resize(static_cast<std::size_t>(n));
  offset_at_.resize(static_cast<std::size_t>(n));
  size_factor_at_.resize(static_cast<std::size_t>(n));
  min_offset_.assign(static_cast<std::size_t>(num_location_groups()), 0.0);
  std::vector<bool> seen(static_cast<std::size_t>(num_location_groups()), false);
  for (Index pos = 0; pos < n; ++pos) {
    const Index i = observation_at_[static_cast<std::size_t>(pos)];
    position_of_[static_cast<std::size_t>(i)] = pos;
    const double o = offset != nullptr ? offset[i] : 0.0;
    if (o != 0.0) no_offsets_ = false;
    offset_at_[static_cast<std::size_t>(pos)] = o;
    size_factor_at_[static_cast<std::size_t>(pos)] = std::exp(o);
    const auto g = static_cast<std::size_t>(location_group_of_[static_cast<std::size_t>(i)]);
    min_offset_[g] = seen[g] ? std::min(min_offset_[g], o) : o;
    seen[g] = true;
  }

  // Cells: maximal runs of positions with one (scale group, location group).
  scale_cell_begin_.assign(static_cast<std::size_t>(num_scale_groups()) + 1, 0);
  for (Index pos = 0; pos < n;) {
    const auto i = static_cast<std::size_t>(observation_at_[static_cast<std::size_t>(pos)]);
    Cell cell{location_group_of_[i], scale_group_of_[i], pos, pos};
    while (cell.end < n) {
      const auto j = static_cast<std::size_t>(observation_at_[static_cast<std::size_t>(cell.end)]);
      if (location_group_of_[j] != cell.location_group || scale_group_of_[j] != cell.scale_group) break;
      ++cell.end;
    }
    pos = cell.end;
    cells_.push_back(cell);
    ++scale_cell_begin_[static_cast<std::size_t>(cell.scale_group) + 1];
  }
  for (std::size_t h = 1; h < scale_cell_begin_.size(); ++h) scale_cell_begin_[h] += scale_cell_begin_[h - 1];

  if (q_s > 0 && scale_rows_.rows() > 0) {
    const Eigen::VectorXd ones = Eigen::VectorXd::Ones(scale_rows_.rows());
    const Eigen::MatrixXd rows = scale_rows_;
    Eigen::VectorXd direction = rows.colPivHouseholderQr().solve(ones);
    if (direction.allFinite() && (rows * direction - ones).cwiseAbs().maxCoeff() <= 1e-12) {
      scale_constant_direction_ = direction;
    }
    if (rows.rows() == q_s) {
      const Eigen::FullPivLU<Eigen::MatrixXd> lu(rows);
      if (lu.rank() == q_s) scale_group_inverse_ = lu.inverse();
    }
  }

  location_size_factor_sums_.assign(static_cast<std::size_t>(location_rows_.rows()), 0.0);
  for (const Cell& cell : cells_) {
    for (Index pos = cell.begin; pos < cell.end; ++pos) {
      location_size_factor_sums_[static_cast<std::size_t>(cell.location_group)] +=
          size_factor_at_[static_cast<std::size_t>(pos)];
    }
  }

  // The design products of the Hessian's sums (see the header).
  const auto pairs = [](Index k) { return static_cast<std::size_t>(k * (k + 1) / 2); };
  location_products_.reserve(static_cast<std::size_t>(location_rows_.rows()) * pairs(q));
  for (Index g = 0; g < location_rows_.rows(); ++g) {
    for (Index j = 0; j < q; ++j) {
      for (Index k = j; k < q; ++k) location_products_.push_back(location_rows_(g, j) * location_rows_(g, k));
    }
  }
  scale_products_.reserve(static_cast<std::size_t>(scale_rows_.rows()) * pairs(q_s));
  for (Index h = 0; h < scale_rows_.rows(); ++h) {
    for (Index j = 0; j < q_s; ++j) {
      for (Index k = j; k < q_s; ++k) scale_products_.push_back(scale_rows_(h, j) * scale_rows_(h, k));
    }
  }
  cross_products_.reserve(cells_.size() * static_cast<std::size_t>(q * q_s));
  for (const Cell& cell : cells_) {
    for (Index j = 0; j < q; ++j) {
      for (Index k = 0; k < q_s; ++k) {
        cross_products_.push_back(location_rows_(cell.location_group, j) * scale_rows_(cell.scale_group, k));
      }
    }
  }
}

ObservationLayout::ObservationLayout(const NbGlmModel& model, const std::vector<double>& offset)
    : ObservationLayout(model.num_observations(), model.location.num_reduced(), model.scale.num_reduced(),
                        model.location.reduced_design.data(), model.scale.reduced_design.data(),
                        CheckedOffset(model, offset)) {}

ObservationLayout ObservationLayout::WithScaleDesign(Index q_s, const double* scale_design) const {
  RowMajorMatrixXd location(n_, q_);
  std::vector<double> offset(static_cast<std::size_t>(n_));
  for (Index i = 0; i < n_; ++i) {
    const std::size_t k = static_cast<std::size_t>(i);
    location.row(i) = location_rows_.row(location_group_of_[k]);
    offset[k] = offset_at_[static_cast<std::size_t>(position_of_[k])];
  }
  return ObservationLayout(n_, q_, q_s, location.data(), scale_design, no_offsets_ ? nullptr : offset.data());
}

ObservationLayout ObservationLayout::InScaleGroupCoordinates() const {
  const Index groups = scale_rows_.rows();
  RowMajorMatrixXd scale = RowMajorMatrixXd::Zero(n_, groups);
  for (Index i = 0; i < n_; ++i) scale(i, scale_group_of_[static_cast<std::size_t>(i)]) = 1.0;
  return WithScaleDesign(groups, scale.data());
}

ObservationLayout ObservationLayout::WithoutScale() const { return WithScaleDesign(0, nullptr); }

}  // namespace nbglm
