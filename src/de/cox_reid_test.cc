#include "de/cox_reid.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "de/de_reference.h"

namespace nbglm::de {
namespace {

RowMatrix GroupDesign(Index n) {
  RowMatrix x(n, 2);
  for (Index i = 0; i < n; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = i % 2;
  }
  return x;
}

TEST(CoxReidTest, DerivativesMatchFiniteDifferencesFromSmallSizesToThePoissonLimit) {
  const GlmDesign design(GroupDesign(6));
  CoxReidDispersion cr(design);
  const std::vector<double> y = {0, 3, 1, 40, 7, 0};
  const std::vector<double> eta = {0.5, 2.0, 0.1, 3.4, 1.8, -1.0};
  for (double zeta : {-6.0, -1.0, 0.0, 2.5, 8.0, 15.0}) {
    double g = 0.0, h = 0.0;
    cr.AdjustedLogLikelihood(y.data(), eta.data(), zeta, &g, &h);
    const double step = 1e-4;
    double gp, gm;
    const double fp = cr.AdjustedLogLikelihood(y.data(), eta.data(), zeta + step, &gp, nullptr);
    const double fm = cr.AdjustedLogLikelihood(y.data(), eta.data(), zeta - step, &gm, nullptr);
    EXPECT_NEAR(g, (fp - fm) / (2 * step), 1e-6 * (1.0 + std::abs(g))) << zeta;
    EXPECT_NEAR(h, (gp - gm) / (2 * step), 1e-6 * (1.0 + std::abs(h))) << zeta;
  }
}

TEST(CoxReidTest, MaximizerIsStationary) {
  const GlmDesign design(GroupDesign(6));
  CoxReidDispersion cr(design);
  const std::vector<double> eta = {1.0, 2.0, 1.1, 2.2, 0.9, 2.1};
  for (const std::vector<double>& y : {std::vector<double>{0, 20, 8, 1, 1, 30}, std::vector<double>{9, 0, 1, 25, 0, 2}}) {
    const CoxReidOutcome outcome = cr.Maximize(y.data(), eta.data(), 0.5);
    ASSERT_TRUE(outcome.converged);
    ASSERT_FALSE(outcome.poisson_limit);
    double g = 0.0, h = 0.0;
    const double zeta = -std::log(outcome.overdispersion);
    const double value = cr.AdjustedLogLikelihood(y.data(), eta.data(), zeta, &g, &h);
    EXPECT_NEAR(g, 0.0, 1e-8);
    EXPECT_LT(h, 0.0);
    for (double step : {-0.01, 0.01}) {
      EXPECT_LT(cr.AdjustedLogLikelihood(y.data(), eta.data(), zeta + step, nullptr, nullptr), value);
    }
  }
}

TEST(CoxReidTest, PoissonCountsReachThePoissonLimit) {
  const GlmDesign design(GroupDesign(8));
  CoxReidDispersion cr(design);
  // Under-dispersed counts: the adjusted likelihood rises all the way to r → ∞.
  const std::vector<double> y = {10, 10, 11, 9, 10, 10, 9, 11};
  const std::vector<double> eta(8, std::log(10.0));
  const CoxReidOutcome outcome = cr.Maximize(y.data(), eta.data(), 0.1);
  EXPECT_TRUE(outcome.poisson_limit);
  EXPECT_EQ(outcome.overdispersion, 0.0);
}

// The APL with the location refitted at each φ equals edgeR's
// adjustedProfileLik (stored values), and its maximiser edgeR's
// dispCoxReid / the script's own maximiser.
class CoxReidPasillaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    design_ = std::make_unique<GlmDesign>(testing::PasillaDesign());
    counts_ = ReadCounts(testing::SharedData("pasilla/counts.tsv"));
    const Vector sf = ReadSizeFactors(testing::DeData("size_factors_pasilla.tsv"), counts_.observation_names());
    for (double s : sf) offset_.push_back(std::log(s));
    for (Index f = 0; f < counts_.num_features(); ++f) row_[counts_.feature_names()[static_cast<std::size_t>(f)]] = f;
  }
  std::vector<double> Counts(const std::string& gene) {
    std::vector<double> y(static_cast<std::size_t>(counts_.num_observations()));
    counts_.CopyFeature(row_.at(gene), y.data());
    return y;
  }
  // APL at φ with the location refitted at φ.
  double ProfileApl(const std::vector<double>& y, double phi) {
    FixedDispersionGlm glm(*design_);
    std::vector<double> theta(static_cast<std::size_t>(design_->q()));
    glm.Fit(y.data(), offset_.data(), phi, theta.data(), false, FixedDispersionOptions{200, 1e-14});
    std::vector<double> eta(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) eta[i] = std::log(glm.mu()(static_cast<Index>(i)));
    CoxReidDispersion cr(*design_);
    return cr.AdjustedLogLikelihood(y.data(), eta.data(), -std::log(phi), nullptr, nullptr);
  }
  std::unique_ptr<GlmDesign> design_;
  CountMatrix counts_;
  std::vector<double> offset_;
  std::map<std::string, Index> row_;
};

