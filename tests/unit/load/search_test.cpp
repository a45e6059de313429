#include <gtest/gtest.h>

#include "load/search.h"

namespace connperf::load {
namespace {

// Runs the search against a target that holds up to `capacity`; returns the search.
RateSearch against(double capacity, double first, std::size_t max_steps = 40) {
  RateSearch s(first, 0.05, max_steps);
  while (!s.done()) s.record(s.next() <= capacity);
  return s;
}

TEST(RateSearch, DoublesThenBisectsToWithinPrecision) {
  RateSearch s(100, 0.05, 40);
  EXPECT_DOUBLE_EQ(s.next(), 100);
  s.record(true);
  EXPECT_DOUBLE_EQ(s.next(), 200);
  s.record(true);
  EXPECT_DOUBLE_EQ(s.next(), 400);
  s.record(false);
  EXPECT_DOUBLE_EQ(s.next(), 300);  // between 200 (held) and 400 (failed)
  s.record(false);
  EXPECT_DOUBLE_EQ(s.next(), 250);
  EXPECT_FALSE(s.done());
}

TEST(RateSearch, ConvergesOnTheCapacityFromBelowAndAbove) {
  for (double first : {10.0, 100.0, 5000.0, 1e6}) {
    const RateSearch s = against(500, first);
    EXPECT_LE(s.held(), 500) << first;
    EXPECT_GT(s.failed(), 500) << first;
    EXPECT_LE(s.failed() - s.held(), 0.05 * s.held() + 1e-9) << first;
    EXPECT_GE(s.held(), 500 / 1.05) << first;
  }
}

TEST(RateSearch, GivesUpWhenNothingHolds) {
  const RateSearch s = against(0.1, 100);
  EXPECT_TRUE(s.done());
  EXPECT_EQ(s.held(), 0);
  EXPECT_GT(s.failed(), 0);
  EXPECT_LT(s.steps(), 10u);
}

TEST(RateSearch, StopsAtMaxSteps) {
  const RateSearch s = against(1e12, 1, 5);  // never fails: climbs 5 steps and stops
  EXPECT_EQ(s.steps(), 5u);
  EXPECT_DOUBLE_EQ(s.held(), 16);
  EXPECT_EQ(s.failed(), 0);
}

}  // namespace
}  // namespace connperf::load
