#include "nbglm/simulator.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <exception>
#include <filesystem>
#include <sstream>
#include <thread>
#include <utility>

#include <boost/random/gamma_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include "nbglm/counts_io.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

// A Gamma draw above this gives counts that may overflow kMaxCount (a
// Poisson(10^9) draw exceeds 2^31 − 1 with negligible probability).
constexpr double kMaxSimulatedRate = 1e9;

// What a random stream is for; part of its key, so the streams never overlap.
enum class StreamPurpose : std::uint64_t { kLocationParams = 1, kScaleParams = 2, kData = 3 };

// SplitMix64's output function (Steele, Lea & Flood 2014): a bijection of
// 64-bit words with full avalanche, the usual way to turn structured keys
// into independent-looking seeds.
std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The engine of one (seed, purpose, feature) stream. mt19937_64 is fully
// specified by the C++ standard and Boost, so its output is the same on
// every platform.
boost::random::mt19937_64 StreamEngine(std::uint64_t seed, StreamPurpose purpose, Index feature) {
  const std::uint64_t key =
      SplitMix64(SplitMix64(SplitMix64(seed) ^ static_cast<std::uint64_t>(purpose)) ^ static_cast<std::uint64_t>(feature));
  return boost::random::mt19937_64(key);
}

// U(low, high); low == high gives low without a draw (Boost's uniform
// distribution never returns its upper bound, so it would loop forever).
double Uniform(boost::random::mt19937_64& engine, double low, double high) {
  if (low == high) return low;
  return boost::random::uniform_real_distribution<double>(low, high)(engine);
}

Index FindInterceptColumn(const Design& design) {
  for (Index j = 0; j < design.num_parameters(); ++j) {
    std::string name = design.parameter_names[static_cast<std::size_t>(j)];
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "(intercept)" || name == "intercept") return j;
  }
  for (Index j = 0; j < design.num_parameters(); ++j) {
    bool all_ones = true;
    for (Index i = 0; i < design.num_observations() && all_ones; ++i) all_ones = design.values(i, j) == 1.0;
    if (all_ones) return j;
  }
  return -1;
}

bool CheckRange(const char* name, double low, double high, std::string* error) {
  if (!std::isfinite(low) || !std::isfinite(high) || !(low > 0.0) || !(low <= high)) {
    *error = std::string("SimulatorOptions: ") + name + ": [" + FormatDouble(low) + ", " + FormatDouble(high) +
             "]: bounds must be finite with 0 < low <= high (the draw is logged)";
    return false;
  }
  return true;
}

// Draws one feature's coefficients for a design: the intercept column from
// U(intercept_low, intercept_high) (rounded if asked), the others from
// U(effect_low, effect_high), all logged, in column order from one stream.
void DrawCoefficients(boost::random::mt19937_64& engine, Index num_parameters, Index intercept_column,
                      double intercept_low, double intercept_high, bool round_intercept, double effect_low,
                      double effect_high, double* out) {
  for (Index j = 0; j < num_parameters; ++j) {
    if (j == intercept_column) {
      double value = Uniform(engine, intercept_low, intercept_high);
      // nearbyint rounds ties to even in the default rounding mode, as numpy does.
      if (round_intercept) value = std::nearbyint(value);
      out[j] = std::log(value);
    } else {
      out[j] = std::log(Uniform(engine, effect_low, effect_high));
    }
  }
}

std::string CoefficientTsv(const std::vector<std::string>& feature_names, const std::vector<std::string>& parameter_names,
                           const Matrix& coefficients) {
  std::ostringstream out;
  out << "feature";
  for (const std::string& name : parameter_names) out << '\t' << name;
  out << '\n';
  for (std::size_t f = 0; f < feature_names.size(); ++f) {
    out << feature_names[f];
    for (std::size_t j = 0; j < parameter_names.size(); ++j) out << '\t' << FormatDouble(coefficients(f, j));
    out << '\n';
  }
  return out.str();
}

}  // namespace

