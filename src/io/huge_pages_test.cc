#include "io/huge_pages.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace nbglm {
namespace {

TEST(HugePages, SmallRangesAreLeftAlone) {
  std::vector<double> small(100, 1.0);
  EXPECT_EQ(AdviseHugePages(small.data(), small.size() * sizeof(double)), 0u);
  EXPECT_EQ(AdviseHugePages(nullptr, std::size_t{1} << 30), 0u);
}

TEST(HugePages, AdvisesOnlyWholeAlignedHugePagesInsideTheRange) {
  std::vector<char> buffer;
  buffer.reserve(std::size_t{5} << 20);
  const std::size_t advised = AdviseHugePages(buffer.data(), buffer.capacity());
  // At most the 2 MiB-aligned part of 5 MiB: 4 MiB, or 2 MiB when the start
  // is unaligned; 0 where the system has no transparent huge pages.
  EXPECT_EQ(advised % (std::size_t{1} << 21), 0u);
  EXPECT_LE(advised, std::size_t{4} << 20);
}

TEST(HugePages, ResizeGivesValueInitialisedElements) {
  std::vector<std::int32_t> columns;
  ResizeOnHugePages(&columns, std::size_t{3} << 20);
  ASSERT_EQ(columns.size(), std::size_t{3} << 20);
  for (std::size_t k = 0; k < columns.size(); k += 4093) ASSERT_EQ(columns[k], 0);
  EXPECT_EQ(columns.back(), 0);
  std::vector<double> none;
  ResizeOnHugePages(&none, 0);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace nbglm
