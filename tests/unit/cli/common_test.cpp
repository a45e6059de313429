// Flag value parsing of the command line.
#include <gtest/gtest.h>

#include "cli/common.h"

namespace connperf::cli {
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

TEST(CliParse, TargetsAndBinds) {
  const auto t = parse_targets({"127.0.0.1:80", "[::1]:8080"});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "127.0.0.1:80");
  EXPECT_EQ(t[1].addr.port(), 8080);
  EXPECT_THROW(parse_targets({"127.0.0.1"}), UsageError);
  EXPECT_EQ(parse_binds({"127.0.0.2-127.0.0.5", "127.0.0.9"}).size(), 5u);
  EXPECT_THROW(parse_binds({"127.0.0.5-127.0.0.2"}), UsageError);
}

}  // namespace
}  // namespace connperf::cli
