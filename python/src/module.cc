// nbglm._core: the Python extension (docs/python.md). A thin layer over the
// commands library — the very code paths of `nbglm fit`, `test`, `de` and
// `pseudobulk` — so that Python and the command line give the same numbers.
// The package's Python code (python/nbglm/) turns AnnData, numpy and scipy
// inputs into the plain arguments taken here and the results into pandas.
//
// Counts are read in place: the arrays' buffers are described by a
// CountArrayView, never copied whole. The GIL is released while C++ works;
// SIGINT (Ctrl-C) cancels a fit or a DE run between features and raises
// KeyboardInterrupt; caller mistakes (InputError) raise ValueError with the
// message the command line prints.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cli/de_run.h"
#include "cli/fit_run.h"
#include "cli/model_options.h"
#include "cli/test_run.h"
#include "nbglm/count_view.h"
#include "nbglm/counts_io.h"
#include "nbglm/de.h"
#include "nbglm/design.h"
#include "nbglm/simulator.h"
#include "nbglm/size_factors.h"
#include "nbglm/error.h"
#include "nbglm/fit.h"
#include "nbglm/pseudobulk.h"
#include "nbglm/sample_table.h"
#include "nbglm/table.h"
#include "nbglm/version.h"

namespace py = pybind11;

namespace nbglm::python {
namespace {

// ---------------------------------------------------------------------------
// Arguments

ElementType ElementTypeOf(const py::array& array, const std::string& what) {
  const char kind = array.dtype().kind();
  const auto size = array.dtype().itemsize();
  if (kind == 'f' && size == 4) return ElementType::kFloat32;
  if (kind == 'f' && size == 8) return ElementType::kFloat64;
  if (kind == 'i' && size == 1) return ElementType::kInt8;
  if (kind == 'i' && size == 2) return ElementType::kInt16;
  if (kind == 'i' && size == 4) return ElementType::kInt32;
  if (kind == 'i' && size == 8) return ElementType::kInt64;
  if (kind == 'u' && size == 1) return ElementType::kUint8;
  if (kind == 'u' && size == 2) return ElementType::kUint16;
  if (kind == 'u' && size == 4) return ElementType::kUint32;
  if (kind == 'u' && size == 8) return ElementType::kUint64;
  if (kind == 'b') return ElementType::kUint8;
  throw InputError(what, "dtype " + std::string(py::str(array.dtype())), "counts are stored as integers or floats");
}

const void* DataOf(const py::array& array, const std::string& what) {
  if (!(array.flags() & py::array::c_style)) {
    throw InputError(what, "a strided array", "the Python layer passes contiguous arrays (a bug if seen)");
  }
  return array.data();
}

// Counts described by the package's _counts.py: layout, shape, arrays,
// names. The arrays are kept alive in `keep` while the view is used.
CountArrayView ViewOf(const py::dict& counts, std::vector<py::array>* keep) {
  CountArrayView view;
  const std::string layout = counts["layout"].cast<std::string>();
  view.what = counts["what"].cast<std::string>();
  view.num_features = counts["n_features"].cast<Index>();
  view.num_observations = counts["n_obs"].cast<Index>();
  view.feature_names = counts["feature_names"].cast<std::vector<std::string>>();
  view.observation_names = counts["obs_names"].cast<std::vector<std::string>>();
  const py::array values = counts["data"].cast<py::array>();
  keep->push_back(values);
  view.values = DataOf(values, view.what);
  view.value_type = ElementTypeOf(values, view.what);
  if (layout == "dense_obs_rows" || layout == "dense_feature_rows") {
    view.layout = layout == "dense_obs_rows" ? CountArrayView::Layout::kDenseObservationRows
                                             : CountArrayView::Layout::kDenseFeatureRows;
    if (values.size() != view.num_features * view.num_observations) {
      throw InputError(view.what, std::to_string(values.size()) + " values", "the shape does not match (a bug if seen)");
    }
    return view;
  }
  if (layout != "by_obs" && layout != "by_feature") throw InputError(view.what, layout, "unknown layout (a bug if seen)");
  view.layout = layout == "by_obs" ? CountArrayView::Layout::kCompressedByObservation
                                   : CountArrayView::Layout::kCompressedByFeature;
  const py::array indices = counts["indices"].cast<py::array>();
  const py::array indptr = counts["indptr"].cast<py::array>();
  keep->push_back(indices);
  keep->push_back(indptr);
  view.num_entries = static_cast<std::int64_t>(values.size());
  if (static_cast<std::int64_t>(indices.size()) != view.num_entries) {
    throw InputError(view.what + ".indices", std::to_string(indices.size()) + " indices",
                     view.what + ".data has " + std::to_string(view.num_entries) + " values");
  }
  const Index major = layout == "by_obs" ? view.num_observations : view.num_features;
  if (static_cast<Index>(indptr.size()) != major + 1) {
    throw InputError(view.what + ".indptr", std::to_string(indptr.size()) + " offsets",
                     "expected " + std::to_string(major + 1));
  }
  view.indices = DataOf(indices, view.what + ".indices");
  view.index_type = ElementTypeOf(indices, view.what + ".indices");
  view.offsets = DataOf(indptr, view.what + ".indptr");
  view.offset_type = ElementTypeOf(indptr, view.what + ".indptr");
  return view;
}

// A sample sheet from the package's _inputs.py: {"what", "index_name",
// "names", "columns": [(name, [text…])], "categories": {name: [levels…]}}.
// A str is a TSV/CSV/.h5ad path, read as --samples reads it.
std::shared_ptr<const SampleSheetText> SheetOf(const py::object& object) {
  if (object.is_none()) return nullptr;
  if (py::isinstance<py::str>(object)) {
    const std::string path = object.cast<std::string>();
    py::gil_scoped_release release;
    return std::make_shared<SampleSheetText>(ReadSampleSheetText(path));
  }
  const py::dict sheet = object.cast<py::dict>();
  auto text = std::make_shared<SampleSheetText>();
  TextTable& table = text->table;
  table.path = sheet["what"].cast<std::string>();
  table.header.push_back(sheet["index_name"].cast<std::string>());
  const auto names = sheet["names"].cast<std::vector<std::string>>();
  table.rows.resize(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    table.rows[i].push_back(names[i]);
    table.line_numbers.push_back(i + 1);
  }
  for (const auto& item : sheet["columns"].cast<py::list>()) {
    const auto column = item.cast<std::pair<std::string, std::vector<std::string>>>();
    if (column.second.size() != names.size()) {
      throw InputError(table.path, "column '" + column.first + "'", "has another length than the index (a bug if seen)");
    }
    table.header.push_back(column.first);
    for (std::size_t i = 0; i < names.size(); ++i) table.rows[i].push_back(column.second[i]);
  }
  for (const auto& [name, levels] : sheet["categories"].cast<py::dict>()) {
    text->categories.emplace_back(name.cast<std::string>(), levels.cast<std::vector<std::string>>());
  }
  return text;
}

template <typename T>
T Get(const py::dict& d, const char* key, T fallback) {
  return d.contains(key) && !d[key].is_none() ? d[key].cast<T>() : fallback;
}

// The model options (formulas, designs, constraints, nesting, references,
// subset) named as the command line names them.
cli::ModelOptions ModelOf(const py::dict& model, std::shared_ptr<const SampleSheetText> sheet) {
  cli::ModelOptions options;
  options.loc_formula = Get<std::string>(model, "loc", "");
  options.loc_design = Get<std::string>(model, "loc_design", "");
  options.loc_constraints = Get<std::string>(model, "loc_constraints", "");
  options.loc_nested = Get<std::vector<std::string>>(model, "loc_nested", {});
  options.scale_formula = Get<std::string>(model, "scale", "");
  options.scale_design = Get<std::string>(model, "scale_design", "");
  options.scale_constraints = Get<std::string>(model, "scale_constraints", "");
  options.scale_nested = Get<std::vector<std::string>>(model, "scale_nested", {});
  options.reference_levels = Get<std::vector<std::string>>(model, "ref", {});
  options.subset = Get<std::vector<std::string>>(model, "subset", {});
  if (sheet) {
    options.samples = sheet->table.path;
    options.sample_sheet = std::move(sheet);
  }
  return options;
}

// ---------------------------------------------------------------------------
// Interrupts and progress

std::atomic<bool> g_interrupted{false};
extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

// Catches SIGINT while C++ runs without the GIL (Python's own handler would
// only set a flag that nothing reads until the call returns).
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted.store(false);
    previous_ = std::signal(SIGINT, OnInterrupt);
  }
  ~InterruptScope() { std::signal(SIGINT, previous_); }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  void (*previous_)(int) = SIG_DFL;
};

