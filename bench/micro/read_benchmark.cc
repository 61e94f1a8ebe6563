// Micro-benchmarks of reading a MatrixMarket file (issue 16): bytes of text
// per second through
//   - the parser alone (a line at a time through a LineSource,
//     count_text.h's ParseMatrixMarketEntries, summing the values),
//   - CountReader's whole read (the open pass, then Read of every feature
//     into CSR: two parses, the second scattering entries to their rows),
// on a droplet-like file written once into $TMPDIR (default /tmp): 20,000
// features × 5,000 observations, ~4% non-zero, NB-like counts (most 1–3),
// 1-based sorted coordinates as Cell Ranger writes them.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "io/count_text.h"
#include "io/line_source.h"
#include "nbglm/counts_io.h"

namespace nbglm {
namespace {

constexpr std::int64_t kFeatures = 20000;
constexpr std::int64_t kObservations = 5000;

// The file's path and size, written on first use.
const std::string& BenchFile(std::int64_t* bytes) {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    const std::string file = std::string(dir != nullptr ? dir : "/tmp") + "/nbglm_read_benchmark.mtx";
    if (std::filesystem::exists(file)) return file;
    std::mt19937_64 rng(16);
    std::bernoulli_distribution stored(0.04);
    std::geometric_distribution<int> count(0.6);
    std::string body;
    std::int64_t entries = 0;
    for (std::int64_t c = 1; c <= kObservations; ++c) {
      for (std::int64_t r = 1; r <= kFeatures; ++r) {
        if (!stored(rng)) continue;
        body += std::to_string(r) + ' ' + std::to_string(c) + ' ' + std::to_string(1 + count(rng)) + '\n';
        ++entries;
      }
    }
    std::ofstream out(file + ".part", std::ios::binary);
    out << "%%MatrixMarket matrix coordinate integer general\n%\n"
        << kFeatures << ' ' << kObservations << ' ' << entries << '\n'
        << body;
    out.close();
    std::filesystem::rename(file + ".part", file);
    return file;
  }();
  *bytes = static_cast<std::int64_t>(std::filesystem::file_size(path));
  return path;
}

void BM_SerialParse(benchmark::State& state) {
  std::int64_t bytes = 0;
  const std::string& path = BenchFile(&bytes);
  for (auto _ : state) {
    FileLineSource lines(path);
    const count_text::MatrixMarketHeader header = count_text::ReadMatrixMarketHeader(path, &lines);
    double sum = 0.0;
    count_text::ParseMatrixMarketEntries(path, header, &lines, [&](std::int64_t, std::int64_t, std::int64_t, double v) {
      sum += v;
      return true;
    });
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_SerialParse)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CountReaderWhole(benchmark::State& state) {
  std::int64_t bytes = 0;
  const std::string& path = BenchFile(&bytes);
  for (auto _ : state) {
    const CountReader reader(path, CountFormat::kMatrixMarket);
    const CountMatrix counts = reader.Read(0, reader.num_features());
    benchmark::DoNotOptimize(counts.num_features());
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_CountReaderWhole)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace nbglm

BENCHMARK_MAIN();
