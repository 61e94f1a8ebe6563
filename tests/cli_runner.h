// Runs the built `nbglm` binary from tests and captures exit status, stdout
// and stderr (integration tests of the command-line contract, docs/cli.md).
#ifndef NBGLM_TESTS_CLI_RUNNER_H_
#define NBGLM_TESTS_CLI_RUNNER_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nbglm::testing {

struct CliResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh empty directory under the system temp dir.
inline std::string MakeTempDir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() / ("nbglm_" + tag + "_XXXXXX")).string();
  const char* made = ::mkdtemp(pattern.data());
  return made ? std::string(made) : std::string();
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// `args` is appended to the binary's path as shell words (tests quote them).
inline CliResult RunCli(const std::string& args) {
  static int counter = 0;
  const std::string dir = MakeTempDir("cli");
  const std::string out_path = dir + "/stdout";
  const std::string err_path = dir + "/stderr";
  const std::string command = std::string(NBGLM_CLI_PATH) + " " + args + " >" + out_path + " 2>" + err_path;
  const int raw = std::system(command.c_str());
  CliResult result;
  result.exit_status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  std::filesystem::remove_all(dir);
  ++counter;
  return result;
}

inline std::string SourcePath(const std::string& relative) { return std::string(NBGLM_SOURCE_DIR) + "/" + relative; }

}  // namespace nbglm::testing

#endif  // NBGLM_TESTS_CLI_RUNNER_H_
