// FitCoxReid against edgeR's Cox–Reid dispersions (stored reference) and its
// contract: intercept-only scale, statuses, thread independence.
#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "de/cox_reid.h"
#include "de/de_reference.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"

namespace nbglm {
namespace {

NbGlmModel PasillaModel() {
  const SampleTable samples = ReadSampleTable(de::testing::SharedData("pasilla/samples.tsv"));
  FormulaOptions options;
  options.reference_levels["condition"] = "untreated";
  const Design design = BuildFormulaDesign(samples, "~ type + condition", options);
  return MakeModel(MakeLinearPredictor(design, ConstraintBasis::Identity(design.parameter_names), "location"),
                   MakeLinearPredictor(InterceptDesign(design.observation_names),
                                       ConstraintBasis::Identity({"(Intercept)"}), "scale"));
}

TEST(FitCoxReidTest, ReachesEdgeRsCoxReidDispersions) {
  // The fixed point of (location at r, Cox–Reid r at those means) satisfies
  // ∂APL/∂ζ = 0 at fixed means; edgeR maximises the profile APL (means
  // refitted at every r). Both maximise nearly the same function: within 2%
  // for most genes, and edgeR's APL at ours within 0.05 of its maximum.
  const NbGlmModel model = PasillaModel();
  const CountMatrix counts = ReadCounts(de::testing::SharedData("pasilla/counts.tsv"));
  const Vector sf = ReadSizeFactors(de::testing::DeData("size_factors_pasilla.tsv"), counts.observation_names());
  const FitResult fit = FitCoxReid(counts, model, sf, FitOptions());
  std::map<std::string, std::size_t> row;
  for (std::size_t f = 0; f < fit.feature_names.size(); ++f) row[fit.feature_names[f]] = f;
  const de::testing::ReferenceTable ref = de::testing::ReadReference(de::testing::DeData("cr_dispersion_pasilla.tsv"));
  int compared = 0, close = 0;
  for (std::size_t k = 0; k < ref.keys.size(); ++k) {
    const double expected = ref.columns.at("dispersion_cr_own")[k];
    if (std::isnan(expected)) continue;
    const std::size_t f = row.at(ref.keys[k]);
    const double phi = std::exp(-fit.scale_coef(f, 0));
    if (ref.columns.at("poisson_limit")[k] == 1.0) {
      EXPECT_LT(phi, 1e-3) << ref.keys[k];
      continue;
    }
    EXPECT_NE(fit.status[f], FeatureStatus::kMaxIterations) << ref.keys[k];
    ++compared;
    close += std::abs(phi / expected - 1.0) < 0.02 ? 1 : 0;
    EXPECT_LT(std::abs(std::log(phi / expected)), 0.25) << ref.keys[k] << " " << phi << " vs " << expected;
    EXPECT_GT(fit.scale_se(f, 0), 0.0);
  }
  EXPECT_GE(compared, 30);
  EXPECT_GE(close, 0.75 * compared);
  // No feature runs to max_iterations on pasilla; all-zero genes are NaN.
  for (std::size_t f = 0; f < fit.status.size(); ++f) {
    EXPECT_NE(fit.status[f], FeatureStatus::kMaxIterations) << fit.feature_names[f];
    if (fit.status[f] == FeatureStatus::kAllZero) {
      EXPECT_TRUE(std::isnan(fit.location_coef(f, 0)));
    }
  }
}

TEST(FitCoxReidTest, ContractAndThreads) {
  const NbGlmModel model = PasillaModel();
  const CountMatrix counts = ReadCounts(de::testing::SharedData("pasilla/counts.tsv"));
  FitOptions one, two;
  one.num_threads = 1;
  two.num_threads = 2;
  one.feature_end = two.feature_end = 600;
  const FitResult a = FitCoxReid(counts, model, Vector(), one);
  const FitResult b = FitCoxReid(counts, model, Vector(), two);
  ASSERT_EQ(a.num_features(), 600);
  for (std::size_t f = 0; f < 600; ++f) {
    EXPECT_EQ(a.status[f], b.status[f]);
    if (!std::isnan(a.loglik[f])) {
      EXPECT_EQ(a.loglik[f], b.loglik[f]);
    }
    for (std::size_t j = 0; j < 3; ++j) {
      if (!std::isnan(a.location_coef(f, j))) {
        EXPECT_EQ(a.location_coef(f, j), b.location_coef(f, j));
      }
    }
    // The Poisson limit is +Inf on the scale, as in Fit.
    if (a.status[f] == FeatureStatus::kAtBound && std::isinf(a.scale_coef(f, 0))) {
      EXPECT_GT(a.scale_coef(f, 0), 0.0);
    }
  }
  // A scale model with a covariate has no single Cox–Reid dispersion.
  const NbGlmModel scale_model = MakeModel(model.location, model.location);
  EXPECT_THROW(FitCoxReid(counts, scale_model, Vector(), one), InputError);
  // A throwing progress callback reaches the caller, from any thread.
  two.progress = [](Index done, Index) {
    if (done > 100) throw std::runtime_error("stop");
  };
  EXPECT_THROW(FitCoxReid(counts, model, Vector(), two), std::runtime_error);
}

}  // namespace
}  // namespace nbglm