// Calls a Python progress(done, total) at most every 0.1 s and at the end,
// from whichever thread reports, holding the GIL only for the call.
class ProgressRelay {
 public:
  explicit ProgressRelay(py::object callback) : callback_(std::move(callback)) {}
  std::function<void(Index, Index)> Function() {
    if (callback_.is_none()) return nullptr;
    return [this](Index done, Index total) {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
      last_ = now;
      py::gil_scoped_acquire gil;
      callback_(done, total);
    };
  }

 private:
  py::object callback_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
};

// ---------------------------------------------------------------------------
// Results as numpy

py::array_t<double> ToNumpy(const Matrix& m) {
  py::array_t<double> out({m.shape(0), m.shape(1)});
  std::copy(m.begin(), m.end(), out.mutable_data());
  return out;
}

// A std::vector<double> or a Vector.
template <typename Values>
py::array_t<double> ToNumpy(const Values& v) {
  py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// A fit held for tests: the model and the collected result.
struct FitHandle {
  NbGlmModel model;
  FitResult result;
  Vector size_factors;
  std::string report;
  cli::ModelOptions options;  // to build a reduced model for a likelihood-ratio test
  bool cox_reid = false;
  Algorithm algorithm = Algorithm::kNewton;
  Noise noise = Noise::kNegativeBinomial;
};

py::dict FitArrays(const FitHandle& h) {
  const FitResult& r = h.result;
  py::dict out;
  out["feature_names"] = r.feature_names;
  out["loc_names"] = r.location_names;
  out["scale_names"] = r.scale_names;
  out["loc_coef"] = ToNumpy(r.location_coef);
  out["scale_coef"] = ToNumpy(r.scale_coef);
  out["loc_se"] = ToNumpy(r.location_se);
  out["scale_se"] = ToNumpy(r.scale_se);
  out["loglik"] = ToNumpy(r.loglik);
  std::vector<std::string> status;
  for (const FeatureStatus s : r.status) status.push_back(ToString(s));
  out["status"] = status;
  out["iterations"] = r.iterations;
  out["location_trained"] = std::vector<int>(r.location_trained.begin(), r.location_trained.end());
  out["scale_trained"] = std::vector<int>(r.scale_trained.begin(), r.scale_trained.end());
  out["size_factors"] = ToNumpy(h.size_factors);
  out["obs_names"] = h.model.location.design.observation_names;
  out["report"] = h.report;
  return out;
}

py::dict TestArrays(const TestResult& r) {
  py::dict out;
  out["feature_names"] = r.feature_names;
  out["estimate"] = ToNumpy(r.estimate);
  out["se"] = ToNumpy(r.se);
  out["statistic"] = ToNumpy(r.statistic);
  out["pvalue"] = ToNumpy(r.pvalue);
  out["padj"] = ToNumpy(r.padj);
  out["status"] = r.status;
  return out;
}

// A contrast {name: weight} as the table a --contrast file reads as; the
// weights round-trip exactly through their shortest text.
TextTable ContrastTable(const py::dict& weights) {
  TextTable table;
  table.path = "contrast";
  table.rows.emplace_back();
  table.line_numbers.push_back(2);
  for (const auto& [name, weight] : weights) {
    table.header.push_back(name.cast<std::string>());
    table.rows[0].push_back(FormatDouble(weight.cast<double>()));
  }
  return table;
}

// ---------------------------------------------------------------------------
// Entry points

std::shared_ptr<FitHandle> RunFit(const py::dict& counts, const py::object& sheet, const py::dict& model,
                                  const py::dict& options, const py::object& progress) {
  std::vector<py::array> keep;
  const CountArrayView view = ViewOf(counts, &keep);
  cli::FitRequest request;
  request.model = ModelOf(model, SheetOf(sheet));
  const py::object size_factors = options["size_factors"];
  if (py::isinstance<py::str>(size_factors)) {
    request.size_factors = size_factors.cast<std::string>();
  } else if (!size_factors.is_none()) {
    const auto given = size_factors.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
    request.given_size_factors = Vector::from_shape({static_cast<std::size_t>(given.size())});
    std::copy(given.data(), given.data() + given.size(), request.given_size_factors.begin());
  }
  request.fit.algorithm = ParseAlgorithm(Get<std::string>(options, "algorithm", "newton"));
  request.fit.noise = ParseNoise(Get<std::string>(options, "noise", "nb"));
  request.fit.num_threads = Get<int>(options, "threads", 0);
  if (request.fit.num_threads < 0) {
    throw InputError("threads", std::to_string(request.fit.num_threads), "must be >= 1 (None for all cores)");
  }
  request.fit.max_iterations = Get<int>(options, "max_iterations", request.fit.max_iterations);
  request.fit.function_tolerance = Get<double>(options, "function_tolerance", request.fit.function_tolerance);
  request.fit.gradient_tolerance = Get<double>(options, "gradient_tolerance", request.fit.gradient_tolerance);
  const std::string scale_estimate = Get<std::string>(options, "scale_estimate", "mle");
  if (scale_estimate != "mle" && scale_estimate != "cox-reid") {
    throw InputError("scale_estimate", scale_estimate, "must be mle or cox-reid");
  }
  request.cox_reid = scale_estimate == "cox-reid";
  const int budget = Get<int>(options, "memory_budget", 4096);
  if (budget < 1) throw InputError("memory_budget", std::to_string(budget), "must be >= 1 (MiB)");
  request.chunk_bytes = static_cast<std::int64_t>(budget) * (1 << 20) / 2;
  request.fit.cancel = [] { return g_interrupted.load(); };
  ProgressRelay relay(progress);
  auto handle = std::make_shared<FitHandle>();
  {
    py::gil_scoped_release release;
    InterruptScope interrupts;
    NbGlmModel built = request.model.Build(/*require_identifiable=*/true);
    const CountReader reader(view);
    const cli::FitRun run = cli::PrepareFit(request, std::move(built), reader, view.what);
    handle->result = cli::CollectFit(run, request, reader, relay.Function());
    handle->model = run.model;
    handle->options = request.model;
    handle->cox_reid = request.cox_reid;
    handle->algorithm = request.fit.algorithm;
    handle->noise = request.fit.noise;
    handle->size_factors = run.size_factors;
    handle->report = FormatFitReport(handle->result.num_features(), handle->result.algorithm,
                                     handle->result.num_threads, handle->result.wall_seconds,
                                     handle->result.StatusCounts(), run.chunks.size());
  }
  return handle;
}

py::dict RunTest(const FitHandle& handle, const py::object& coef, const py::object& contrast) {
  if (coef.is_none() == contrast.is_none()) {
    throw InputError("test", coef.is_none() ? "neither coef nor contrast" : "both coef and contrast",
                     "give exactly one: coef=NAME or contrast={NAME: weight, …}");
  }
  const TestResult result = coef.is_none()
                                ? cli::TestContrast(handle.result, handle.model, ContrastTable(contrast.cast<py::dict>()))
                                : cli::TestCoefficient(handle.result, handle.model, coef.cast<std::string>());
  return TestArrays(result);
}

// The likelihood-ratio test against a reduced model refitted on the same
// counts (passed again by the package, which keeps them with the fit).
py::dict RunLikelihoodRatio(const FitHandle& handle, const py::dict& counts, const py::dict& reduced, int threads) {
  if (handle.cox_reid) {
    throw InputError("test", "scale_estimate cox-reid",
                     "a likelihood-ratio test needs maximum-likelihood fits: refit with scale_estimate=\"mle\", or "
                     "test with nbglm.de(reduced_loc=…) (both models at the same dispersions)");
  }
  cli::ReducedModelOptions options;
  options.loc.formula = Get<std::string>(reduced, "reduced_loc", "");
  options.loc.design = Get<std::string>(reduced, "reduced_loc_design", "");
  options.loc.constraints = Get<std::string>(reduced, "reduced_loc_constraints", "");
  options.loc.nested = Get<std::vector<std::string>>(reduced, "reduced_loc_nested", {});
  options.scale.formula = Get<std::string>(reduced, "reduced_scale", "");
  options.scale.design = Get<std::string>(reduced, "reduced_scale_design", "");
  std::vector<py::array> keep;
  const CountArrayView view = ViewOf(counts, &keep);
  TestResult result;
  {
    py::gil_scoped_release release;
    const cli::ModelOptions reduced_options = cli::ReducedModelOptionsFrom(handle.options, options);
    result = cli::RefitLikelihoodRatio(
        handle.result, handle.model, handle.model, handle.options, reduced_options,
        [&view] {
          const CountReader reader(view);
          return reader.Read(0, reader.num_features());
        },
        view.what, [&handle](const NbGlmModel&) { return handle.size_factors; }, handle.algorithm, threads,
        handle.noise);
  }
  return TestArrays(result);
}

py::dict RunDe(const py::dict& counts, const py::object& sheet, const py::dict& model, const py::dict& options) {
  std::vector<py::array> keep;
  const CountArrayView view = ViewOf(counts, &keep);
  cli::DeRequest request;
  request.model = ModelOf(model, SheetOf(sheet));
  request.coef = Get<std::string>(options, "coef", "");
  request.reduced_loc = Get<std::string>(options, "reduced_loc", "");
  request.reduced_loc_design = Get<std::string>(options, "reduced_loc_design", "");
  if (options.contains("contrast") && !options["contrast"].is_none()) {
    request.contrast = "contrast";
    request.contrast_table = ContrastTable(options["contrast"].cast<py::dict>());
  }
  request.size_factors = Get<std::string>(options, "size_factors", "auto");
  request.de.method = ParseDeMethod(Get<std::string>(options, "method", "ql"), "method");
  request.de.dispersion = ParseDispersionMethod(Get<std::string>(options, "dispersion", "shrunk"), "dispersion");
  const std::string filter = Get<std::string>(options, "filter", "expr");
  if (filter != "expr" && filter != "none") throw InputError("filter", filter, "must be expr or none");
  request.de.filter = filter == "expr";
  request.de.num_threads = Get<int>(options, "threads", 0);
  std::string error;
  if (!request.de.IsValid(&error)) throw InputError(error);
  cli::CheckDeHypothesis(request);
  request.de.cancel = [] { return g_interrupted.load(); };
  cli::DeRun run;
  {
    py::gil_scoped_release release;
    InterruptScope interrupts;
    run = cli::RunDe(request, [&view] { return CountReader(view); }, view.what);
  }
  const DeResult& r = run.result;
  py::dict out;
  out["feature_names"] = r.feature_names;
  for (const auto& [name, values] :
       std::vector<std::pair<const char*, const std::vector<double>*>>{{"base_mean", &r.base_mean},
                                                                       {"estimate", &r.estimate},
                                                                       {"log2_fold_change", &r.log2_fold_change},
                                                                       {"se", &r.se},
                                                                       {"statistic", &r.statistic},
                                                                       {"df1", &r.df1},
                                                                       {"df2", &r.df2},
                                                                       {"pvalue", &r.pvalue},
                                                                       {"padj", &r.padj},
                                                                       {"dispersion", &r.dispersion}}) {
    out[name] = ToNumpy(*values);
  }
  out["status"] = r.status;
  out["report"] = r.BriefReport() + "; size factors " + run.size_factor_method;
  return out;
}

py::dict RunPseudobulk(const py::dict& counts, const py::object& sheet, const std::vector<std::string>& by) {
  std::vector<py::array> keep;
  const CountArrayView view = ViewOf(counts, &keep);
  const auto text = SheetOf(sheet);
  if (!text) throw InputError("samples", "none", "pseudobulk needs one row per cell (obs)");
  PseudobulkResult result;
  {
    py::gil_scoped_release release;
    const CountReader reader(view);
    const CountMatrix cells = reader.Read(0, reader.num_features());
    result = Pseudobulk(cells, MakeSampleTable(*text), by);
  }
  const CountMatrix& sums = result.counts;
  py::array_t<double> matrix({static_cast<py::ssize_t>(sums.num_features()), static_cast<py::ssize_t>(sums.num_observations())});
  for (Index f = 0; f < sums.num_features(); ++f) sums.CopyFeature(f, matrix.mutable_data() + f * sums.num_observations());
  py::dict out;
  out["counts"] = matrix;
  out["feature_names"] = sums.feature_names();
  out["group_names"] = sums.observation_names();
  out["samples_tsv"] = result.SamplesTsv();
  out["dropped_columns"] = result.dropped_columns;
  return out;
}

// `nbglm convert`: the counts (in place) written as a feature-major .h5ad.
void RunConvert(const py::dict& counts, const std::string& out, std::int64_t chunk_bytes) {
  std::vector<py::array> keep;
  const CountArrayView view = ViewOf(counts, &keep);
  py::gil_scoped_release release;
  const CountReader reader(view);
  WriteFeatureMajorH5ad(reader, out, chunk_bytes);
}

// `nbglm check-design`: the rank check of the location (and scale) model,
// the text report and the JSON of --json.
py::dict RunCheckDesign(const py::object& sheet, const py::dict& model) {
  const cli::ModelOptions options = ModelOf(model, SheetOf(sheet));
  const NbGlmModel built = options.Build(/*require_identifiable=*/false);
  py::dict out;
  out["loc"] = built.location.identifiability.ToJson();
  out["scale"] = options.has_scale_design() ? py::object(py::str(built.scale.identifiability.ToJson())) : py::none();
  std::string report = built.location.identifiability.Report("location");
  if (options.has_scale_design()) report += built.scale.identifiability.Report("scale");
  out["report"] = report;
  return out;
}

// A design from the package: observation names, parameter names, values
// (observations × parameters, row-major doubles).
Design DesignOf(const py::dict& design, const std::string& what) {
  const auto values = design["values"].cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
  if (values.ndim() != 2) throw InputError(what, std::to_string(values.ndim()) + "-D", "a design is 2-D");
  Matrix matrix = Matrix::from_shape({static_cast<std::size_t>(values.shape(0)), static_cast<std::size_t>(values.shape(1))});
  std::copy(values.data(), values.data() + values.size(), matrix.begin());
  Design out = MakeDesign(std::move(matrix), design["parameter_names"].cast<std::vector<std::string>>(),
                          design["observation_names"].cast<std::vector<std::string>>());
  return out;
}

// `nbglm simulate`: batchglm's simulator; the counts (features × observations,
// dense) and the true coefficients.
py::dict RunSimulate(Index features, const py::object& loc_design, const py::object& scale_design,
                     const py::object& size_factors, unsigned long long seed, int threads) {
  if (features <= 0) throw InputError("features", std::to_string(features), "must be a positive integer");
  if (threads <= 0) throw InputError("threads", std::to_string(threads), "must be a positive integer");
  Design location = py::isinstance<py::str>(loc_design) ? ReadDesign(loc_design.cast<std::string>())
                                                         : DesignOf(loc_design.cast<py::dict>(), "loc_design");
  Design scale = scale_design.is_none()                 ? InterceptDesign(location.observation_names)
                 : py::isinstance<py::str>(scale_design) ? ReadDesign(scale_design.cast<std::string>())
                                                         : DesignOf(scale_design.cast<py::dict>(), "scale_design");
  Vector factors;
  if (py::isinstance<py::str>(size_factors)) {
    factors = ReadSizeFactors(size_factors.cast<std::string>(), location.observation_names);
  } else if (!size_factors.is_none()) {
    const auto given = size_factors.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
    factors = Vector::from_shape({static_cast<std::size_t>(given.size())});
    std::copy(given.data(), given.data() + given.size(), factors.begin());
  }
  SimulatorOptions options;
  options.seed = seed;
  options.num_threads = threads;
  py::dict out;
  {
    py::gil_scoped_release release;
    Simulator simulator(features, std::move(location), std::move(scale), factors, options);
    simulator.GenerateParams();
    simulator.GenerateData();
    const CountMatrix& counts = simulator.counts();
    py::gil_scoped_acquire gil;
    py::array_t<double> matrix({static_cast<py::ssize_t>(counts.num_features()),
                                static_cast<py::ssize_t>(counts.num_observations())});
    for (Index f = 0; f < counts.num_features(); ++f) {
      counts.CopyFeature(f, matrix.mutable_data() + f * counts.num_observations());
    }
    out["counts"] = matrix;
    out["feature_names"] = counts.feature_names();
    out["obs_names"] = counts.observation_names();
    out["loc_names"] = simulator.location_design().parameter_names;
    out["scale_names"] = simulator.scale_design().parameter_names;
    out["true_loc_coef"] = ToNumpy(simulator.location_coefficients());
    out["true_scale_coef"] = ToNumpy(simulator.scale_coefficients());
  }
  return out;
}

}  // namespace
}  // namespace nbglm::python

