// The library's version (docs/api.md "Versions"). nbglm follows semantic
// versioning: MAJOR.MINOR.PATCH, where a release that breaks the API or
// changes a result beyond floating-point rounding raises MAJOR (MINOR while
// MAJOR is 0), one that only adds raises MINOR (PATCH while MAJOR is 0), and
// a fix raises PATCH. The numbers below are the single source: CMake reads
// them for project(VERSION) and the package version file that
// find_package(nbglm 0.1) checks.
#ifndef NBGLM_VERSION_H_
#define NBGLM_VERSION_H_

#define NBGLM_VERSION_MAJOR 0
#define NBGLM_VERSION_MINOR 1
#define NBGLM_VERSION_PATCH 0

namespace nbglm {

// "MAJOR.MINOR.PATCH" of the compiled library, e.g. "0.1.0". Comparing it
// with the NBGLM_VERSION_* macros of the headers a program was compiled
// against detects a mismatched installation.
const char* Version();

}  // namespace nbglm

#endif  // NBGLM_VERSION_H_
