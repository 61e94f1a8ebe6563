// Fit outputs (nbglm/fit_output.h, docs/formats.md "fit outputs"): the files'
// layout, WriteFitOutputs → ReadFitOutputs restoring every value bit for bit
// (NaN, ±Inf, −0, subnormals), chunked writing, and the refusals of malformed
// directories with messages naming file, value and rule.
#include "nbglm/fit_output.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <xtensor/xview.hpp>

#include "cli_runner.h"
#include "nbglm/error.h"
#include "nbglm/table.h"

namespace nbglm {
namespace {

using testing::MakeTempDir;
using testing::ReadWholeFile;
using testing::WriteText;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Location (Intercept), rep1, rep2 with rep2 = −rep1 through a basis whose
// second column is not a unit row (so θ_1 is "theta_1"); scale (Intercept),
// depth with the identity.
NbGlmModel Model() {
  const std::vector<std::string> observations = {"a", "b", "c", "d"};
  Matrix x = {{1, 1, 0}, {1, 0, 1}, {1, 1, 0}, {1, 0, 1}};
  const Design location = MakeDesign(x, {"(Intercept)", "rep1", "rep2"}, observations);
  Matrix basis = {{1, 0}, {0, 0.5}, {0, -0.5}};
  Matrix z = {{1, 0.5}, {1, 1.5}, {1, 2.0}, {1, 3.5}};
  const Design scale = MakeDesign(z, {"(Intercept)", "depth"}, observations);
  return MakeModel(MakeLinearPredictor(location, ConstraintBasis::FromMatrix(basis, location.parameter_names, "B"), "loc"),
                   MakeLinearPredictor(scale, ConstraintBasis::Identity(scale.parameter_names), "scale"));
}

// Five features, one per status, with values that must read back exactly.
FitResult Result(const NbGlmModel& model) {
  FitResult r;
  r.feature_names = {"g1", "g2", "gene three", "g4", "g5"};
  r.location_names = model.location.design.parameter_names;
  r.scale_names = model.scale.design.parameter_names;
  r.location_coef = {{0.1, -0.0, 1.0 / 3.0}, {kNaN, kInf, -kInf}, {4.9e-324, 1.7976931348623157e308, -2.5e-310},
                     {1e-20, 123456789.123456789, -7.0}, {2.0, 0.0, -2.0}};
  r.scale_coef = {{0.5, -1.25}, {kInf, kNaN}, {2.2250738585072014e-308, 3.0}, {-1.0, 1.0}, {0.0, 1e300}};
  r.location_se = {{0.01, 0.02, 0.02}, {kNaN, kNaN, kNaN}, {0.3, 0.0, 0.0}, {1.0, 2.0, 3.0}, {0.5, 0.25, 0.125}};
  r.scale_se = {{0.7, 0.8}, {kNaN, kNaN}, {0.1, 0.2}, {1.1, 1.2}, {9.0, 8.0}};
  r.reduced_covariance = xt::xtensor<double, 3>::from_shape({5, 4, 4});
  for (std::size_t f = 0; f < 5; ++f) {
    for (std::size_t j = 0; j < 4; ++j) {
      for (std::size_t k = j; k < 4; ++k) {
        const double v = f == 1 && k == 3 ? kNaN : (1.0 + f) / (3.0 + j + 7.0 * k);
        r.reduced_covariance(f, j, k) = v;
        r.reduced_covariance(f, k, j) = v;
      }
    }
  }
  r.loglik = {-12.5, kNaN, -1e-300, 0.1, -kInf};
  r.status = {FeatureStatus::kConverged, FeatureStatus::kAllZero, FeatureStatus::kAtBound,
              FeatureStatus::kMaxIterations, FeatureStatus::kNumericalFailure};
  r.iterations = {7, 0, 2147483647, 200, 3};
  r.location_trained = {1, 0, 1, 1, 0};
  r.scale_trained = {0, 0, 1, 1, 1};
  r.algorithm = Algorithm::kCeres;
  r.num_threads = 3;
  r.wall_seconds = 0.125;
  r.feature_begin = 7;
  return r;
}

FitRunInfo Info() {
  FitRunInfo info;
  info.counts_path = "data/counts.tsv";
  info.command_line = "nbglm fit --counts data/counts.tsv --out fit";
  info.extra = {{"size_factors", "none"}};
  info.inputs = {{"counts", "/abs/data/counts.tsv"}, {"loc_design", ""}, {"algorithm", "ceres"}};
  info.input_lists = {{"ref", {"condition=untreated", "cell=N61311"}}, {"loc_nested", {}}};
  info.files = {{"size_factors.tsv", "observation\tsize_factor\na\t1.5\n"}};
  return info;
}

// Same value, bit for bit (any NaN reads as NaN).
void ExpectSame(double read, double written, const std::string& what) {
  if (std::isnan(written)) {
    EXPECT_TRUE(std::isnan(read)) << what;
  } else {
    EXPECT_EQ(std::memcmp(&read, &written, sizeof(double)), 0) << what << ": " << read << " vs " << written;
  }
}

template <typename Tensor>
void ExpectSameValues(const Tensor& read, const Tensor& written, const std::string& what) {
  ASSERT_EQ(read.shape(), written.shape()) << what;
  for (std::size_t k = 0; k < written.size(); ++k) ExpectSame(read.data()[k], written.data()[k], what);
}

class FitOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("fit_output");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  // A complete fit directory `name`; returns its path.
  std::string Written(const std::string& name = "fit") {
    WriteFitOutputs(Path(name), Result(model_), model_, Info());
    return Path(name);
  }
  std::string dir_;
  NbGlmModel model_ = Model();
};

TEST_F(FitOutputTest, FilesFollowTheDocumentedLayout) {
  const std::string fit = Written();
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(fit)) names.insert(entry.path().filename().string());
  // Nothing else: the staging directory is gone.
  EXPECT_EQ(names, (std::set<std::string>{"loc_coef.tsv", "scale_coef.tsv", "loc_se.tsv", "scale_se.tsv",
                                          "feature_stats.tsv", "reduced_covariance.tsv", "model.json",
                                          "summary.json", "size_factors.tsv"}));
  EXPECT_EQ(ReadWholeFile(fit + "/feature_stats.tsv"),
            "feature\tloglik\tstatus\titerations\tlocation_trained\tscale_trained\n"
            "g1\t-12.5\tconverged\t7\t1\t0\n"
            "g2\tNaN\tall_zero\t0\t0\t0\n"
            "gene three\t-1e-300\tat_bound\t2147483647\t1\t1\n"
            "g4\t0.1\tmax_iterations\t200\t1\t1\n"
            "g5\t-Inf\tnumerical_failure\t3\t0\t1\n");
  const std::string loc_coef = ReadWholeFile(fit + "/loc_coef.tsv");
  EXPECT_EQ(loc_coef.substr(0, loc_coef.find('\n', loc_coef.find('\n') + 1) + 1),
            "feature\t(Intercept)\trep1\trep2\ng1\t0.1\t-0\t0.3333333333333333\n");
  const std::string scale_se = ReadWholeFile(fit + "/scale_se.tsv");
  EXPECT_EQ(scale_se.substr(0, scale_se.find('\n')), "feature\t(Intercept)\tdepth");
  const std::string covariance = ReadWholeFile(fit + "/reduced_covariance.tsv");
  EXPECT_EQ(covariance.substr(0, covariance.find('\n')),
            "feature\tloc:(Intercept)|loc:(Intercept)\tloc:(Intercept)|loc:theta_1\tloc:(Intercept)|scale:(Intercept)"
            "\tloc:(Intercept)|scale:depth\tloc:theta_1|loc:theta_1\tloc:theta_1|scale:(Intercept)"
            "\tloc:theta_1|scale:depth\tscale:(Intercept)|scale:(Intercept)\tscale:(Intercept)|scale:depth"
            "\tscale:depth|scale:depth");
  EXPECT_EQ(ReadWholeFile(fit + "/size_factors.tsv"), "observation\tsize_factor\na\t1.5\n");

