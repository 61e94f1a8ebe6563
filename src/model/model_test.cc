// The model layer (docs/api.md, docs/model.md §2): a linear predictor's
// reduced design X·B, its basis/design agreement and rank checks, and the
// location/scale observation match of MakeModel.
#include "nbglm/model.h"

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nbglm/error.h"

namespace nbglm {
namespace {

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

const std::vector<std::string> kNames = {"(Intercept)", "a", "b"};

// X: an intercept and two group indicators (a + b = intercept: rank 2 of 3).
Design GroupDesign(std::vector<std::string> observations = {"s1", "s2", "s3", "s4"}) {
  return MakeDesign(Matrix{{1, 1, 0}, {1, 1, 0}, {1, 0, 1}, {1, 0, 1}}, kNames, std::move(observations));
}

// B for a + b = 0 with b eliminated: a = (θ0, θ1, −θ1).
ConstraintBasis SumToZeroBasis() {
  return ConstraintBasis::FromMatrix(Matrix{{1, 0}, {0, 1}, {0, -1}}, kNames, "constraints");
}

TEST(ModelTest, LinearPredictorReducesTheDesign) {
  const LinearPredictor predictor = MakeLinearPredictor(GroupDesign(), SumToZeroBasis(), "location");
  EXPECT_EQ(predictor.num_parameters(), 3);
  EXPECT_EQ(predictor.num_reduced(), 2);
  // X·B by hand: rows (1, 1) for group a, (1, −1) for group b.
  EXPECT_EQ(predictor.reduced_design, (Matrix{{1, 1}, {1, 1}, {1, -1}, {1, -1}}));
  EXPECT_EQ(predictor.design.observation_names, (std::vector<std::string>{"s1", "s2", "s3", "s4"}));
  EXPECT_EQ(predictor.constraints.reduced_names(), (std::vector<std::string>{"(Intercept)", "a"}));
  EXPECT_EQ(predictor.identifiability.parameters, 3);
  EXPECT_EQ(predictor.identifiability.rank, 2);
  EXPECT_EQ(predictor.identifiability.deficiency, 1);
  EXPECT_EQ(predictor.identifiability.reduced_parameters, 2);
  EXPECT_EQ(predictor.identifiability.constrained_deficiency, 0);
  EXPECT_TRUE(predictor.identifiability.unidentifiable.empty());
}

TEST(ModelTest, IdentityConstraintsKeepTheDesign) {
  const Design design = MakeDesign(Matrix{{1, 0.5}, {1, -2}}, {"(Intercept)", "x"});
  const LinearPredictor predictor =
      MakeLinearPredictor(design, ConstraintBasis::Identity(design.parameter_names), "scale");
  EXPECT_EQ(predictor.reduced_design, design.values);
  EXPECT_TRUE(predictor.constraints.is_identity());
  EXPECT_TRUE(predictor.identifiability.identifiable());
  // One observation, one parameter: the smallest model.
  const LinearPredictor smallest =
      MakeLinearPredictor(InterceptDesign({"only"}), ConstraintBasis::Identity({"(Intercept)"}), "location");
  EXPECT_EQ(smallest.reduced_design, (Matrix{{1.0}}));
  EXPECT_EQ(smallest.identifiability.rank, 1);
}

TEST(ModelTest, DeficientDesignIsRefusedNamingTheCombination) {
  const Design design = GroupDesign();
  EXPECT_EQ(Message([&] { MakeLinearPredictor(design, ConstraintBasis::Identity(kNames), "--loc-design"); }),
            "--loc-design: deficiency 1: the model is not identifiable (add constraints); unidentifiable: "
            "(Intercept) - a - b");
  // Without the requirement the report says so and the design is still reduced.
  const LinearPredictor predictor =
      MakeLinearPredictor(design, ConstraintBasis::Identity(kNames), "--loc-design", false);
  EXPECT_FALSE(predictor.identifiability.identifiable());
  EXPECT_EQ(predictor.identifiability.constrained_deficiency, 1);
  EXPECT_EQ(predictor.identifiability.unidentifiable, (std::vector<std::string>{"(Intercept) - a - b"}));
  EXPECT_EQ(predictor.reduced_design, design.values);
}

TEST(ModelTest, ConstraintsMustBeOverTheDesignsParametersInOrder) {
  // Too few parameters.
  EXPECT_EQ(Message([] {
              MakeLinearPredictor(GroupDesign(), ConstraintBasis::Identity({"(Intercept)", "a"}), "location");
            }),
            "location: constraints over 2 parameters: must be over the design's 3 parameters, in the same order");
  // The same parameters in another order.
  EXPECT_EQ(Message([] {
              MakeLinearPredictor(GroupDesign(), ConstraintBasis::Identity({"a", "(Intercept)", "b"}), "scale");
            }),
            "scale: constraints over 3 parameters: must be over the design's 3 parameters, in the same order");
}

TEST(ModelTest, InvalidDesignIsRefusedUnderTheCallersName) {
  Design design = GroupDesign();
  design.observation_names[3] = "s1";
  EXPECT_EQ(Message([&] { MakeLinearPredictor(design, SumToZeroBasis(), "--scale-design"); }),
            "--scale-design: 's1': observation names must be unique");
}

TEST(ModelTest, MakeModelNeedsTheSameObservationsInTheSameOrder) {
  const auto predictor = [](std::vector<std::string> names) {
    return MakeLinearPredictor(GroupDesign(std::move(names)), SumToZeroBasis(), "design");
  };
  const auto intercept = [](std::vector<std::string> names) {
    return MakeLinearPredictor(InterceptDesign(names), ConstraintBasis::Identity({"(Intercept)"}), "design");
  };
  const NbGlmModel model = MakeModel(predictor({"s1", "s2", "s3", "s4"}), intercept({"s1", "s2", "s3", "s4"}));
  EXPECT_EQ(model.num_observations(), 4);
  EXPECT_EQ(model.location.num_reduced(), 2);
  EXPECT_EQ(model.scale.num_reduced(), 1);
  EXPECT_EQ(model.scale.reduced_design, (Matrix{{1}, {1}, {1}, {1}}));

  EXPECT_EQ(Message([&] { MakeModel(predictor({"s1", "s2", "s3", "s4"}), intercept({"s1", "s2", "s3"})); }),
            "scale design: 3 observations: expected 4 (as in the location design)");
  // Same names, another order: the first difference is named (1-based).
  EXPECT_EQ(Message([&] { MakeModel(predictor({"s1", "s2", "s3", "s4"}), intercept({"s1", "s2", "s4", "s3"})); }),
            "scale design: observation 3 's4': expected 's3' (same observations, same order as the location design)");
}

}  // namespace
}  // namespace nbglm
