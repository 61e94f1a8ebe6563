// CheckPlotter and DrawDePlots (src/cli/plots.h) without matplotlib: a stand-in
// `nbglm` package on PYTHONPATH records the arguments and writes the PNGs, so
// the refusal, the staging and the all-three-or-none rule (docs/cli.md "de") are tested.
#include "cli/plots.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.h"
#include "nbglm/error.h"

namespace nbglm::cli {
namespace {

namespace fs = std::filesystem;

// `python3 -m nbglm plot TSV DIR --title T` as the real package is called:
// the stand-in logs its arguments, MPLBACKEND and the table, then writes the
// PNGs named by NBGLM_FAKE_PLOT (all, two) or fails (fail).
constexpr const char* kFakeMain = R"(import os, sys
with open(os.environ["NBGLM_FAKE_PLOT_LOG"], "w") as log:
    log.write("\n".join(sys.argv[1:]) + "\n")
    log.write("MPLBACKEND=" + os.environ.get("MPLBACKEND", "") + "\n")
    log.write(open(sys.argv[2]).read())
mode = os.environ.get("NBGLM_FAKE_PLOT", "all")
if mode == "fail":
    sys.exit(3)
names = ["volcano.png", "ma.png", "dispersion.png"] if mode == "all" else ["volcano.png", "ma.png"]
for name in names:
    with open(os.path.join(sys.argv[3], name), "w") as png:
        png.write(name)
)";

class PlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("plots");
    for (const char* name : {"PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "NBGLM_FAKE_PLOT", "NBGLM_FAKE_PLOT_LOG"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
    fs::create_directories(dir_ + "/py/nbglm");
    fs::create_directories(dir_ + "/py/matplotlib");
    testing::WriteText(dir_ + "/py/nbglm/__init__.py", "");
    testing::WriteText(dir_ + "/py/matplotlib/__init__.py", "");
    testing::WriteText(dir_ + "/py/nbglm/__main__.py", kFakeMain);
    ::setenv("PYTHONPATH", (dir_ + "/py").c_str(), 1);
    ::setenv("NBGLM_FAKE_PLOT_LOG", (dir_ + "/log").c_str(), 1);
    ::setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
    fs::remove_all(dir_);
  }
  void AddPlotModule() const { testing::WriteText(dir_ + "/py/nbglm/plot.py", ""); }
  static bool HavePython() { return fs::exists("/usr/bin/python3") || std::system("python3 -c '' 2>/dev/null") == 0; }
  static std::string Message(const std::function<void()>& call) {
    try {
      call();
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(PlotsTest, CheckPlotterRefusesWithoutTheModule) {
  // The stand-in package has no nbglm.plot, and it shadows any installed one.
  EXPECT_EQ(Message([&] { CheckPlotter(dir_ + "/out"); }),
            "--plots " + dir_ + "/out: no plotter: the plots are drawn by python3 with matplotlib and the nbglm "
            "package (scripts/install-python)");
  EXPECT_FALSE(fs::exists(dir_ + "/out"));
}

TEST_F(PlotsTest, CheckPlotterAcceptsMatplotlibAndTheModule) {
  if (!HavePython()) GTEST_SKIP() << "no python3";
  AddPlotModule();
  EXPECT_NO_THROW(CheckPlotter(dir_ + "/out"));
}

TEST_F(PlotsTest, DrawDePlotsPassesTheTableAndTitleAndMovesAllThree) {
  if (!HavePython()) GTEST_SKIP() << "no python3";
  AddPlotModule();
  const std::string out = dir_ + "/plots";
  DrawDePlots("feature\tpvalue\ng1\t0.5\n", out, "QL F test of b");
  for (const char* name : {"volcano.png", "ma.png", "dispersion.png"}) {
    EXPECT_EQ(testing::ReadWholeFile(out + "/" + name), name);
  }
  // Only the three PNGs are left: the staging directory is gone.
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 3);
  const std::string stage = out + "/.nbglm_partial_" + std::to_string(::getpid());
  EXPECT_EQ(testing::ReadWholeFile(dir_ + "/log"), "plot\n" + stage + "/de.tsv\n" + stage +
                                                      "\n--title\nQL F test of b\nMPLBACKEND=Agg\n"
                                                      "feature\tpvalue\ng1\t0.5\n");
}

TEST_F(PlotsTest, AFailedPlotterLeavesNothing) {
  if (!HavePython()) GTEST_SKIP() << "no python3";
  AddPlotModule();
  ::setenv("NBGLM_FAKE_PLOT", "fail", 1);
  const std::string out = dir_ + "/plots";
  EXPECT_EQ(Message([&] { DrawDePlots("feature\n", out, "t"); }),
            "--plots: " + out + ": python3 -m nbglm plot failed (its message is above)");
  EXPECT_FALSE(fs::exists(out));  // created by the call, so removed
  // An existing directory is kept, with what it held.
  fs::create_directories(out);
  testing::WriteText(out + "/keep.txt", "k");
  EXPECT_THROW(DrawDePlots("feature\n", out, "t"), InputError);
  EXPECT_EQ(testing::ReadWholeFile(out + "/keep.txt"), "k");
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 1);
}

TEST_F(PlotsTest, AMissingPlotMovesNoneOfThem) {
  if (!HavePython()) GTEST_SKIP() << "no python3";
  AddPlotModule();
  ::setenv("NBGLM_FAKE_PLOT", "two", 1);  // exits 0 without dispersion.png
  const std::string out = dir_ + "/plots";
  const std::string message = Message([&] { DrawDePlots("feature\n", out, "t"); });
  EXPECT_NE(message.find("--plots: " + out + ": "), std::string::npos) << message;
  EXPECT_NE(message.find("dispersion.png"), std::string::npos) << message;
  // All three or none (docs/cli.md "de").
  EXPECT_FALSE(fs::exists(out + "/volcano.png"));
  EXPECT_FALSE(fs::exists(out + "/ma.png"));
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace nbglm::cli