  const nlohmann::json model = nlohmann::json::parse(ReadWholeFile(fit + "/model.json"));
  EXPECT_EQ(model["location"]["parameters"], nlohmann::json({"(Intercept)", "rep1", "rep2"}));
  EXPECT_EQ(model["location"]["reduced_parameters"], nlohmann::json({"(Intercept)", "theta_1"}));
  EXPECT_EQ(model["location"]["basis"], nlohmann::json::parse("[[1, 0], [0, 0.5], [0, -0.5]]"));
  EXPECT_EQ(model["scale"]["reduced_parameters"], nlohmann::json({"(Intercept)", "depth"}));
  const nlohmann::json summary = nlohmann::json::parse(ReadWholeFile(fit + "/summary.json"));
  EXPECT_EQ(summary["features"], 5);
  EXPECT_EQ(summary["feature_begin"], 7);
  EXPECT_EQ(summary["status_counts"], nlohmann::json::parse(R"({"converged": 1, "max_iterations": 1,
      "numerical_failure": 1, "all_zero": 1, "at_bound": 1})"));
  EXPECT_EQ(summary["algorithm"], "ceres");
  EXPECT_EQ(summary["threads"], 3);
  EXPECT_EQ(summary["wall_seconds"], 0.125);
  EXPECT_EQ(summary["observations"], 4);
  EXPECT_EQ(summary["counts"], "data/counts.tsv");
  EXPECT_EQ(summary["size_factors"], "none");
  EXPECT_EQ(summary["inputs"], nlohmann::json::parse(R"({"counts": "/abs/data/counts.tsv", "loc_design": "",
      "algorithm": "ceres", "ref": ["condition=untreated", "cell=N61311"], "loc_nested": []})"));
}