TEST_F(CoxReidPasillaTest, AdjustedProfileLikelihoodEqualsEdgeR) {
  const testing::ReferenceTable ref = testing::ReadReference(testing::DeData("apl_pasilla.tsv"));
  int compared = 0;
  for (std::size_t r = 0; r < ref.keys.size(); ++r) {
    const double expected = ref.columns.at("apl_edger_at_mle")[r];
    const double phi = ref.columns.at("dispersion")[r];
    const double ours = ProfileApl(Counts(ref.keys[r]), phi);
    if (std::isnan(expected)) {
      // A group of zeros: edgeR's value depends on where it stopped; ours must exist.
      EXPECT_TRUE(std::isfinite(ours)) << ref.keys[r];
      continue;
    }
    EXPECT_NEAR(ours, expected, 1e-8 * (1.0 + std::abs(expected))) << ref.keys[r] << " phi " << phi;
    ++compared;
  }
  EXPECT_GE(compared, 200);
}

TEST_F(CoxReidPasillaTest, AlternatingFitAndDispersionNearEdgeRsProfileMaximum) {
  // The DE pipeline's scheme (docs/de.md): location at a start φ, Cox–Reid φ
  // at those means — glmGamPoi's estimator (APL at fixed means), not edgeR's
  // exact profile maximiser: they differ by the dependence of log det(XᵀWX)
  // on the refitted means and by the start. Stated deviation: within 2% of
  // edgeR's maximiser (or no worse in profile APL by 1e-3 where it is flat)
  // for at least 75% of the genes, and for all no worse in profile APL than
  // 0.05 (a twentieth of a χ²₁ unit). At its own fixed means the estimate is
  // the exact maximiser (CoxReidTest.MaximizerIsStationary).
  const testing::ReferenceTable ref = testing::ReadReference(testing::DeData("cr_dispersion_pasilla.tsv"));
  int compared = 0, agree = 0, poisson = 0;
  for (std::size_t r = 0; r < ref.keys.size(); ++r) {
    const double expected = ref.columns.at("dispersion_cr_own")[r];
    if (std::isnan(expected)) continue;  // one group all zero: only edgeR's noisy value
    const std::vector<double> y = Counts(ref.keys[r]);
    FixedDispersionGlm glm(*design_);
    CoxReidDispersion cr(*design_);
    std::vector<double> theta(static_cast<std::size_t>(design_->q())), eta(y.size());
    double phi = 0.1;
    glm.Fit(y.data(), offset_.data(), phi, theta.data(), false);
    for (std::size_t i = 0; i < y.size(); ++i) eta[i] = std::log(glm.mu()(static_cast<Index>(i)));
    phi = cr.Maximize(y.data(), eta.data(), phi).overdispersion;
    const double apl = ProfileApl(y, std::max(phi, 1e-8));
    const double best = ref.columns.at("apl_own_at_cr")[r];
    EXPECT_GE(apl, best - 0.05) << ref.keys[r] << ": " << phi << " vs " << expected;
    if (ref.columns.at("poisson_limit")[r] == 1.0) {
      EXPECT_LT(phi, 1e-3) << ref.keys[r];
      ++poisson;
    } else {
      const bool close = std::abs(phi / expected - 1.0) < 0.02;
      agree += close || apl >= best - 1e-3 ? 1 : 0;
    }
    ++compared;
  }
  EXPECT_GE(compared, 35);
  EXPECT_GE(agree, 0.75 * (compared - poisson));
}

}  // namespace
}  // namespace nbglm::de
