// loop/clock.h: the monotonic clock and the conversions into nanoseconds.
#include "loop/clock.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace connperf::loop {
namespace {

static_assert(kUs == 1'000 && kMs == 1'000 * kUs && kSec == 1'000 * kMs);
static_assert(ns_from_seconds(2) == 2 * kSec);

TEST(LoopClock, SecondsToNanoseconds) {
  EXPECT_EQ(ns_from_seconds(1), kSec);
  EXPECT_EQ(ns_from_seconds(0.5), 500 * kMs);
  EXPECT_EQ(ns_from_seconds(2.25), 2'250 * kMs);
  EXPECT_EQ(ns_from_seconds(30), 30 * kSec);
  EXPECT_EQ(ns_from_seconds(86'400), 86'400 * kSec);
  EXPECT_NEAR(static_cast<double>(ns_from_seconds(0.001)), static_cast<double>(kMs), 1.0);
}

TEST(LoopClock, ZeroAndNegativeSecondsAreZero) {
  EXPECT_EQ(ns_from_seconds(0), 0u);
  EXPECT_EQ(ns_from_seconds(-0.0), 0u);
  EXPECT_EQ(ns_from_seconds(-1), 0u);
  EXPECT_EQ(ns_from_seconds(-1e300), 0u);
}

TEST(LoopClock, NanosecondsToSeconds) {
  EXPECT_DOUBLE_EQ(seconds_from_ns(0), 0.0);
  EXPECT_DOUBLE_EQ(seconds_from_ns(kSec), 1.0);
  EXPECT_DOUBLE_EQ(seconds_from_ns(2'500 * kMs), 2.5);
  EXPECT_DOUBLE_EQ(seconds_from_ns(kUs), 1e-6);
  for (const double s : {0.25, 1.0, 3.5, 60.0, 3600.0})
    EXPECT_DOUBLE_EQ(seconds_from_ns(ns_from_seconds(s)), s);
}

// now_ns is CLOCK_MONOTONIC, which is what steady_clock is on Linux: the two agree, and it
// never goes back.
TEST(LoopClock, NowIsTheMonotonicClock) {
  const auto steady = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  };
  const std::uint64_t a = steady();
  const std::uint64_t n = now_ns();
  const std::uint64_t b = steady();
  EXPECT_GE(n, a);
  EXPECT_LE(n, b);
  std::uint64_t prev = now_ns();
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t t = now_ns();
    ASSERT_GE(t, prev);
    prev = t;
  }
  const std::uint64_t before = now_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(now_ns() - before, 5 * kMs);
}

}  // namespace
}  // namespace connperf::loop
