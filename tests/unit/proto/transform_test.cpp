// The echo-family transforms.
#include <cstdlib>
#include <regex>

#include <gtest/gtest.h>

#include "proto/transform.h"

namespace connperf::proto {
namespace {

TEST(Transform, UpperTouchesOnlyAsciiLetters) {
  std::string s = "hello, World! 123 \xc3\xa9z\n";
  to_upper_ascii(s.data(), s.size());
  EXPECT_EQ(s, "HELLO, WORLD! 123 \xc3\xa9Z\n");
}

TEST(Transform, StampIsCtimeFormat) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(stamp_prefix(1795371295), "[Sun Nov 22 18:14:55 2026] ");
  EXPECT_EQ(stamp_prefix(1793581323), "[Mon Nov  2 01:02:03 2026] ");
  EXPECT_TRUE(std::regex_match(stamp_prefix(std::time(nullptr)),
                               std::regex(R"(\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] )")));
}

}  // namespace
}  // namespace connperf::proto
