// Fuzz target: the HDF5 count and obs readers (.h5ad, 10x .h5). The bytes are
// written to a file (the readers open paths; /dev/shm when there is one) and
// read as counts (X, every feature) and as a sample sheet (obs). Only
// InputError may come out. The HDF5 C library itself is not instrumented
// (Debian's build), so coverage guides the fuzzer through nbglm's code only;
// crashes inside the library still stop it.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "fuzz_common.h"
#include "nbglm/counts_io.h"
#include "nbglm/sample_table.h"

namespace {

const std::string& InputPath() {
  static const std::string path = [] {
    const std::string dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    return dir + "/nbglm_hdf5_fuzz_" + std::to_string(::getpid()) + ".h5ad";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = InputPath();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  nbglm::fuzz::RunExpectingOnlyInputErrors([&] {
    const nbglm::CountReader reader(path, nbglm::CountFormat::kHdf5);
    if (static_cast<double>(reader.num_features()) * static_cast<double>(reader.num_observations()) > 1e7) return;
    reader.Read(0, reader.num_features());
  });
  nbglm::fuzz::RunExpectingOnlyInputErrors([&] { nbglm::ReadSampleTable(path); });
  return 0;
}