bool SimulatorOptions::IsValid(std::string* error) const {
  if (!CheckRange("location intercept", location_intercept_low, location_intercept_high, error)) return false;
  if (!CheckRange("scale intercept", scale_intercept_low, scale_intercept_high, error)) return false;
  if (!CheckRange("location effect", location_effect_low, location_effect_high, error)) return false;
  if (!CheckRange("scale effect", scale_effect_low, scale_effect_high, error)) return false;
  if (round_scale_intercept && scale_intercept_low < 1.0) {
    *error = "SimulatorOptions: scale_intercept_low: " + FormatDouble(scale_intercept_low) +
             ": must be >= 1 when round_scale_intercept (a size rounded to 0 has no log)";
    return false;
  }
  if (num_threads < 1) {
    *error = "SimulatorOptions: num_threads: " + std::to_string(num_threads) + ": must be a positive integer";
    return false;
  }
  return true;
}

Simulator::Simulator(Index num_features, Design location_design, Design scale_design, Vector size_factors,
                     SimulatorOptions options)
    : num_features_(num_features),
      location_design_(std::move(location_design)),
      scale_design_(std::move(scale_design)),
      size_factors_(std::move(size_factors)),
      options_(options) {
  std::string error;
  if (!options_.IsValid(&error)) throw InputError(error);
  if (num_features_ < 1) {
    throw InputError("Simulator: num_features", std::to_string(num_features_), "must be a positive integer");
  }
  location_design_.Validate("Simulator: location design");
  scale_design_.Validate("Simulator: scale design");
  if (scale_design_.num_observations() != location_design_.num_observations()) {
    throw InputError("Simulator: scale design", std::to_string(scale_design_.num_observations()) + " observations",
                     "expected " + std::to_string(location_design_.num_observations()) + " (as the location design)");
  }
  for (std::size_t i = 0; i < location_design_.observation_names.size(); ++i) {
    if (scale_design_.observation_names[i] != location_design_.observation_names[i]) {
      throw InputError("Simulator: scale design: observation " + std::to_string(i + 1),
                       "'" + scale_design_.observation_names[i] + "'",
                       "must match the location design's '" + location_design_.observation_names[i] +
                           "' (same observations, same order)");
    }
  }
  if (size_factors_.size() > 0) {
    if (static_cast<Index>(size_factors_.size()) != num_observations()) {
      throw InputError("Simulator: size factors", std::to_string(size_factors_.size()) + " values",
                       "expected " + std::to_string(num_observations()) + " (one per observation) or none");
    }
    for (std::size_t i = 0; i < size_factors_.size(); ++i) {
      if (!std::isfinite(size_factors_(i)) || !(size_factors_(i) > 0.0)) {
        throw InputError("Simulator: size factor of '" + location_design_.observation_names[i] + "'",
                         FormatDouble(size_factors_(i)), "must be finite and positive");
      }
    }
  }
  feature_names_.reserve(static_cast<std::size_t>(num_features_));
  for (Index f = 0; f < num_features_; ++f) feature_names_.push_back("feature_" + std::to_string(f));
  location_intercept_column_ = FindInterceptColumn(location_design_);
  scale_intercept_column_ = FindInterceptColumn(scale_design_);
}

void Simulator::SetFeatureNames(std::vector<std::string> feature_names) {
  if (has_data_) {
    throw InputError("Simulator::SetFeatureNames", "data already generated", "set feature names before GenerateData");
  }
  if (static_cast<Index>(feature_names.size()) != num_features_) {
    throw InputError("Simulator::SetFeatureNames", std::to_string(feature_names.size()) + " names",
                     "expected " + std::to_string(num_features_) + " (one per feature)");
  }
  for (const std::string& name : feature_names) {
    if (name.empty()) throw InputError("Simulator::SetFeatureNames", "''", "feature names must be non-empty");
  }
  feature_names_ = std::move(feature_names);
}

