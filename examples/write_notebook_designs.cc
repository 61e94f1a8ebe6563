// Writes the batchglm notebook's designs and constraint tables as the TSV
// files the CLI reads (used by scripts/demo):
//   write_notebook_designs OUT_DIR  →  OUT_DIR/example{1,2,3}_design.tsv,
//   OUT_DIR/example{1,2,3}_constraints.tsv and example2_first_two_constraints.tsv
#include <iostream>
#include <sstream>
#include <sys/stat.h>

#include "nbglm/design.h"
#include "nbglm/table.h"
#include "notebook_designs.h"

namespace {

std::string ConstraintsToTsv(const nbglm::Matrix& rows, const std::vector<std::string>& names, std::size_t count) {
  std::ostringstream out;
  for (std::size_t j = 0; j < names.size(); ++j) out << (j ? "\t" : "") << names[j];
  out << '\n';
  for (std::size_t r = 0; r < count; ++r) {
    for (std::size_t j = 0; j < names.size(); ++j) out << (j ? "\t" : "") << nbglm::FormatDouble(rows(r, j));
    out << '\n';
  }
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_notebook_designs OUT_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  ::mkdir(dir.c_str(), 0755);
  try {
    for (int which : {1, 2, 3}) {
      const auto example = nbglm::notebook::MakeExample(which);
      const std::string stem = dir + "/example" + std::to_string(which);
      nbglm::WriteFileAtomically(stem + "_design.tsv", nbglm::DesignToTsv(example.design));
      nbglm::WriteFileAtomically(stem + "_constraints.tsv",
                                 ConstraintsToTsv(example.constraints, example.design.parameter_names,
                                                  example.constraints.shape(0)));
      if (which == 2) {
        nbglm::WriteFileAtomically(dir + "/example2_first_two_constraints.tsv",
                                   ConstraintsToTsv(example.constraints, example.design.parameter_names, 2));
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "write_notebook_designs: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
