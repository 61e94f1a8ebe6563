#include "cli/output_file.h"

#include <filesystem>

#include "nbglm/error.h"

namespace nbglm::cli {

void CheckOutputFile(const std::string& out) {
  std::error_code error;
  if (std::filesystem::is_directory(out, error)) {
    throw InputError("--out", out, "is a directory; expected the path of the TSV file to write");
  }
  std::filesystem::path parent = std::filesystem::path(out).parent_path();
  if (parent.empty()) parent = ".";
  if (!std::filesystem::is_directory(parent, error)) {
    throw InputError("--out", out, "its directory " + parent.string() + " does not exist");
  }
}

}  // namespace nbglm::cli
