// Dense containers of the public API (docs/api.md): xtensor, row-major.
// Linear algebra inside the library maps the same memory with Eigen::Map.
#ifndef NBGLM_TYPES_H_
#define NBGLM_TYPES_H_

#include <cstddef>
#include <xtensor/xtensor.hpp>

namespace nbglm {

// Row-major dense matrix (e.g. a design: observations × parameters).
using Matrix = xt::xtensor<double, 2>;
using Vector = xt::xtensor<double, 1>;
using Index = std::ptrdiff_t;

}  // namespace nbglm

#endif  // NBGLM_TYPES_H_
