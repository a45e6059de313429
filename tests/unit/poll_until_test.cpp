// tests/poll_until.h: the helper tests use to wait for a condition with a deadline.
#include "../poll_until.h"

#include <chrono>

#include <gtest/gtest.h>

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(PollUntil, TrueAtOnceWhenTheConditionHolds) {
  const auto t = Clock::now();
  EXPECT_TRUE(poll_until([] { return true; }, 5s));
  EXPECT_LT(Clock::now() - t, 100ms);
}

TEST(PollUntil, TrueAsSoonAsTheConditionComesTrue) {
  int calls = 0;
  const auto t = Clock::now();
  EXPECT_TRUE(poll_until([&] { return ++calls == 3; }, 5s, 1ms));
  EXPECT_EQ(calls, 3);
  EXPECT_LT(Clock::now() - t, 1s);
}

TEST(PollUntil, FalseAfterTheLimitWithALastLookPastIt) {
  const auto t = Clock::now();
  Clock::time_point last{};
  EXPECT_FALSE(poll_until(
      [&] {
        last = Clock::now();
        return false;
      },
      50ms, 5ms));
  EXPECT_GE(last - t, 50ms) << "the last look is at or past the deadline";
  EXPECT_LT(Clock::now() - t, 500ms);
}

}  // namespace
}  // namespace connperf::test
