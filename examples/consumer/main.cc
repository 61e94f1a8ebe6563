// A consumer of the installed nbglm library that keeps its data where it
// already is (docs/api.md "Data from where it is"): counts in its own CSR
// arrays (cells × genes, as AnnData and scipy hold them), the design in an
// Eigen matrix. nbglm reads the counts in place through a CountArrayView and
// fits one chunk of genes at a time; this program checks, by counting the
// bytes allocated while fitting, that no copy of the counts was made, then
// reads the results by name and checks them against the simulated truth.
// Exit status 0 when every check holds.
#include <Eigen/Dense>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <nbglm/count_view.h>
#include <nbglm/counts_io.h>
#include <nbglm/design.h>
#include <nbglm/error.h>
#include <nbglm/fit.h>
#include <nbglm/inference.h>
#include <nbglm/model.h>
#include <nbglm/version.h>
#include <xtensor/xadapt.hpp>

// ---- Counting what is allocated: every operator new of the process ----
namespace {
std::atomic<std::int64_t> live_bytes{0};
std::atomic<std::int64_t> peak_bytes{0};
constexpr std::size_t kHeader = alignof(std::max_align_t);

void* Allocate(std::size_t size) {
  void* block = std::malloc(size + kHeader);
  if (block == nullptr) throw std::bad_alloc();
  *static_cast<std::size_t*>(block) = size;
  const std::int64_t now = live_bytes.fetch_add(static_cast<std::int64_t>(size)) + static_cast<std::int64_t>(size);
  std::int64_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return static_cast<char*>(block) + kHeader;
}

void Release(void* pointer) noexcept {
  if (pointer == nullptr) return;
  void* block = static_cast<char*>(pointer) - kHeader;
  live_bytes.fetch_sub(static_cast<std::int64_t>(*static_cast<std::size_t*>(block)));
  std::free(block);
}
}  // namespace

