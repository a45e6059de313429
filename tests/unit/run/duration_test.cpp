// Duration flag values → seconds.
#include <gtest/gtest.h>

#include "run/duration.h"

namespace connperf::run {
namespace {

TEST(CliParse, Seconds) {
  EXPECT_DOUBLE_EQ(parse_seconds("-d", "10"), 10);
  EXPECT_DOUBLE_EQ(parse_seconds("-d", "2.5"), 2.5);
  EXPECT_DOUBLE_EQ(parse_seconds("-d", "2.5s"), 2.5);
  EXPECT_DOUBLE_EQ(parse_seconds("-d", "500ms"), 0.5);
  EXPECT_DOUBLE_EQ(parse_seconds("-d", "2m"), 120);
  EXPECT_DOUBLE_EQ(parse_seconds("-d", "1h"), 3600);
  for (const char* bad : {"", "abc", "-1", "10x", "s", "1e999", "nan"})
    EXPECT_THROW(parse_seconds("-d", bad), UsageError) << bad;
}

TEST(CliParse, AFiniteNumberTimesItsUnitMustStayFinite) {
  EXPECT_THROW(parse_seconds("-d", "1e307h"), UsageError);
}

TEST(CliParse, ABareNumberTakesTheFlagsOwnUnitAndAnyUnitCanBeWritten) {
  EXPECT_DOUBLE_EQ(parse_time("--timeout", "500", 1e-3), 0.5);
  EXPECT_DOUBLE_EQ(parse_time("--timeout", "1s", 1e-3), 1);
  EXPECT_DOUBLE_EQ(parse_time("--timeout", "250ms", 1e-3), 0.25);
  EXPECT_DOUBLE_EQ(parse_time("--timeout", "2m", 1e-3), 120);
  EXPECT_DOUBLE_EQ(parse_time("--timeout", "5", 1), 5);
  EXPECT_THROW(parse_time("--timeout", "1x", 1e-3), UsageError);
}

}  // namespace
}  // namespace connperf::run
