// Flag value parsing of the command line: targets and bind addresses.
#include <gtest/gtest.h>

#include "cli/common.h"

namespace connperf::cli {
namespace {

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