void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void operator delete(void* pointer) noexcept { Release(pointer); }
void operator delete[](void* pointer) noexcept { Release(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { Release(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { Release(pointer); }

namespace {

// The consumer's own storage: cells × genes CSR with float values, int32
// gene indices and int64 row offsets.
struct OwnCsr {
  std::int64_t cells = 0;
  std::int64_t genes = 0;
  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> indices;
  std::vector<float> data;
  std::size_t bytes() const {
    return indptr.size() * sizeof(std::int64_t) + indices.size() * sizeof(std::int32_t) + data.size() * sizeof(float);
  }
};

// Two conditions (odd cells treated); genes below `changed` have a treatment
// effect of log 2 on the mean, the others none. NB counts with size 4.
OwnCsr Simulate(std::int64_t cells, std::int64_t genes, std::int64_t changed, std::vector<double>* base_mean) {
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  base_mean->resize(static_cast<std::size_t>(genes));
  for (double& mean : *base_mean) mean = 0.2 * std::exp(3.0 * uniform(rng));  // 0.2 … 4
  OwnCsr csr;
  csr.cells = cells;
  csr.genes = genes;
  csr.indptr.reserve(static_cast<std::size_t>(cells) + 1);
  csr.indptr.push_back(0);
  const double size = 4.0;
  for (std::int64_t cell = 0; cell < cells; ++cell) {
    const bool treated = cell % 2 == 1;
    for (std::int64_t gene = 0; gene < genes; ++gene) {
      const double mean = (*base_mean)[static_cast<std::size_t>(gene)] * (treated && gene < changed ? 2.0 : 1.0);
      std::gamma_distribution<double> gamma(size, mean / size);
      std::poisson_distribution<int> poisson(gamma(rng));
      const int count = poisson(rng);
      if (count == 0) continue;
      csr.indices.push_back(static_cast<std::int32_t>(gene));
      csr.data.push_back(static_cast<float>(count));
    }
    csr.indptr.push_back(static_cast<std::int64_t>(csr.indices.size()));
  }
  return csr;
}

bool Check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok:     " : "FAILED: ") << what << "\n";
  return ok;
}

}  // namespace

int main() {
  std::cout << "nbglm " << nbglm::Version() << "\n";
  bool ok = Check(std::string(nbglm::Version()) == std::to_string(NBGLM_VERSION_MAJOR) + "." +
                                                    std::to_string(NBGLM_VERSION_MINOR) + "." +
                                                    std::to_string(NBGLM_VERSION_PATCH),
                  "the library is the version of its headers");
  try {
    const std::int64_t cells = 6000, genes = 2000, changed = 200;
    std::vector<double> base_mean;
    const OwnCsr csr = Simulate(cells, genes, changed, &base_mean);

    // The design lives in an Eigen matrix: intercept and treatment.
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x(cells, 2);
    for (std::int64_t cell = 0; cell < cells; ++cell) x.row(cell) << 1.0, cell % 2 == 1 ? 1.0 : 0.0;
    // A design is small (cells × 2): MakeDesign takes its own copy. xt::adapt
    // views the Eigen buffer (row-major, as nbglm::Matrix) without copying it
    // first; a column-major Eigen matrix is adapted with
    // xt::layout_type::column_major and transposed by the copy.
    const std::vector<std::size_t> shape = {static_cast<std::size_t>(cells), 2};
    const nbglm::Design location = nbglm::MakeDesign(
        xt::adapt(x.data(), static_cast<std::size_t>(x.size()), xt::no_ownership(), shape), {"(Intercept)", "treated"});
    const nbglm::Design scale = nbglm::InterceptDesign(location.observation_names);
    const nbglm::NbGlmModel model = nbglm::MakeModel(
        nbglm::MakeLinearPredictor(location, nbglm::ConstraintBasis::Identity(location.parameter_names), "location"),
        nbglm::MakeLinearPredictor(scale, nbglm::ConstraintBasis::Identity(scale.parameter_names), "scale"));

    // The counts: described, not copied.
    nbglm::CountArrayView view;
    view.layout = nbglm::CountArrayView::Layout::kCompressedByObservation;
    view.num_observations = cells;
    view.num_features = genes;
    view.values = csr.data.data();
    view.value_type = nbglm::ElementType::kFloat32;
    view.num_entries = static_cast<std::int64_t>(csr.data.size());
    view.indices = csr.indices.data();
    view.index_type = nbglm::ElementType::kInt32;
    view.offsets = csr.indptr.data();
    view.offset_type = nbglm::ElementType::kInt64;
    view.what = "csr";

    // Fit with at most 1/16 of the counts' bytes read at a time.
    const std::int64_t counts_bytes = static_cast<std::int64_t>(csr.bytes());
    const std::int64_t before = live_bytes.load();
    peak_bytes.store(before);
    const nbglm::CountReader reader(view);
    nbglm::FitOptions options;
    options.num_threads = 2;
    const nbglm::FitResult fit = nbglm::Fit(reader, model, nbglm::Vector(), options, counts_bytes / 16);
    const std::int64_t extra = peak_bytes.load() - before;
    std::cout << fit.BriefReport() << "\n"
              << "counts " << counts_bytes / 1000 << " kB (" << csr.data.size() << " non-zeros); most allocated "
              << "while reading and fitting: " << extra / 1000 << " kB\n";
    // A copy of the counts (a CountMatrix of them all: 12 bytes per
    // non-zero) would allocate 1.5× counts_bytes; chunks of 1/16 and the
    // reader's blocks stay far below.
    ok &= Check(extra < counts_bytes / 2, "no copy of the counts: at most half their bytes allocated while fitting");

    // Results by name.
    const nbglm::TestResult wald = nbglm::WaldTestCoefficient(fit, model, "treated");
    double effect_sum = 0.0;
    int called = 0, false_calls = 0, converged = 0;
    for (nbglm::Index gene = 0; gene < fit.num_features(); ++gene) {
      if (fit.status[static_cast<std::size_t>(gene)] == nbglm::FeatureStatus::kConverged) ++converged;
      if (gene < changed) effect_sum += fit.Coefficient(gene, "treated");
      const bool call = wald.padj[static_cast<std::size_t>(gene)] < 0.05;
      called += call ? 1 : 0;
      false_calls += call && gene >= changed ? 1 : 0;
    }
    const double mean_effect = effect_sum / static_cast<double>(changed);
    const double size0 = std::exp(fit.Coefficient(0, "scale:(Intercept)"));
    std::cout << "gene 0: treated " << fit.Coefficient(0, "treated") << " ± " << fit.StandardError(0, "treated")
              << ", NB size " << size0 << "; mean effect of the changed genes " << mean_effect << " (truth "
              << std::log(2.0) << "); " << called << " genes at padj < 0.05, " << false_calls << " unchanged\n";
    ok &= Check(converged == genes, "every gene converged");
    ok &= Check(std::abs(mean_effect - std::log(2.0)) < 0.05, "the changed genes' mean effect is log 2 within 0.05");
    ok &= Check(called >= changed * 9 / 10 && false_calls <= (called * 10) / 100,
                "calls at padj < 0.05: at least 90% of the changed genes, at most 10% unchanged");
    ok &= Check(size0 > 2.0 && size0 < 8.0, "gene 0's NB size near its truth 4");
  } catch (const nbglm::InputError& e) {  // caller mistakes: one line naming what, value and rule
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return ok ? 0 : 1;
}
