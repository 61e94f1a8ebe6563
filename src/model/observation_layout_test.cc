// Observations grouped by design rows (docs/model.md §3–§4): groups in order
// of first appearance, positions sorted by (scale group, location group,
// offset, index), cells, per-group sums and the Hessian's design products,
// all checked against a layout worked out by hand.
#include "model/observation_layout.h"

#include <array>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/error.h"

namespace nbglm {
namespace {

using Cell = ObservationLayout::Cell;

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

// Cells as (location group, scale group, begin, end).
std::vector<std::array<Index, 4>> Cells(const ObservationLayout& layout) {
  std::vector<std::array<Index, 4>> out;
  for (const Cell& c : layout.cells()) out.push_back({c.location_group, c.scale_group, c.begin, c.end});
  return out;
}
using Cells4 = std::vector<std::array<Index, 4>>;

// Five observations: X̃ rows (1,0) / (1,1), Z̃ rows (1) / (2), offsets o.
//   obs:        0      1     2     3     4
//   X̃ group:   g0     g1    g0    g1    g0
//   Z̃ group:   h0     h1    h1    h0    h0
//   offset:    0.5    0    −1    0.2   0.1
const double kX[] = {1, 0, 1, 1, 1, 0, 1, 1, 1, 0};
const double kZ[] = {1, 2, 2, 1, 1};
const double kOffset[] = {0.5, 0.0, -1.0, 0.2, 0.1};

TEST(ObservationLayoutTest, GroupsInOrderOfFirstAppearance) {
  const ObservationLayout layout(5, 2, 1, kX, kZ, kOffset);
  EXPECT_EQ(layout.num_observations(), 5);
  EXPECT_EQ(layout.num_location(), 2);
  EXPECT_EQ(layout.num_scale(), 1);
  ASSERT_EQ(layout.num_location_groups(), 2);
  ASSERT_EQ(layout.num_scale_groups(), 2);
  EXPECT_EQ(layout.location_rows(), (RowMajorMatrixXd(2, 2) << 1, 0, 1, 1).finished());
  EXPECT_EQ(layout.scale_rows(), (RowMajorMatrixXd(2, 1) << 1, 2).finished());
  EXPECT_EQ(layout.location_group_of(), (std::vector<Index>{0, 1, 0, 1, 0}));
  EXPECT_EQ(layout.scale_group_of(), (std::vector<Index>{0, 1, 1, 0, 0}));
  EXPECT_EQ(layout.location_group_sizes(), Eigen::Vector2d(3, 2));
  EXPECT_EQ(layout.scale_group_sizes(), Eigen::Vector2d(3, 2));
}

TEST(ObservationLayoutTest, PositionsSortByScaleLocationAndOffset) {
  const ObservationLayout layout(5, 2, 1, kX, kZ, kOffset);
  // (h0, g0): obs 4 (0.1), obs 0 (0.5); (h0, g1): obs 3; (h1, g0): obs 2; (h1, g1): obs 1.
  EXPECT_EQ(layout.observation_at(), (std::vector<Index>{4, 0, 3, 2, 1}));
  EXPECT_EQ(layout.position_of(), (std::vector<Index>{1, 4, 3, 2, 0}));
  EXPECT_EQ(Cells(layout), (Cells4{{0, 0, 0, 2}, {1, 0, 2, 3}, {0, 1, 3, 4}, {1, 1, 4, 5}}));
  EXPECT_EQ(layout.scale_cell_begin(), (std::vector<Index>{0, 2, 4}));
  EXPECT_EQ(layout.offset_at(), (std::vector<double>{0.1, 0.5, 0.2, -1.0, 0.0}));
  EXPECT_EQ(layout.size_factor_at(),
            (std::vector<double>{std::exp(0.1), std::exp(0.5), std::exp(0.2), std::exp(-1.0), 1.0}));
  EXPECT_FALSE(layout.no_offsets());
  EXPECT_EQ(layout.min_offset(), (std::vector<double>{-1.0, 0.0}));
  // Σ s_i per location group, in position order: g0 at positions 0, 1, 3; g1 at 2, 4.
  EXPECT_EQ(layout.location_group_size_factor_sums(),
            (std::vector<double>{std::exp(0.1) + std::exp(0.5) + std::exp(-1.0), std::exp(0.2) + 1.0}));
}

TEST(ObservationLayoutTest, DesignProductsPerGroupAndCell) {
  const ObservationLayout layout(5, 2, 1, kX, kZ, kOffset);
  // Upper triangles (j ≤ k): g0 = (1,0) → 1, 0, 0; g1 = (1,1) → 1, 1, 1.
  EXPECT_EQ(layout.location_products(), (std::vector<double>{1, 0, 0, 1, 1, 1}));
  EXPECT_EQ(layout.scale_products(), (std::vector<double>{1, 4}));
  // Per cell x̃_g ⊗ z̃_h: (g0,h0) 1,0; (g1,h0) 1,1; (g0,h1) 2,0; (g1,h1) 2,2.
  EXPECT_EQ(layout.cross_products(), (std::vector<double>{1, 0, 1, 1, 2, 0, 2, 2}));
  // Z̃ rows 1 and 2 cannot both give z̃ᵀd = 1.
  EXPECT_EQ(layout.scale_constant_direction().size(), 0);
}

TEST(ObservationLayoutTest, ScaleConstantDirection) {
  // Z̃ = intercept + covariate: d = (1, 0) adds 1 to every ζ.
  const double x[] = {1, 1, 1};
  const double z[] = {1, 0, 1, 3, 1, 0};
  const ObservationLayout layout(3, 1, 2, x, z, nullptr);
  ASSERT_EQ(layout.scale_constant_direction().size(), 2);
  EXPECT_NEAR(layout.scale_constant_direction()(0), 1.0, 1e-15);
  EXPECT_NEAR(layout.scale_constant_direction()(1), 0.0, 1e-15);
  // A scale design without the constant in its span (one column of 2s spans it: d = 0.5).
  const double twos[] = {2, 2, 2};
  const ObservationLayout halves(3, 1, 1, x, twos, nullptr);
  ASSERT_EQ(halves.scale_constant_direction().size(), 1);
  EXPECT_NEAR(halves.scale_constant_direction()(0), 0.5, 1e-15);
  const double slope[] = {0, 1, 2};
  EXPECT_EQ(ObservationLayout(3, 1, 1, x, slope, nullptr).scale_constant_direction().size(), 0);
}

TEST(ObservationLayoutTest, NoOffsetsAndTiesKeepTheOriginalOrder) {
  const ObservationLayout none(5, 2, 1, kX, kZ, nullptr);
  EXPECT_TRUE(none.no_offsets());
  EXPECT_EQ(none.observation_at(), (std::vector<Index>{0, 4, 3, 2, 1}));
  EXPECT_EQ(none.size_factor_at(), std::vector<double>(5, 1.0));
  EXPECT_EQ(none.min_offset(), (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(none.location_group_size_factor_sums(), (std::vector<double>{3.0, 2.0}));
  // Offsets given but all zero are no offsets either.
  const double zeros[] = {0, 0, 0, 0, 0};
  EXPECT_TRUE(ObservationLayout(5, 2, 1, kX, kZ, zeros).no_offsets());
  // Equal offsets keep the index order (a stable sort).
  const double tied[] = {0.3, 0.3, 0.3, 0.3, 0.3};
  EXPECT_EQ(ObservationLayout(5, 2, 1, kX, kZ, tied).observation_at(), (std::vector<Index>{0, 4, 3, 2, 1}));
}

TEST(ObservationLayoutTest, EmptyDesignsAndNoObservations) {
  // q = q_s = 0: one group with an empty row; null designs are allowed.
  const double offset[] = {0.0, -0.5, 0.25};
  const ObservationLayout empty_rows(3, 0, 0, nullptr, nullptr, offset);
  EXPECT_EQ(empty_rows.num_location_groups(), 1);
  EXPECT_EQ(empty_rows.num_scale_groups(), 1);
  EXPECT_EQ(empty_rows.location_rows().cols(), 0);
  EXPECT_EQ(Cells(empty_rows), (Cells4{{0, 0, 0, 3}}));
  EXPECT_EQ(empty_rows.observation_at(), (std::vector<Index>{1, 0, 2}));
  EXPECT_EQ(empty_rows.min_offset(), (std::vector<double>{-0.5}));
  EXPECT_TRUE(empty_rows.location_products().empty());
  EXPECT_TRUE(empty_rows.cross_products().empty());
  EXPECT_EQ(empty_rows.scale_constant_direction().size(), 0);
  // One observation.
  const double one_x[] = {2.0};
  const ObservationLayout one(1, 1, 0, one_x, nullptr, nullptr);
  EXPECT_EQ(Cells(one), (Cells4{{0, 0, 0, 1}}));
  EXPECT_EQ(one.location_products(), (std::vector<double>{4.0}));
  // No observations: no groups, no cells; designs may be null.
  const ObservationLayout nothing(0, 2, 1, nullptr, nullptr, nullptr);
  EXPECT_EQ(nothing.num_location_groups(), 0);
  EXPECT_EQ(nothing.num_scale_groups(), 0);
  EXPECT_TRUE(nothing.cells().empty());
  EXPECT_EQ(nothing.scale_cell_begin(), (std::vector<Index>{0}));
  EXPECT_TRUE(nothing.location_group_size_factor_sums().empty());
}

TEST(ObservationLayoutTest, RefusesBadSizesAndMissingArrays) {
  const double x[] = {1, 1};
  EXPECT_EQ(Message([&] { ObservationLayout(-1, 1, 1, x, x, nullptr); }), "num_observations: -1: must be >= 0");
  EXPECT_EQ(Message([&] { ObservationLayout(2, -2, 1, x, x, nullptr); }), "num_location: -2: must be >= 0");
  EXPECT_EQ(Message([&] { ObservationLayout(2, 1, -3, x, x, nullptr); }), "num_scale: -3: must be >= 0");
  EXPECT_EQ(Message([&] { ObservationLayout(2, 1, 1, nullptr, x, nullptr); }),
            "location_design: null: required when num_location > 0");
  EXPECT_EQ(Message([&] { ObservationLayout(2, 1, 1, x, nullptr, nullptr); }),
            "scale_design: null: required when num_scale > 0");
}

TEST(ObservationLayoutTest, FromAModelMatchesTheRawArrays) {
  // Location: intercept + group (a sum-to-zero basis reduces 3 columns to 2).
  const std::vector<std::string> names = {"(Intercept)", "a", "b"};
  const std::vector<std::string> observations = {"s0", "s1", "s2", "s3", "s4"};
  LinearPredictor location = MakeLinearPredictor(
      MakeDesign(Matrix{{1, 1, 0}, {1, 0, 1}, {1, 1, 0}, {1, 0, 1}, {1, 1, 0}}, names, observations),
      ConstraintBasis::FromMatrix(Matrix{{1, 0}, {0, 1}, {0, -1}}, names, "constraints"), "location");
  LinearPredictor scale = MakeLinearPredictor(MakeDesign(Matrix{{1}, {2}, {2}, {1}, {1}}, {"z"}, observations),
                                              ConstraintBasis::Identity({"z"}), "scale");
  const NbGlmModel model = MakeModel(std::move(location), std::move(scale));
  const std::vector<double> offset(kOffset, kOffset + 5);
  const ObservationLayout from_model(model, offset);
  // X̃ = X·B has rows (1, 1) and (1, −1), in the hand-worked pattern above.
  EXPECT_EQ(from_model.location_rows(), (RowMajorMatrixXd(2, 2) << 1, 1, 1, -1).finished());
  EXPECT_EQ(from_model.observation_at(), (std::vector<Index>{4, 0, 3, 2, 1}));
  EXPECT_EQ(from_model.offset_at(), (std::vector<double>{0.1, 0.5, 0.2, -1.0, 0.0}));
  EXPECT_TRUE(ObservationLayout(model, {}).no_offsets());
  EXPECT_EQ(Message([&] { ObservationLayout(model, {0.0, 1.0}); }), "offset: 2 values: expected 5 (one per observation)");
}

}  // namespace
}  // namespace nbglm
