// batchglm's Simulator (docs/api.md "Simulation"): draws true coefficients for given
// location and scale designs and samples negative-binomial counts from them,
// for tests, examples, benchmarks and `nbglm simulate`.
//
//   Simulator simulator(1000, location_design, scale_design);
//   simulator.GenerateParams();              // or SetParams(a, b)
//   const CountMatrix& counts = simulator.GenerateData();
//   WriteSimulation("out/", simulator);
//
// Reproducibility: every random draw comes from a stream keyed by (seed,
// purpose, feature index) through SplitMix64, with Boost.Random engines and
// distributions (whose algorithms are fixed, unlike those of std::). So the
// output is a function of the seed alone: independent of the thread count,
// of the order in which features are processed, and — because location and
// scale coefficients use separate streams — the location coefficients of a
// feature do not change when only the scale design does.
#ifndef NBGLM_SIMULATOR_H_
#define NBGLM_SIMULATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nbglm/counts.h"
#include "nbglm/design.h"
#include "nbglm/types.h"

namespace nbglm {

// The distributions of the true coefficients. Defaults are exactly those of
// batchglm 0.4 (reference/batchglm_constraints_notebook.txt): a location
// intercept log(U(1, 1e4)), a scale intercept log(round(U(1, 10))), and every
// other coefficient log(U(0.5, 2)), i.e. a fold change between 1/2 and 2.
// Which column is the intercept: see Simulator::location_intercept_column().
struct SimulatorOptions {
  // Seed of every random draw (parameters and data).
  std::uint64_t seed = 0;

  // Location intercept a_0 = log(m), m ~ U(low, high): the baseline mean of a
  // feature at size factor 1, between 1 and 10^4 counts.
  double location_intercept_low = 1.0;
  double location_intercept_high = 1e4;

  // Scale intercept b_0 = log(r_0), r_0 ~ U(low, high), rounded to the
  // nearest integer (ties to even, as numpy's round) when
  // round_scale_intercept: a baseline size r between 1 and 10 (1 and 10 half
  // as likely as 2..9).
  double scale_intercept_low = 1.0;
  double scale_intercept_high = 10.0;
  bool round_scale_intercept = true;

  // Every other location coefficient: log(U(low, high)).
  double location_effect_low = 0.5;
  double location_effect_high = 2.0;

  // Every other scale coefficient: log(U(low, high)).
  double scale_effect_low = 0.5;
  double scale_effect_high = 2.0;

  // Threads for GenerateData (features are split among them). The counts
  // are identical for every value.
  int num_threads = 1;

  // Whether the options are usable: every bound finite with 0 < low ≤ high
  // (they are logged), a rounded scale intercept lower bound ≥ 1 (so that
  // r_0 ≥ 1 > 0), num_threads ≥ 1. On failure *error says which and why.
  bool IsValid(std::string* error) const;
};

class Simulator {
 public:
  // num_features ≥ 1; location_design (X, n × p) and scale_design (Z_s,
  // n × p_s) must have the same observations (names, in the same order);
  // size_factors is empty (every s_i = 1) or has n finite positive entries in
  // design order. Throws InputError for any violation or invalid options.
  Simulator(Index num_features, Design location_design, Design scale_design, Vector size_factors = Vector(),
            SimulatorOptions options = SimulatorOptions());

  // Names of the features in the outputs (default "feature_0", …): one
  // non-empty name per feature. Throws InputError otherwise, or when data was
  // already generated (the counts carry the names).
  void SetFeatureNames(std::vector<std::string> feature_names);

  // Draws the true coefficients from the distributions of the options:
  // location_coefficients() num_features × p, scale_coefficients()
  // num_features × p_s. Replaces any previous parameters (and data).
  void GenerateParams();

  // Sets the true coefficients directly instead (tests, examples): shapes
  // num_features × p and num_features × p_s, finite values. Replaces any
  // previous parameters (and data). Throws InputError otherwise.
  void SetParams(Matrix location_coefficients, Matrix scale_coefficients);

  // Samples the counts of every feature as a Gamma–Poisson mixture, the
  // negative binomial of docs/model.md §1 (3):
  //   μ_i = s_i·exp(x_iᵀa)   (1),   r_i = exp(z_iᵀb)   (2),
  //   λ_i ~ Gamma(shape r_i, scale μ_i/r_i),   y_i ~ Poisson(λ_i),
  // so E y = μ, Var y = μ + μ²/r. Returns the dense counts (features ×
  // observations, observation names of the location design), also kept for
  // counts(). Requires parameters; throws InputError when none are set, or
  // when a feature's μ_i or r_i is not finite and positive, or a draw of λ_i
  // exceeds 10^9 (its counts would overflow kMaxCount): the message names
  // the first such feature and observation.
  const CountMatrix& GenerateData();

  Index num_features() const { return num_features_; }
  Index num_observations() const { return location_design_.num_observations(); }
  const Design& location_design() const { return location_design_; }
  const Design& scale_design() const { return scale_design_; }
  // Empty when no size factors were given.
  const Vector& size_factors() const { return size_factors_; }
  bool has_size_factors() const { return size_factors_.size() > 0; }
  const SimulatorOptions& options() const { return options_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }

  // The intercept column, whose coefficient is drawn from the intercept
  // distribution: the column named "(Intercept)" or "intercept" (any case);
  // else the first column whose values are all 1; else none (−1), and every
  // coefficient is drawn as an effect. (batchglm always takes column 0;
  // this rule agrees for designs with the intercept first and avoids giving
  // a mean of up to 10^4 to, say, a treatment indicator otherwise.)
  Index location_intercept_column() const { return location_intercept_column_; }
  Index scale_intercept_column() const { return scale_intercept_column_; }

  bool has_params() const { return has_params_; }
  // num_features × p and num_features × p_s; throw InputError before params.
  const Matrix& location_coefficients() const;
  const Matrix& scale_coefficients() const;

  bool has_data() const { return has_data_; }
  // Throws InputError before GenerateData.
  const CountMatrix& counts() const;

 private:
  Index num_features_;
  Design location_design_;
  Design scale_design_;
  Vector size_factors_;
  SimulatorOptions options_;
  std::vector<std::string> feature_names_;
  Index location_intercept_column_ = -1;
  Index scale_intercept_column_ = -1;
  bool has_params_ = false;
  Matrix location_coefficients_;
  Matrix scale_coefficients_;
  bool has_data_ = false;
  CountMatrix counts_;
};

// Writes a simulation into out_dir (created if missing), every file
// atomically (docs/formats.md "simulate outputs"):
//   counts.mtx             the counts, MatrixMarket (WriteMatrixMarket)
//   true_loc_coef.tsv      header "feature" + location parameter names, one
//   true_scale_coef.tsv    row per feature, values in FormatDouble
//   loc_design.tsv         DesignToTsv of each design
//   scale_design.tsv
//   size_factors.tsv       "observation\tsize_factor", only with size factors
// Throws InputError when the simulator has no data or a file cannot be written.
void WriteSimulation(const std::string& out_dir, const Simulator& simulator);

}  // namespace nbglm

#endif  // NBGLM_SIMULATOR_H_
