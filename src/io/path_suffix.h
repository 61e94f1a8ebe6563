// How readers tell file forms apart by name ("x.mtx.gz", "y.csv", "z.h5ad").
#ifndef NBGLM_SRC_IO_PATH_SUFFIX_H_
#define NBGLM_SRC_IO_PATH_SUFFIX_H_

#include <string>

namespace nbglm {

inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace nbglm

#endif  // NBGLM_SRC_IO_PATH_SUFFIX_H_
