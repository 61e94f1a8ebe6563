#include "nbglm/version.h"

#define NBGLM_STRINGIFY_(x) #x
#define NBGLM_STRINGIFY(x) NBGLM_STRINGIFY_(x)

namespace nbglm {

const char* Version() {
  return NBGLM_STRINGIFY(NBGLM_VERSION_MAJOR) "." NBGLM_STRINGIFY(NBGLM_VERSION_MINOR) "." NBGLM_STRINGIFY(
      NBGLM_VERSION_PATCH);
}

}  // namespace nbglm
