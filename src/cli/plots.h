// `nbglm de --plots DIR`: the volcano, MA and dispersion plots of the DE table
// as PNGs, drawn by the Python package's nbglm.plot (matplotlib) rather than
// by a second plotting implementation in C++ (docs/cli.md "de").
#ifndef NBGLM_SRC_CLI_PLOTS_H_
#define NBGLM_SRC_CLI_PLOTS_H_

#include <string>

namespace nbglm::cli {

// Throws InputError("--plots DIR: …") unless python3 can import matplotlib and
// nbglm.plot — the package beside this executable (build/python) or an
// installed one (scripts/install-python).
void CheckPlotter(const std::string& dir);

// Draws DIR/volcano.png, DIR/ma.png and DIR/dispersion.png from the DE table
// `tsv` (text), all three or none: drawn in a staging directory, then moved.
void DrawDePlots(const std::string& tsv, const std::string& dir, const std::string& title);

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_PLOTS_H_