void Simulator::GenerateParams() {
  const Index p = location_design_.num_parameters();
  const Index p_scale = scale_design_.num_parameters();
  Matrix location = Matrix::from_shape({static_cast<std::size_t>(num_features_), static_cast<std::size_t>(p)});
  Matrix scale = Matrix::from_shape({static_cast<std::size_t>(num_features_), static_cast<std::size_t>(p_scale)});
  for (Index f = 0; f < num_features_; ++f) {
    boost::random::mt19937_64 location_engine = StreamEngine(options_.seed, StreamPurpose::kLocationParams, f);
    DrawCoefficients(location_engine, p, location_intercept_column_, options_.location_intercept_low,
                     options_.location_intercept_high, /*round_intercept=*/false, options_.location_effect_low,
                     options_.location_effect_high, location.data() + f * p);
    boost::random::mt19937_64 scale_engine = StreamEngine(options_.seed, StreamPurpose::kScaleParams, f);
    DrawCoefficients(scale_engine, p_scale, scale_intercept_column_, options_.scale_intercept_low,
                     options_.scale_intercept_high, options_.round_scale_intercept, options_.scale_effect_low,
                     options_.scale_effect_high, scale.data() + f * p_scale);
  }
  location_coefficients_ = std::move(location);
  scale_coefficients_ = std::move(scale);
  has_params_ = true;
  has_data_ = false;
  counts_ = CountMatrix();
}

void Simulator::SetParams(Matrix location_coefficients, Matrix scale_coefficients) {
  const auto check = [this](const Matrix& coefficients, const Design& design, const std::string& what) {
    const std::size_t rows = coefficients.shape(0);
    const std::size_t columns = coefficients.shape(1);
    if (static_cast<Index>(rows) != num_features_ || static_cast<Index>(columns) != design.num_parameters()) {
      throw InputError("Simulator::SetParams: " + what, std::to_string(rows) + " x " + std::to_string(columns),
                       "expected " + std::to_string(num_features_) + " x " + std::to_string(design.num_parameters()) +
                           " (features x parameters)");
    }
    for (std::size_t f = 0; f < rows; ++f) {
      for (std::size_t j = 0; j < columns; ++j) {
        if (!std::isfinite(coefficients(f, j))) {
          throw InputError("Simulator::SetParams: " + what + " of '" + feature_names_[f] + "', '" +
                               design.parameter_names[j] + "'",
                           FormatDouble(coefficients(f, j)), "must be finite");
        }
      }
    }
  };
  check(location_coefficients, location_design_, "location coefficient");
  check(scale_coefficients, scale_design_, "scale coefficient");
  location_coefficients_ = std::move(location_coefficients);
  scale_coefficients_ = std::move(scale_coefficients);
  has_params_ = true;
  has_data_ = false;
  counts_ = CountMatrix();
}

