// Tests of the negative-binomial noise model (docs/model.md §1, eqs. (4)–(8)).
//
// The reference is independent of the implementation: eq. (4) evaluated
// directly (lgamma, no rearrangement) in 100-digit arithmetic, differentiated in
// (η, ζ) by central finite differences with Richardson extrapolation in that
// same precision. The closed forms (5)–(8) of docs/model.md are evaluated in
// 100 digits too and must agree with the differentiated (4) — this checks the
// design's equations themselves — and the doubles are compared with both.
//
// Accuracy criterion ("mixed" relative error). Inputs are η and ζ (exact
// doubles); any double implementation rounds μ = e^η and r = e^ζ, i.e.
// perturbs η and ζ by ~1e-16 absolute, so a quantity Q can only be asked for
//   |Q_double − Q_ref| ≤ tol · S(Q),   S(Q) = |Q| + |∂Q/∂η| + |∂Q/∂ζ|.
// Where Q is not a near-zero difference S(Q) ~ |Q| and this is plain relative
// error; where Q is itself ~0 (e.g. ∂ℓ/∂η at y ≈ μ) S(Q) is the size of its
// derivatives, the documented absolute scale. The derivatives of Q come from
// the same 100-digit differentiation of eq. (4) (third derivatives included).
// A deliberately wrong eq. (7) and the textbook (cancelling) eq. (6) in double
// must FAIL this criterion, so the checker demonstrably can fail.
#include "nbglm/negative_binomial.h"
#include "noise/nb_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <boost/multiprecision/cpp_bin_float.hpp>

