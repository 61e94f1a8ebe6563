// `--out FILE` of the commands that write one table (test, de).
#ifndef NBGLM_SRC_CLI_OUTPUT_FILE_H_
#define NBGLM_SRC_CLI_OUTPUT_FILE_H_

#include <string>

namespace nbglm::cli {

// Refuses an --out that cannot be written before any (possibly long) work:
// a directory, or a path whose directory does not exist (InputError).
void CheckOutputFile(const std::string& out);

}  // namespace nbglm::cli

#endif  // NBGLM_SRC_CLI_OUTPUT_FILE_H_