TEST_F(FitOutputTest, ReadBackRestoresEveryValueExactly) {
  const FitResult written = Result(model_);
  NbGlmModel model;
  FitRunInfo info;
  const FitResult read = ReadFitOutputs(Written(), &model, &info);
  EXPECT_EQ(read.feature_names, written.feature_names);
  EXPECT_EQ(read.location_names, written.location_names);
  EXPECT_EQ(read.scale_names, written.scale_names);
  ExpectSameValues(read.location_coef, written.location_coef, "location_coef");
  ExpectSameValues(read.scale_coef, written.scale_coef, "scale_coef");
  ExpectSameValues(read.location_se, written.location_se, "location_se");
  ExpectSameValues(read.scale_se, written.scale_se, "scale_se");
  ExpectSameValues(read.reduced_covariance, written.reduced_covariance, "reduced_covariance");
  ASSERT_EQ(read.loglik.size(), 5u);
  for (std::size_t f = 0; f < 5; ++f) ExpectSame(read.loglik[f], written.loglik[f], "loglik");
  EXPECT_EQ(read.status, written.status);
  EXPECT_EQ(read.iterations, written.iterations);
  EXPECT_EQ(read.location_trained, written.location_trained);
  EXPECT_EQ(read.scale_trained, written.scale_trained);
  EXPECT_EQ(read.algorithm, Algorithm::kCeres);
  EXPECT_EQ(read.num_threads, 3);
  EXPECT_EQ(read.wall_seconds, 0.125);
  EXPECT_EQ(read.feature_begin, 7);

  // The model: names and bases; no design values.
  EXPECT_EQ(model.location.design.parameter_names, model_.location.design.parameter_names);
  EXPECT_EQ(model.location.constraints.reduced_names(), model_.location.constraints.reduced_names());
  ExpectSameValues(model.location.constraints.basis(), model_.location.constraints.basis(), "basis");
  ExpectSameValues(model.scale.constraints.basis(), model_.scale.constraints.basis(), "scale basis");
  EXPECT_EQ(model.location.design.values.shape(0), 0u);
  EXPECT_EQ(model.location.design.values.shape(1), 3u);
  EXPECT_EQ(model.location.reduced_design.shape(1), 2u);
  // The run's context.
  EXPECT_EQ(info.counts_path, "data/counts.tsv");
  EXPECT_EQ(info.command_line, "nbglm fit --counts data/counts.tsv --out fit");
  EXPECT_EQ(info.Input("counts"), "/abs/data/counts.tsv");
  EXPECT_EQ(info.Input("algorithm"), "ceres");
  EXPECT_EQ(info.Input("loc_design"), "");
  EXPECT_EQ(info.Input("absent"), "");
  EXPECT_EQ(info.InputList("ref"), (std::vector<std::string>{"condition=untreated", "cell=N61311"}));
  EXPECT_TRUE(info.InputList("loc_nested").empty());
  EXPECT_EQ(info.inputs.size(), 3u);
  EXPECT_EQ(info.input_lists.size(), 2u);
  // Without the optional outputs.
  EXPECT_EQ(ReadFitOutputs(Path("fit")).feature_names, written.feature_names);
}