PYBIND11_MODULE(_core, m) {
  using namespace nbglm::python;  // NOLINT: the entry points of this file
  m.doc() = "nbglm's C++ core; use the nbglm package, not this module";
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const nbglm::FitCancelled&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    } catch (const nbglm::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  py::class_<FitHandle, std::shared_ptr<FitHandle>>(m, "FitHandle").def("arrays", &FitArrays);
  m.def("version", &nbglm::Version, "The C++ library's version, MAJOR.MINOR.PATCH.");
  m.def("fit", &RunFit, py::arg("counts"), py::arg("sheet"), py::arg("model"), py::arg("options"),
        py::arg("progress") = py::none());
  m.def("test", &RunTest, py::arg("fit"), py::arg("coef") = py::none(), py::arg("contrast") = py::none());
  m.def("likelihood_ratio", &RunLikelihoodRatio, py::arg("fit"), py::arg("counts"), py::arg("reduced"),
        py::arg("threads") = 0);
  m.def("de", &RunDe, py::arg("counts"), py::arg("sheet"), py::arg("model"), py::arg("options"));
  m.def("check_design", &RunCheckDesign, py::arg("sheet"), py::arg("model"));
  m.def("simulate", &RunSimulate, py::arg("features"), py::arg("loc_design"), py::arg("scale_design"),
        py::arg("size_factors"), py::arg("seed"), py::arg("threads"));
  m.def("pseudobulk", &RunPseudobulk, py::arg("counts"), py::arg("sheet"), py::arg("by"));
  m.def("convert", &RunConvert, py::arg("counts"), py::arg("out"), py::arg("chunk_bytes"));
  // Numbers of a sample sheet as the command line types them from an .h5ad
  // obs (FormatDouble's shortest round-trip text; NaN is missing), so that
  // labels made from numbers ("dose1e+15") are the same in both.
  m.def("format_numbers", [](const py::array_t<double, py::array::c_style | py::array::forcecast>& values) {
    std::vector<std::string> text;
    text.reserve(static_cast<std::size_t>(values.size()));
    for (py::ssize_t k = 0; k < values.size(); ++k) {
      const double value = values.data()[k];
      text.push_back(std::isnan(value) ? std::string("NA") : nbglm::FormatDouble(value));
    }
    return text;
  }, py::arg("values"));
}