const CountMatrix& Simulator::GenerateData() {
  if (!has_params_) {
    throw InputError("Simulator::GenerateData", "no parameters", "call GenerateParams or SetParams first");
  }
  const Index n = num_observations();
  const Index p = location_design_.num_parameters();
  const Index p_scale = scale_design_.num_parameters();
  Matrix values = Matrix::from_shape({static_cast<std::size_t>(num_features_), static_cast<std::size_t>(n)});
  // Offsets o_i = log s_i, computed once for all features.
  std::vector<double> offsets(static_cast<std::size_t>(n), 0.0);
  if (has_size_factors()) {
    for (Index i = 0; i < n; ++i) offsets[static_cast<std::size_t>(i)] = std::log(size_factors_(static_cast<std::size_t>(i)));
  }

  // Simulates features [begin, end); stops at the first invalid feature and
  // returns its exception (none when all went well).
  const auto simulate_block = [&](Index begin, Index end) -> std::exception_ptr {
    try {
      for (Index f = begin; f < end; ++f) {
        boost::random::mt19937_64 engine = StreamEngine(options_.seed, StreamPurpose::kData, f);
        const double* a = location_coefficients_.data() + f * p;
        const double* b = scale_coefficients_.data() + f * p_scale;
        double* y = values.data() + f * n;
        for (Index i = 0; i < n; ++i) {
          const double* x = location_design_.values.data() + i * p;
          const double* z = scale_design_.values.data() + i * p_scale;
          double eta = offsets[static_cast<std::size_t>(i)];
          for (Index j = 0; j < p; ++j) eta += x[j] * a[j];
          double zeta = 0.0;
          for (Index j = 0; j < p_scale; ++j) zeta += z[j] * b[j];
          const double mean = std::exp(eta);  // (1)
          const double size = std::exp(zeta);  // (2)
          const auto where = [&]() {
            return "Simulator::GenerateData: feature '" + feature_names_[static_cast<std::size_t>(f)] +
                   "', observation '" + location_design_.observation_names[static_cast<std::size_t>(i)] + "'";
          };
          if (!std::isfinite(mean) || !(mean > 0.0)) {
            throw InputError(where(), "mean " + FormatDouble(mean),
                             "s*exp(x'a) must be finite and positive (log-mean " + FormatDouble(eta) + ")");
          }
          if (!std::isfinite(size) || !(size > 0.0)) {
            throw InputError(where(), "size " + FormatDouble(size),
                             "exp(z'b) must be finite and positive (log-size " + FormatDouble(zeta) + ")");
          }
          const double rate = boost::random::gamma_distribution<double>(size, mean / size)(engine);
          if (rate > kMaxSimulatedRate) {
            throw InputError(where(), "Poisson rate " + FormatDouble(rate),
                             "exceeds 1e9: counts could overflow 2147483647 (mean " + FormatDouble(mean) + ", size " +
                                 FormatDouble(size) + ")");
          }
          // A rate that underflowed to 0 (tiny size r) means a count of 0;
          // Boost's Poisson requires a positive mean.
          y[i] = rate > 0.0
                     ? static_cast<double>(boost::random::poisson_distribution<std::int64_t, double>(rate)(engine))
                     : 0.0;
        }
      }
    } catch (...) {
      return std::current_exception();
    }
    return nullptr;
  };

  const Index num_threads = std::min<Index>(options_.num_threads, num_features_);
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(num_threads));
  if (num_threads == 1) {
    failures[0] = simulate_block(0, num_features_);
  } else {
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(num_threads));
    for (Index t = 0; t < num_threads; ++t) {
      const Index begin = num_features_ * t / num_threads;
      const Index end = num_features_ * (t + 1) / num_threads;
      threads.emplace_back([&failures, &simulate_block, t, begin, end]() {
        failures[static_cast<std::size_t>(t)] = simulate_block(begin, end);
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  // Blocks are contiguous and in order, so the first failing block holds the
  // first failing feature: the same message whatever the thread count.
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  counts_ = CountMatrix::FromDense(std::move(values), feature_names_, location_design_.observation_names, "simulator");
  has_data_ = true;
  return counts_;
}

const Matrix& Simulator::location_coefficients() const {
  if (!has_params_) throw InputError("Simulator::location_coefficients", "no parameters", "call GenerateParams or SetParams first");
  return location_coefficients_;
}

const Matrix& Simulator::scale_coefficients() const {
  if (!has_params_) throw InputError("Simulator::scale_coefficients", "no parameters", "call GenerateParams or SetParams first");
  return scale_coefficients_;
}

const CountMatrix& Simulator::counts() const {
  if (!has_data_) throw InputError("Simulator::counts", "no data", "call GenerateData first");
  return counts_;
}

void WriteSimulation(const std::string& out_dir, const Simulator& simulator) {
  if (!simulator.has_data()) throw InputError("WriteSimulation", "no data", "call GenerateData first");
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error || !std::filesystem::is_directory(out_dir)) {
    throw InputError(out_dir, "cannot create directory", error ? error.message() : "a file of that name exists");
  }
  const std::filesystem::path dir(out_dir);
  const auto path = [&dir](const char* name) { return (dir / name).string(); };
  WriteMatrixMarket(path("counts.mtx"), simulator.counts());
  WriteFileAtomically(path("true_loc_coef.tsv"),
                      CoefficientTsv(simulator.feature_names(), simulator.location_design().parameter_names,
                                     simulator.location_coefficients()));
  WriteFileAtomically(path("true_scale_coef.tsv"),
                      CoefficientTsv(simulator.feature_names(), simulator.scale_design().parameter_names,
                                     simulator.scale_coefficients()));
  WriteFileAtomically(path("loc_design.tsv"), DesignToTsv(simulator.location_design()));
  WriteFileAtomically(path("scale_design.tsv"), DesignToTsv(simulator.scale_design()));
  if (simulator.has_size_factors()) {
    std::ostringstream out;
    out << "observation\tsize_factor\n";
    const std::vector<std::string>& names = simulator.location_design().observation_names;
    for (std::size_t i = 0; i < names.size(); ++i) out << names[i] << '\t' << FormatDouble(simulator.size_factors()(i)) << '\n';
    WriteFileAtomically(path("size_factors.tsv"), out.str());
  }
}

}  // namespace nbglm