TEST_F(FitOutputTest, ChunksAreAppendedAndSummed) {
  const FitResult all = Result(model_);
  FitResult second = all;
  second.feature_names = {"h1", "h2"};
  second.feature_begin = 12;
  second.wall_seconds = 0.25;
  second.location_coef = xt::view(all.location_coef, xt::range(0, 2), xt::all());
  second.scale_coef = xt::view(all.scale_coef, xt::range(0, 2), xt::all());
  second.location_se = xt::view(all.location_se, xt::range(0, 2), xt::all());
  second.scale_se = xt::view(all.scale_se, xt::range(0, 2), xt::all());
  second.reduced_covariance = xt::view(all.reduced_covariance, xt::range(0, 2), xt::all(), xt::all());
  second.loglik.resize(2);
  second.status.resize(2);
  second.iterations.resize(2);
  second.location_trained.resize(2);
  second.scale_trained.resize(2);
  {
    FitOutputWriter writer(Path("chunked"), model_);
    writer.Append(all);
    writer.Append(second);
    EXPECT_EQ(writer.BriefReport(),
              "7 features fitted (ceres, 3 threads, 0.375 s, 2 chunks): converged 2 max_iterations 1 "
              "numerical_failure 1 all_zero 2 at_bound 1");
    writer.Finish(FitRunInfo());
    try {
      writer.Append(second);
      ADD_FAILURE() << "no InputError";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("append before Finish"), std::string::npos) << e.what();
    }
  }
  const FitResult read = ReadFitOutputs(Path("chunked"));
  EXPECT_EQ(read.feature_names, (std::vector<std::string>{"g1", "g2", "gene three", "g4", "g5", "h1", "h2"}));
  EXPECT_EQ(read.feature_begin, 7);  // the first chunk's
  EXPECT_EQ(read.wall_seconds, 0.375);
  ExpectSame(read.location_coef(6, 2), all.location_coef(1, 2), "h2 rep2");
  ExpectSame(read.reduced_covariance(5, 3, 0), all.reduced_covariance(0, 0, 3), "h1 covariance");
  const nlohmann::json summary = nlohmann::json::parse(ReadWholeFile(Path("chunked/summary.json")));
  EXPECT_EQ(summary["status_counts"]["all_zero"], 2);
  EXPECT_EQ(summary["features"], 7);
}

TEST_F(FitOutputTest, AnUnfinishedWriterLeavesNoPartialOutput) {
  { FitOutputWriter(Path("new"), model_).Append(Result(model_)); }
  EXPECT_FALSE(std::filesystem::exists(Path("new")));  // created by the writer: removed again
  std::filesystem::create_directory(Path("existing"));
  WriteText(Path("existing/keep.txt"), "mine");
  { FitOutputWriter(Path("existing"), model_).Append(Result(model_)); }
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(Path("existing"))) {
    left.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(left, std::vector<std::string>{"keep.txt"});
  // A path that cannot be a directory.
  WriteText(Path("file"), "x");
  try {
    WriteFitOutputs(Path("file"), Result(model_), model_, FitRunInfo());
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--out: " + Path("file") + ": cannot"), std::string::npos) << e.what();
  }
}

// Replaces the first `from` in a file by `to` (which must be there).
void Edit(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = ReadWholeFile(path);
  const std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << path;
  WriteText(path, text.replace(at, from.size(), to));
}

