// The version string agrees with the header's numbers and with the version
// CMake gave the project (read from the same header), so the tool, the
// library and the package version file cannot drift apart.
#include "nbglm/version.h"

#include <gtest/gtest.h>

#include <string>

namespace nbglm {
namespace {

TEST(VersionTest, MatchesTheHeaderNumbers) {
  const std::string expected = std::to_string(NBGLM_VERSION_MAJOR) + "." + std::to_string(NBGLM_VERSION_MINOR) +
                               "." + std::to_string(NBGLM_VERSION_PATCH);
  EXPECT_EQ(Version(), expected);
}

TEST(VersionTest, MatchesTheCmakeProjectVersion) { EXPECT_STREQ(Version(), NBGLM_PROJECT_VERSION); }

}  // namespace
}  // namespace nbglm