namespace nbglm {
namespace {

// 100 digits: at r = 1e12 eq. (4) cancels ~37 digits (r·ζ ≈ 3e13 against
// ∂²ℓ/∂ζ² ≈ 1e-24 when y = 0, μ = 1e-6) and the difference quotients ~5 more.
using Mp = boost::multiprecision::cpp_bin_float_100;

// Tolerance of the mixed relative criterion above. The achieved worst case
// over the grid is ~1e-15 (printed by MatchesHighPrecisionReferenceOnGrid);
// 1e-12 leaves room for platforms whose long double is plain double (there
// the r < 10 branch measures ~3e-14).
constexpr double kTolerance = 1e-12;

// ---------------------------------------------------------------------------
// 100-digit reference.

// Eq. (4) exactly as written in docs/model.md, nothing rearranged.
Mp MpLogLikelihood(const Mp& y, const Mp& eta, const Mp& zeta) {
  using boost::math::lgamma;
  const Mp mu = exp(eta);
  const Mp r = exp(zeta);
  return lgamma(y + r) - lgamma(r) - lgamma(y + 1) + r * zeta + y * eta - (y + r) * log(r + mu);
}

// Partial derivatives of a function of (η, ζ) up to third order.
struct Partials {
  Mp f, e, z, ee, ez, zz, eee, eez, ezz, zzz;
};
constexpr int kNumQuotients = 9;  // e … zzz

// Richardson extrapolation (Neville table, error expansion in h², h⁴, …) of
// symmetric difference quotients on the step sequence h0/2^i; `f_at(a, b)` is
// the function at (η + a, ζ + b). `last_correction` receives, per quotient,
// the size of the last extrapolation step (an upper estimate of the error).
template <typename F>
Partials RichardsonPartials(const F& f_at, std::array<Mp, kNumQuotients>* last_correction) {
  constexpr int kLevels = 6;  // fewer do not reach 1e-18 everywhere on the grid
  const Mp h0 = Mp(1) / 8;    // ≪ π, the distance to the nearest singularity
  std::array<std::array<Mp, kNumQuotients>, kLevels> table;
  const Mp f00 = f_at(Mp(0), Mp(0));
  for (int level = 0; level < kLevels; ++level) {
    const Mp h = h0 / Mp(1 << level);
    const Mp fp0 = f_at(h, Mp(0)), fm0 = f_at(-h, Mp(0));
    const Mp f0p = f_at(Mp(0), h), f0m = f_at(Mp(0), -h);
    const Mp fpp = f_at(h, h), fpm = f_at(h, -h), fmp = f_at(-h, h), fmm = f_at(-h, -h);
    const Mp f2e = f_at(2 * h, Mp(0)), fm2e = f_at(-2 * h, Mp(0));
    const Mp f2z = f_at(Mp(0), 2 * h), fm2z = f_at(Mp(0), -2 * h);
    const Mp h2 = h * h, h3 = h2 * h;
    auto& q = table[level];
    q[0] = (fp0 - fm0) / (2 * h);
    q[1] = (f0p - f0m) / (2 * h);
    q[2] = (fp0 - 2 * f00 + fm0) / h2;
    q[3] = (fpp - fpm - fmp + fmm) / (4 * h2);
    q[4] = (f0p - 2 * f00 + f0m) / h2;
    q[5] = (f2e - 2 * fp0 + 2 * fm0 - fm2e) / (2 * h3);
    q[6] = ((fpp - 2 * f0p + fmp) - (fpm - 2 * f0m + fmm)) / (2 * h3);
    q[7] = ((fpp - 2 * fp0 + fpm) - (fmp - 2 * fm0 + fmm)) / (2 * h3);
    q[8] = (f2z - 2 * f0p + 2 * f0m - fm2z) / (2 * h3);
  }
  std::array<Mp, kNumQuotients> best;
  for (int k = 0; k < kNumQuotients; ++k) {
    std::array<Mp, kLevels> column;
    for (int i = 0; i < kLevels; ++i) column[i] = table[i][k];
    Mp four_power = 1;
    for (int order = 1; order < kLevels; ++order) {
      four_power *= 4;
      for (int i = kLevels - 1; i >= order; --i) {
        const Mp correction = (column[i] - column[i - 1]) / (four_power - 1);
        column[i] += correction;
        if (i == kLevels - 1) (*last_correction)[k] = abs(correction);
      }
    }
    best[k] = column[kLevels - 1];
  }
  return {f00, best[0], best[1], best[2], best[3], best[4], best[5], best[6], best[7], best[8]};
}

// The seven quantities of PointwiseTerms, in one order everywhere.
enum Quantity { kLoglik, kDEta, kD2Eta, kFisher, kDZeta, kD2Zeta, kD2EtaZeta, kNumQuantities };
const char* const kQuantityName[kNumQuantities] = {"loglik", "d_eta",   "d2_eta",     "fisher_eta",
                                                   "d_zeta", "d2_zeta", "d2_eta_zeta"};

struct ReferencePoint {
  double y, eta, zeta;
  std::array<Mp, kNumQuantities> value;        // from differentiating eq. (4)
  std::array<Mp, kNumQuantities> scale;        // S(Q) = |Q| + |∂Q/∂η| + |∂Q/∂ζ|
  std::array<Mp, kNumQuantities> closed_form;  // eqs. (4)–(8) in 100 digits
  Mp derivative_error;   // Richardson error estimate, 1st/2nd order, relative to S
  Mp third_order_error;  // same for the 3rd derivatives (used only inside S)
};

ReferencePoint ComputeReference(double y, double eta, double zeta) {
  ReferencePoint point;
  point.y = y;
  point.eta = eta;
  point.zeta = zeta;
  const Mp my(y), meta(eta), mzeta(zeta);
  std::array<Mp, kNumQuotients> corrections;
  const Partials d = RichardsonPartials(
      [&](const Mp& de, const Mp& dz) { return MpLogLikelihood(my, meta + de, mzeta + dz); },
      &corrections);
  const Mp mu = exp(meta), r = exp(mzeta), s = r + mu;
  const Mp fisher = r * mu / s;
  point.value = {d.f, d.e, d.ee, fisher, d.z, d.zz, d.ez};
  point.scale = {abs(d.f) + abs(d.e) + abs(d.z),
                 abs(d.e) + abs(d.ee) + abs(d.ez),
                 abs(d.ee) + abs(d.eee) + abs(d.eez),
                 2 * fisher,  // ∂F/∂η = F·p, ∂F/∂ζ = F·q, p + q = 1
                 abs(d.z) + abs(d.ez) + abs(d.zz),
                 abs(d.zz) + abs(d.ezz) + abs(d.zzz),
                 abs(d.ez) + abs(d.eez) + abs(d.ezz)};
  // Quotient order: e, z, ee, ez, zz, eee, eez, ezz, zzz.
  const std::array<Quantity, kNumQuotients> judged_by = {
      kDEta, kDZeta, kD2Eta, kD2EtaZeta, kD2Zeta, kD2Eta, kD2EtaZeta, kD2Zeta, kD2Zeta};
  point.derivative_error = 0;
  point.third_order_error = 0;
  for (int k = 0; k < kNumQuotients; ++k) {
    const Mp relative = corrections[k] / point.scale[judged_by[k]];
    Mp& worst = k < 5 ? point.derivative_error : point.third_order_error;
    worst = std::max(worst, relative);
  }
  using boost::math::digamma;
  using boost::math::trigamma;
  const Mp d_zeta = r * (digamma(my + r) - digamma(r) + mzeta + 1 - log(s) - (my + r) / s);
  point.closed_form = {
      MpLogLikelihood(my, meta, mzeta),
      r * (my - mu) / s,             // (5)
      -r * mu * (r + my) / (s * s),  // (5)
      fisher,                        // (5)
      d_zeta,                        // (6)
      d_zeta +
          r * r * (trigamma(my + r) - trigamma(r) + 1 / r - (r + 2 * mu - my) / (s * s)),  // (7)
      r * mu * (my - mu) / (s * s)};                                                       // (8)
  return point;
}

std::array<double, kNumQuantities> Implementation(double y, double eta, double zeta) {
  const NbTerms t = NbEvaluate(y, eta, zeta);
  return {t.loglik,       t.location.d_eta, t.location.d2_eta,     t.location.fisher_eta,
          t.scale.d_zeta, t.scale.d2_zeta,  t.location.d2_eta_zeta};
}

double MixedError(double value, const Mp& reference, const Mp& scale) {
  if (!std::isfinite(value)) return std::numeric_limits<double>::infinity();
  const Mp error = abs(Mp(value) - reference);
  if (scale == 0) return error == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return static_cast<double>(error / scale);
}

// The checker: passes iff the mixed relative error is within tolerance.
::testing::AssertionResult MatchesReference(double value, const ReferencePoint& point,
                                            Quantity quantity, double tolerance) {
  const double error = MixedError(value, point.value[quantity], point.scale[quantity]);
  if (error <= tolerance) return ::testing::AssertionSuccess();
  char buffer[400];
  std::snprintf(buffer, sizeof buffer,
                "%s at y=%.17g eta=%.17g zeta=%.17g: got %.17g, reference %.20e, scale %.3e, "
                "mixed error %.3e > %.1e",
                kQuantityName[quantity], point.y, point.eta, point.zeta, value,
                static_cast<double>(point.value[quantity]),
                static_cast<double>(point.scale[quantity]), error, tolerance);
  return ::testing::AssertionFailure() << buffer;
}

// ---------------------------------------------------------------------------
// The grid of the brief, plus points at the branch boundaries of the
// implementation (r = 10 asymptotic switch, non-integer y).

const std::vector<double>& GridY() {
  static const std::vector<double> values = {0, 1, 3, 17, 1e3, 1e6};
  return values;
}
const std::vector<double>& GridR() {
  static const std::vector<double> values = {1e-4, 1e-2, 1, 10, 1e4, 1e8, 1e12};
  return values;
}
const std::vector<double>& GridMu() {
  static const std::vector<double> values = {1e-6, 1e-2, 1, 50, 1e6};
  return values;
}

struct Grid {
  std::vector<ReferencePoint> points;
};

const Grid& ReferenceGrid() {
  static const Grid grid = [] {
    Grid g;
    for (double y : GridY()) {
      for (double r : GridR()) {
        for (double mu : GridMu()) {
          g.points.push_back(ComputeReference(y, std::log(mu), std::log(r)));
        }
      }
    }
    // Branch boundaries and non-integer counts.
    for (double y : {0.5, 2.0, 40.0}) {
      for (double r : {9.999999, 10.000001, 25.0}) {
        for (double mu : {0.3, 2.0, 300.0}) {
          g.points.push_back(ComputeReference(y, std::log(mu), std::log(r)));
        }
      }
    }
    // Either side of the direct ψ differences (y ≥ 9r, r + y ≥ 100), for r
    // below and above 10 (where the other side is long double or the
    // asymptotic series of the differences, respectively).
    for (const auto& [y, r] : std::initializer_list<std::pair<double, double>>{
             {89.0, 9.9}, {90.0, 9.9}, {224.0, 25.0}, {225.0, 25.0}, {8999.0, 1000.0}, {9000.0, 1000.0}}) {
      for (double mu : {1.0, 0.5 * y, 2.0 * y}) {
        g.points.push_back(ComputeReference(y, std::log(mu), std::log(r)));
      }
    }
    return g;
  }();
  return grid;
}

// Every quantity at every grid point within kTolerance (mixed criterion).
// First the reference itself is checked: the Richardson extrapolation has
// converged, and docs/model.md eqs. (5)–(8) are the derivatives of eq. (4) (the
// 100-digit closed forms agree with the 100-digit differentiation far below
// double precision). Prints the achieved accuracy: the worst mixed error per
// quantity and the worst plain relative error where the value is not itself
// a near-zero difference (|Q| ≥ S(Q)/10).
TEST(NegativeBinomialTest, MatchesHighPrecisionReferenceOnGrid) {
  std::array<double, kNumQuantities> worst_mixed{}, worst_relative{};
  for (const ReferencePoint& point : ReferenceGrid().points) {
    SCOPED_TRACE(::testing::Message()
                 << "y=" << point.y << " eta=" << point.eta << " zeta=" << point.zeta);
    EXPECT_LT(point.derivative_error, Mp("1e-18")) << static_cast<double>(point.derivative_error);
    EXPECT_LT(point.third_order_error, Mp("1e-6")) << static_cast<double>(point.third_order_error);
    const auto values = Implementation(point.y, point.eta, point.zeta);
    for (int k = 0; k < kNumQuantities; ++k) {
      EXPECT_LE(abs(point.closed_form[k] - point.value[k]), Mp("1e-20") * point.scale[k])
          << "design equation for " << kQuantityName[k];
      EXPECT_TRUE(MatchesReference(values[k], point, static_cast<Quantity>(k), kTolerance));
      worst_mixed[k] =
          std::max(worst_mixed[k], MixedError(values[k], point.value[k], point.scale[k]));
      if (abs(point.value[k]) * 10 >= point.scale[k] && point.value[k] != 0) {
        worst_relative[k] =
            std::max(worst_relative[k], MixedError(values[k], point.value[k], abs(point.value[k])));
      }
    }
  }
  for (int k = 0; k < kNumQuantities; ++k) {
    std::printf("  %-12s worst mixed error %.2e, worst relative error %.2e\n", kQuantityName[k],
                worst_mixed[k], worst_relative[k]);
  }
}

// ---------------------------------------------------------------------------
// The checker can fail.

// Eq. (7) with the sign of the 1/r term flipped, and eq. (7) without its
// chain-rule term ∂ℓ/∂ζ (the classic slip when converting ∂²ℓ/∂r² to log r),
// both evaluated in 100 digits so that only the formula is wrong.
TEST(NegativeBinomialTest, CheckerRejectsWrongScaleHessians) {
  std::vector<ReferencePoint> grid;  // a sub-grid (the full one is slow to build)
  for (double y : {0.0, 1.0, 17.0, 1e6}) {
    for (double r : {1e-4, 1.0, 1e4, 1e12}) {
      for (double mu : {1e-2, 50.0}) grid.push_back(ComputeReference(y, std::log(mu), std::log(r)));
    }
  }
  int points = 0, rejected_sign = 0, rejected_chain = 0;
  for (const ReferencePoint& point : grid) {
    const Mp y(point.y), mu = exp(Mp(point.eta)), r = exp(Mp(point.zeta)), s = r + mu;
    using boost::math::trigamma;
    const Mp bracket_wrong_sign =
        trigamma(y + r) - trigamma(r) - 1 / r - (r + 2 * mu - y) / (s * s);
    const Mp bracket = trigamma(y + r) - trigamma(r) + 1 / r - (r + 2 * mu - y) / (s * s);
    const double wrong_sign = static_cast<double>(point.value[kDZeta] + r * r * bracket_wrong_sign);
    const double wrong_chain = static_cast<double>(r * r * bracket);
    ++points;
    rejected_sign += !MatchesReference(wrong_sign, point, kD2Zeta, kTolerance);
    rejected_chain += !MatchesReference(wrong_chain, point, kD2Zeta, kTolerance);
  }
  // The 1/r flip changes eq. (7) by 2r: rejected everywhere.
  EXPECT_EQ(rejected_sign, points);
  // Dropping ∂ℓ/∂ζ is invisible only where it is below tolerance (e.g. y = 0,
  // μ ≪ r, where ∂ℓ/∂ζ ≈ −μ²/(2r) underflows the scale); elsewhere rejected.
  EXPECT_GE(rejected_chain, points * 8 / 10);
}

// Textbook eq. (6) in double cancels catastrophically for r ≫ y, μ: its O(1)
// terms sum to O(1/r). The criterion must reject it there.
TEST(NegativeBinomialTest, CheckerRejectsTextbookScaleGradientForLargeR) {
  for (double y : {1.0, 3.0, 17.0}) {
    for (double mu : {1.0, 50.0}) {
      const double r = 1e8;
      const ReferencePoint point = ComputeReference(y, std::log(mu), std::log(r));
      const double eta = point.eta, zeta = point.zeta;
      const double mu_d = std::exp(eta), r_d = std::exp(zeta);
      const double naive = r_d * (boost::math::digamma(y + r_d) - boost::math::digamma(r_d) + zeta +
                                  1 - std::log(r_d + mu_d) - (y + r_d) / (r_d + mu_d));
      EXPECT_FALSE(MatchesReference(naive, point, kDZeta, kTolerance)) << "y=" << y << " mu=" << mu;
      EXPECT_TRUE(
          MatchesReference(NbScaleDerivatives(y, eta, zeta).d_zeta, point, kDZeta, kTolerance));
    }
  }
}

// ---------------------------------------------------------------------------
// Other independent checks.

// ℓ against eq. (4) in double with lgamma where that is accurate (moderate r):
// the tolerance is ulps of the largest term of the direct sum.
TEST(NegativeBinomialTest, LogLikelihoodMatchesDirectLgammaFormula) {
  for (double y : {0.0, 1.0, 2.0, 7.0, 30.0, 200.0}) {
    for (double r : {0.1, 0.7, 1.0, 3.5, 12.0, 90.0}) {
      for (double mu : {0.05, 1.0, 8.0, 150.0}) {
        const double eta = std::log(mu), zeta = std::log(r);
        const double terms[] = {std::lgamma(y + r), std::lgamma(r), std::lgamma(y + 1),
                                r * zeta,           y * eta,        (y + r) * std::log(r + mu)};
        const double direct = terms[0] - terms[1] - terms[2] + terms[3] + terms[4] - terms[5];
        double magnitude = 0;
        for (double t : terms) magnitude = std::max(magnitude, std::fabs(t));
        EXPECT_NEAR(NbLogLikelihood(y, eta, zeta), direct, 1e-14 * magnitude)
            << "y=" << y << " r=" << r << " mu=" << mu;
      }
    }
  }
}

// Poisson limit: ℓ_NB − ℓ_Poisson = [(y−μ)² − y]/(2r) + O(1/r²), and
// r·∂ℓ/∂ζ → [y − (y−μ)²]/2, approached smoothly (no noise from cancellation).
TEST(NegativeBinomialTest, PoissonLimit) {
  for (double y : {0.0, 1.0, 3.0, 17.0, 1e3}) {
    for (double mu : {1e-2, 1.0, 50.0, 900.0}) {
      const double eta = std::log(mu);
      const Mp mu_mp = exp(Mp(eta));
      const Mp poisson = Mp(y) * Mp(eta) - mu_mp - boost::math::lgamma(Mp(y) + 1);
      const double excess = (static_cast<double>((Mp(y) - mu_mp) * (Mp(y) - mu_mp)) - y) / 2;
      const double curvature = (y * y + mu * mu + y + mu) * (1 + y + mu);  // bounds the O(1/r²)
      for (double r : {1e8, 1e10, 1e12}) {
        const double zeta = std::log(r);
        const double r_exact = std::exp(zeta);
        const double loglik = NbLogLikelihood(y, eta, zeta);
        const double diff = static_cast<double>(Mp(loglik) - poisson);
        EXPECT_NEAR(diff, excess / r_exact,
                    4 * curvature / (r_exact * r_exact) + 1e-15 * std::fabs(loglik))
            << "y=" << y << " mu=" << mu << " r=" << r;
      }
      for (double r : {1e8, 1e12, 1e16, 1e20}) {
        const double zeta = std::log(r);
        const double r_exact = std::exp(zeta);
        const double limit = -excess;
        EXPECT_NEAR(r_exact * NbScaleDerivatives(y, eta, zeta).d_zeta, limit,
                    4 * curvature / r_exact + 1e-14 * (std::fabs(limit) + y + mu * mu))
            << "y=" << y << " mu=" << mu << " r=" << r;
        const NbLocationTerms location = NbLocationDerivatives(y, eta, zeta);
        EXPECT_NEAR(location.d_eta, y - mu,
                    (std::fabs(y - mu) + 1) * 4 * (y + mu) / r_exact + 1e-15 * (y + mu));
        EXPECT_NEAR(location.d2_eta, -mu, mu * 4 * (y + mu + 1) / r_exact + 1e-15 * mu);
      }
    }
  }
}

// Expectations under the NB pmf (pmf = exp ℓ), summed over y:
// Σ pmf = 1, E[∂ℓ/∂η] = E[∂ℓ/∂ζ] = 0, E[−∂²ℓ/∂η²] = rμ/(r+μ) (the IRLS
// weight of eq. (5)), E[∂²ℓ/∂η∂ζ] = 0 (orthogonality, eq. (8)), and the
// information identity E[−∂²ℓ/∂ζ²] = E[(∂ℓ/∂ζ)²].
TEST(NegativeBinomialTest, ExpectationsUnderThePmf) {
  const std::array<std::array<double, 2>, 6> cases = {
      {{0.5, 3.0}, {10.0, 0.5}, {100.0, 0.5}, {50.0, 20.0}, {3.0, 1e4}, {1e-3, 0.05}}};
  for (const auto& c : cases) {
    const double eta = std::log(c[0]), zeta = std::log(c[1]);
    long double total = 0, e_d_eta = 0, e_d2_eta = 0, e_d2_eta_zeta = 0, e_d_zeta = 0,
                e_d2_zeta = 0, e_d_zeta_squared = 0, e_abs_d_eta = 0, e_abs_d_zeta = 0;
    double fisher = 0;
    double peak = 0;
    for (double y = 0;; ++y) {
      const NbTerms t = NbEvaluate(y, eta, zeta);
      const double pmf = std::exp(t.loglik);
      fisher = t.location.fisher_eta;
      total += pmf;
      e_d_eta += pmf * t.location.d_eta;
      e_abs_d_eta += pmf * std::fabs(t.location.d_eta);
      e_d2_eta += pmf * t.location.d2_eta;
      e_d2_eta_zeta += pmf * t.location.d2_eta_zeta;
      e_d_zeta += pmf * t.scale.d_zeta;
      e_abs_d_zeta += pmf * std::fabs(t.scale.d_zeta);
      e_d2_zeta += pmf * t.scale.d2_zeta;
      e_d_zeta_squared += pmf * t.scale.d_zeta * t.scale.d_zeta;
      peak = std::max(peak, pmf);
      if (y > c[0] && pmf < 1e-22 * peak) break;
    }
    const std::string where = "mu=" + std::to_string(c[0]) + " r=" + std::to_string(c[1]);
    EXPECT_NEAR(static_cast<double>(total), 1.0, 1e-13) << where;
    EXPECT_NEAR(static_cast<double>(-e_d2_eta), fisher, 1e-12 * fisher) << where;
    EXPECT_NEAR(static_cast<double>(e_d_eta), 0.0, 1e-12 * static_cast<double>(e_abs_d_eta))
        << where;
    EXPECT_NEAR(static_cast<double>(e_d2_eta_zeta), 0.0, 1e-12 * fisher) << where;
    EXPECT_NEAR(static_cast<double>(e_d_zeta), 0.0, 1e-12 * static_cast<double>(e_abs_d_zeta))
        << where;
    EXPECT_NEAR(static_cast<double>(-e_d2_zeta), static_cast<double>(e_d_zeta_squared),
                1e-11 * static_cast<double>(e_d_zeta_squared))
        << where;
  }
}

// Across the r = 10 switch between the asymptotic and the long-double branch
// the ζ-terms are continuous to rounding.
// The ψ differences switch to the direct double form at y = 9r (r + y ≥ 100):
// the scale derivatives at r just below and above y/9 agree.
TEST(NegativeBinomialTest, ContinuousAcrossDirectDifferencesSwitch) {
  for (double y : {225.0, 9000.0, 9e6}) {
    for (double mu_ratio : {0.01, 1.0, 3.0}) {
      const double eta = std::log(mu_ratio * y);
      const double r_switch = y / 9.0;
      double r_below = r_switch;
      while (y < 9.0 * r_below) r_below = std::nextafter(r_below, 0.0);  // y ≥ 9r: direct
      double r_above = std::nextafter(r_below, 1e300);
      while (y >= 9.0 * r_above) r_above = std::nextafter(r_above, 1e300);  // series
      const NbScaleTerms direct = NbScaleDerivatives(y, eta, std::log(r_below));
      const NbScaleTerms series = NbScaleDerivatives(y, eta, std::log(r_above));
      const double step = std::log(r_above) - std::log(r_below);
      EXPECT_NEAR(direct.d_zeta, series.d_zeta,
                  1e-14 * (std::fabs(series.d_zeta) + std::fabs(series.d2_zeta)) + std::fabs(series.d2_zeta) * step)
          << "y=" << y << " mu/y=" << mu_ratio;
      EXPECT_NEAR(direct.d2_zeta, series.d2_zeta, 1e-14 * (std::fabs(series.d2_zeta) + std::fabs(series.d_zeta)))
          << "y=" << y << " mu/y=" << mu_ratio;
      EXPECT_NEAR(NbLogLikelihood(y, eta, std::log(r_below)), NbLogLikelihood(y, eta, std::log(r_above)),
                  1e-14 * std::fabs(NbLogLikelihood(y, eta, std::log(r_above))) + std::fabs(series.d_zeta) * step);
    }
  }
}

TEST(NegativeBinomialTest, ContinuousAcrossBranchSwitch) {
  const double zeta_switch = std::log(10.0);
  for (double y : {1.0, 4.0, 1e3}) {
    for (double mu : {0.2, 10.0, 5e3}) {
      const double eta = std::log(mu);
      double zeta_below = std::nextafter(zeta_switch, 0.0);
      while (std::exp(zeta_below) >= 10.0) zeta_below = std::nextafter(zeta_below, 0.0);
      double zeta_above = zeta_switch;
      while (std::exp(zeta_above) < 10.0) zeta_above = std::nextafter(zeta_above, 100.0);
      const NbScaleTerms below = NbScaleDerivatives(y, eta, zeta_below);
      const NbScaleTerms above = NbScaleDerivatives(y, eta, zeta_above);
      const double step = zeta_above - zeta_below;
      // Change expected from the step itself is ≤ |∂/∂ζ|·step (~1e-15 relative).
      EXPECT_NEAR(below.d_zeta, above.d_zeta,
                  1e-14 * (std::fabs(above.d_zeta) + std::fabs(above.d2_zeta)) +
                      std::fabs(above.d2_zeta) * step);
      EXPECT_NEAR(below.d2_zeta, above.d2_zeta,
                  1e-14 * (std::fabs(above.d2_zeta) + std::fabs(above.d_zeta)));
    }
  }
}

// Helpers against 100 digits.
TEST(NegativeBinomialHelpersTest, SpecialFunctions) {
  for (double t :
       {-0.999999, -0.7, -0.5, -0.3, -1e-3, -1e-9, 1e-12, 1e-5, 0.2, 0.5, 0.999, 1.0, 3.0, 1e6}) {
    const Mp exact = boost::multiprecision::log1p(Mp(t)) - Mp(t);
    EXPECT_NEAR(nb_detail::Log1pmx(t), static_cast<double>(exact),
                4e-16 * std::fabs(static_cast<double>(exact)))
        << "t=" << t;
  }
  // Across the series range (−½, 1), including either side of the points
  // where the atanh tail changes length (v² = 1e-4 and 0.02, v = t/(2+t)).
  std::vector<double> series_points;
  for (int k = 1; k < 300; ++k) series_points.push_back(-0.5 + 1.5 * k / 300.0);
  for (double v : {0.01, -0.01, std::sqrt(0.02), -std::sqrt(0.02)}) {
    const double t = 2.0 * v / (1.0 - v);
    for (double u : {std::nextafter(t, -1.0), t, std::nextafter(t, 1.0)}) series_points.push_back(u);
  }
  for (double t : series_points) {
    const Mp exact = boost::multiprecision::log1p(Mp(t)) - Mp(t);
    EXPECT_NEAR(nb_detail::Log1pmx(t), static_cast<double>(exact), 4e-16 * std::fabs(static_cast<double>(exact)))
        << "t=" << t;
  }
  // The atanh tail itself, S(v²) = (atanh v − v)/v³, to ~1 ulp at the ends
  // of each polynomial length (the truncation is below ulp/8 of S).
  for (double v2 : {1e-8, 1e-4, std::nextafter(1e-4, 1.0), 0.005, 0.02, std::nextafter(0.02, 1.0), 0.05, 1.0 / 9}) {
    const Mp v = sqrt(Mp(v2));
    const Mp exact = (atanh(v) - v) / (v * v * v);
    EXPECT_NEAR(nb_detail::AtanhTailSeries(v2), static_cast<double>(exact), 2.5e-16 * static_cast<double>(exact))
        << "v2=" << v2;
  }
  for (double x : {1e-8, 1e-3, 0.5, 1.0, 3.0, 9.99, 10.0, 17.0, 1e3, 1e9}) {
    const Mp xm(x);
    const Mp exact = boost::math::lgamma(xm + 1) - (xm + Mp("0.5")) * log(xm) + xm -
                     log(2 * boost::math::constants::pi<Mp>()) / 2;
    EXPECT_NEAR(nb_detail::StirlingError(x), static_cast<double>(exact),
                4e-16 * std::fabs(static_cast<double>(exact)) + 2e-17)
        << "x=" << x;
  }
}

// The array interface computes exactly what the scalar functions compute, and
// a partial request (null pointers) gives the same values for what it asks.
TEST(NegativeBinomialTest, EvaluateMatchesScalarFunctionsAndSkipsNullTerms) {
  const std::vector<double> y = {0, 1, 5, 1e3, 2};
  const std::vector<double> eta = {-2.0, 0.0, 1.7, 6.9, 30.0};
  const std::vector<double> zeta = {3.0, -9.0, 0.4, 28.0, -1.0};
  const Index n = static_cast<Index>(y.size());
  NegativeBinomial model;
  EXPECT_STREQ(model.name(), "negative_binomial");
  std::vector<std::vector<double>> arrays(kNumQuantities, std::vector<double>(y.size(), -7.0));
  PointwiseTerms all;
  all.loglik = arrays[kLoglik].data();
  all.d_eta = arrays[kDEta].data();
  all.d2_eta = arrays[kD2Eta].data();
  all.fisher_eta = arrays[kFisher].data();
  all.d_zeta = arrays[kDZeta].data();
  all.d2_zeta = arrays[kD2Zeta].data();
  all.d2_eta_zeta = arrays[kD2EtaZeta].data();
  model.Evaluate(y.data(), eta.data(), zeta.data(), n, all);
  double sum = 0;
  for (Index i = 0; i < n; ++i) {
    const auto expected = Implementation(y[i], eta[i], zeta[i]);
    for (int k = 0; k < kNumQuantities; ++k) EXPECT_EQ(arrays[k][i], expected[k]);
    sum += expected[kLoglik];
  }
  EXPECT_EQ(model.LogLikelihood(y.data(), eta.data(), zeta.data(), n), sum);

  std::vector<double> only_fisher(y.size(), -7.0);
  PointwiseTerms some;
  some.fisher_eta = only_fisher.data();
  model.Evaluate(y.data(), eta.data(), zeta.data(), n, some);
  for (Index i = 0; i < n; ++i) EXPECT_EQ(only_fisher[i], arrays[kFisher][i]);
}

// Extreme but valid inputs stay finite; invalid ones give NaN, never throw.
TEST(NegativeBinomialTest, ExtremeInputsFiniteAndNoThrow) {
  for (double y : {0.0, 1.0, 1e6}) {
    for (double eta : {-690.0, -30.0, 0.0, 30.0, 300.0}) {
      for (double zeta : {-690.0, -30.0, 0.0, 30.0, 300.0}) {
        const NbTerms t = NbEvaluate(y, eta, zeta);
        EXPECT_TRUE(std::isfinite(t.loglik)) << y << " " << eta << " " << zeta;
        EXPECT_TRUE(std::isfinite(t.location.d_eta) && std::isfinite(t.location.d2_eta) &&
                    std::isfinite(t.location.fisher_eta) && std::isfinite(t.location.d2_eta_zeta))
            << y << " " << eta << " " << zeta;
        EXPECT_TRUE(std::isfinite(t.scale.d_zeta) && std::isfinite(t.scale.d2_zeta))
            << y << " " << eta << " " << zeta;
      }
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NO_THROW({
    const NbTerms t = NbEvaluate(3.0, nan, 0.0);
    EXPECT_TRUE(std::isnan(t.loglik));
    EXPECT_TRUE(std::isnan(t.scale.d_zeta));
  });
  EXPECT_NO_THROW({
    const NbTerms t = NbEvaluate(3.0, 0.0, nan);
    EXPECT_TRUE(std::isnan(t.loglik));
    EXPECT_TRUE(std::isnan(t.scale.d2_zeta));
  });
}

}  // namespace
}  // namespace nbglm