TEST_F(FitOutputTest, MalformedDirectoriesAreRefusedNamingFileValueAndRule) {
  struct Case {
    std::function<void(const std::string&)> damage;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](const std::string& d) { std::filesystem::remove(d + "/model.json"); },
       "model.json: missing: a fit directory written by `nbglm fit` holds model.json"},
      {[](const std::string& d) { std::filesystem::remove(d + "/summary.json"); }, "summary.json: missing"},
      {[](const std::string& d) { std::filesystem::remove(d + "/scale_se.tsv"); }, "scale_se.tsv: missing"},
      {[](const std::string& d) { WriteText(d + "/model.json", "{\"location\": "); }, "model.json: not valid JSON"},
      {[](const std::string& d) { Edit(d + "/model.json", "\"scale\"", "\"scales\""); },
       "model.json: \"scale\": needs \"parameters\" and \"reduced_parameters\""},
      {[](const std::string& d) { Edit(d + "/model.json", "\"rep2\"\n", "\"rep2\", \"rep3\"\n"); },
       "\"location\" basis with 3 rows: expected one row per parameter (4)"},
      {[](const std::string& d) { Edit(d + "/model.json", "-0.5\n", "-0.5, 1\n"); },
       "\"location\" basis row 2 with 3 entries: expected one per reduced parameter (2)"},
      {[](const std::string& d) { Edit(d + "/model.json", "\"theta_1\"", "\"rep\""); },
       "\"location\" reduced_parameters: do not match the names its basis implies"},
      {[](const std::string& d) { Edit(d + "/feature_stats.tsv", "loglik\tstatus", "status\tloglik"); },
       "feature_stats.tsv:1: header: must start feature, loglik, status, iterations"},
      {[](const std::string& d) { Edit(d + "/feature_stats.tsv", "converged", "done"); },
       "feature_stats.tsv:2: status 'done': must be one of converged, max_iterations, numerical_failure, "
       "all_zero, at_bound"},
      {[](const std::string& d) { Edit(d + "/feature_stats.tsv", "-12.5", "-12.5x"); },
       "feature_stats.tsv:2: '-12.5x': loglik must be a number (NaN, Inf allowed)"},
      {[](const std::string& d) { Edit(d + "/feature_stats.tsv", "\t200\t", "\t-1\t"); },
       "feature_stats.tsv:5: '-1': iterations must be a non-negative integer"},
      {[](const std::string& d) { Edit(d + "/feature_stats.tsv", "\t2147483647\t", "\t2147483648\t"); },
       "feature_stats.tsv:4: '2147483648': iterations must be a non-negative integer"},
      {[](const std::string& d) { Edit(d + "/feature_stats.tsv", "\t7\t1\t0", "\t7\t1\tyes"); },
       "feature_stats.tsv:2: 'yes': scale_trained must be a non-negative integer"},
      {[](const std::string& d) { Edit(d + "/loc_coef.tsv", "rep1\trep2", "rep2\trep1"); },
       "loc_coef.tsv:1: header with 4 columns: expected 'feature' then the parameters of model.json "
       "((Intercept), rep1, rep2)"},
      {[](const std::string& d) { Edit(d + "/scale_se.tsv", "g4\t1.1\t1.2\n", ""); },
       "scale_se.tsv: 4 features: expected 5 (the rows of feature_stats.tsv)"},
      {[](const std::string& d) { Edit(d + "/loc_se.tsv", "g2\t", "g2b\t"); },
       "loc_se.tsv:3: feature 'g2b': expected 'g2' (the features of feature_stats.tsv, in order)"},
      {[](const std::string& d) { Edit(d + "/scale_coef.tsv", "\t-1.25", "\tInf1"); },
       "scale_coef.tsv:2: 'Inf1': column 'depth' must be a number"},
      {[](const std::string& d) { Edit(d + "/reduced_covariance.tsv", "loc:theta_1|scale:depth", "x|y"); },
       "reduced_covariance.tsv:1: header with 11 columns: expected 'feature' then the reduced parameter pairs"},
      {[](const std::string& d) { Edit(d + "/reduced_covariance.tsv", "\ng1\t", "\ng1\tfoo"); },
       "reduced_covariance.tsv:2: 'foo0.3333333333333333': column 'loc:(Intercept)|loc:(Intercept)' must be a number"},
      {[](const std::string& d) { Edit(d + "/summary.json", "\"features\": 5", "\"features\": 6"); },
       "summary.json: \"features\": 6: expected 5 (the rows of feature_stats.tsv)"},
      {[](const std::string& d) { Edit(d + "/summary.json", "\"threads\": 3", "\"threads\": \"three\""); },
       "summary.json: unexpected value"},
      {[](const std::string& d) { Edit(d + "/summary.json", "\"algorithm\": \"ceres\"", "\"algorithm\": \"lbfgs\""); },
       "lbfgs"},
  };
  int k = 0;
  for (const Case& c : cases) {
    const std::string fit = Written("fit" + std::to_string(k++));
    c.damage(fit);
    try {
      ReadFitOutputs(fit);
      ADD_FAILURE() << "no InputError for: " << c.message;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
    }
  }
  try {
    ReadFitOutputs(Path("absent"));
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(Path("absent") + ": not a directory: expected the output directory"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(FitOutputTest, OlderOutputsWithoutTrainedFlagsReadAsTrained) {
  const std::string fit = Written();
  std::string stats = "feature\tloglik\tstatus\titerations\n";
  const TextTable table = ReadTextTable(fit + "/feature_stats.tsv");
  for (const std::vector<std::string>& row : table.rows) stats += row[0] + "\t" + row[1] + "\t" + row[2] + "\t" + row[3] + "\n";
  WriteText(fit + "/feature_stats.tsv", stats);
  const FitResult read = ReadFitOutputs(fit);
  EXPECT_EQ(read.location_trained, std::vector<std::uint8_t>(5, 1));
  EXPECT_EQ(read.scale_trained, std::vector<std::uint8_t>(5, 1));
  EXPECT_EQ(read.iterations, Result(model_).iterations);
}

}  // namespace
}  // namespace nbglm
