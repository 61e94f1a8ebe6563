#include "cli/plots.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "nbglm/error.h"
#include "nbglm/table.h"

extern char** environ;

namespace nbglm::cli {
namespace {

namespace fs = std::filesystem;

std::string Python() {
  std::error_code error;
  return fs::exists("/usr/bin/python3", error) ? "/usr/bin/python3" : "python3";
}

// The environment with PYTHONPATH led by build/python when this executable
// sits in a build directory that has the package.
std::vector<std::string> Environment() {
  std::vector<std::string> env;
  std::string python_path;
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error && fs::exists(exe.parent_path() / "python" / "nbglm" / "plot.py", error)) {
    python_path = (exe.parent_path() / "python").string();
  }
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind("PYTHONPATH=", 0) == 0) {
      const std::string old = entry.substr(11);
      if (!old.empty()) python_path += (python_path.empty() ? "" : ":") + old;
      continue;
    }
    env.push_back(entry);
  }
  if (!python_path.empty()) env.push_back("PYTHONPATH=" + python_path);
  env.push_back("MPLBACKEND=Agg");
  return env;
}

// Runs python3 ARGS; true on exit status 0. stdout/stderr pass through
// unless `quiet`.
bool RunPython(const std::vector<std::string>& args, bool quiet) {
  std::vector<std::string> argv = {Python()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> argv_c;
  for (std::string& a : argv) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  std::vector<std::string> env = Environment();
  std::vector<char*> env_c;
  for (std::string& e : env) env_c.push_back(e.data());
  env_c.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argv_c[0], &actions, nullptr, argv_c.data(), env_c.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

void CheckPlotter(const std::string& dir) {
  if (!RunPython({"-c", "import matplotlib, nbglm.plot"}, /*quiet=*/true)) {
    throw InputError("--plots " + dir, "no plotter",
                     "the plots are drawn by python3 with matplotlib and the nbglm package (scripts/install-python)");
  }
}

void DrawDePlots(const std::string& tsv, const std::string& dir, const std::string& title) {
  std::error_code error;
  const bool created = !fs::exists(dir, error);
  fs::create_directories(dir, error);
  if (error) throw InputError("--plots", dir, "cannot create the directory: " + error.message());
  const fs::path stage = fs::path(dir) / (".nbglm_partial_" + std::to_string(::getpid()));
  fs::create_directories(stage, error);
  const auto clean = [&] {
    fs::remove_all(stage, error);
    if (created) fs::remove(dir, error);  // only if still empty
  };
  try {
    WriteFileAtomically((stage / "de.tsv").string(), tsv);
    if (!RunPython({"-m", "nbglm", "plot", (stage / "de.tsv").string(), stage.string(), "--title", title},
                   /*quiet=*/false)) {
      throw InputError("--plots", dir, "python3 -m nbglm plot failed (its message is above)");
    }
    // All three or none: check that the plotter drew each before moving any.
    for (const char* name : {"volcano.png", "ma.png", "dispersion.png"}) {
      if (!fs::is_regular_file(stage / name, error)) {
        throw InputError("--plots", dir, "python3 -m nbglm plot did not write " + std::string(name));
      }
    }
    for (const char* name : {"volcano.png", "ma.png", "dispersion.png"}) {
      fs::rename(stage / name, fs::path(dir) / name, error);
      if (error) throw InputError("--plots", dir, "cannot write " + std::string(name) + ": " + error.message());
    }
  } catch (...) {
    clean();
    throw;
  }
  fs::remove_all(stage, error);
}

}  // namespace nbglm::cli
