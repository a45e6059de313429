// Numbers format as the tables show them.
#include <gtest/gtest.h>

#include "stats/format.h"

namespace connperf::stats {
namespace {

TEST(Format, CountsRatesAndMicroseconds) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_rate(41228.14), "41,228.1");
  EXPECT_EQ(format_us(45), "45us");
  EXPECT_EQ(format_us(1234), "1.23ms");
  EXPECT_EQ(format_us(2'500'000), "2.50s");
}

TEST(Format, BytesInBinaryUnits) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(200 * 1024), "200 KiB");
  EXPECT_EQ(format_bytes(std::uint64_t{3} << 30 | std::uint64_t{1} << 28), "3.25 GiB");
}

}  // namespace
}  // namespace connperf::stats
