// Axis ticks and labels from 1 to 10^7.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "report/axis.h"

namespace connperf::report {
namespace {

TEST(Axis, LinearTicksAreOneTwoFiveStepsCoveringTheRange) {
  for (double hi = 1; hi <= 1e7; hi *= 3.7) {
    const auto t = linear_ticks(0, hi);
    ASSERT_GE(t.size(), 3u) << hi;
    EXPECT_LE(t.size(), 11u) << hi;
    EXPECT_EQ(t.front(), 0) << hi;
    EXPECT_GE(t.back(), hi) << hi;
    const double step = t[1] - t[0];
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 ||
                std::abs(mantissa - 5) < 1e-6) << step;
  }
  EXPECT_EQ(linear_ticks(0, 1000), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
  EXPECT_EQ(linear_ticks(0, 0).front(), 0);  // a flat zero series still gets an axis
  EXPECT_GT(linear_ticks(0, 0).back(), 0);
}

TEST(Axis, LogTicksAreDecades) {
  EXPECT_EQ(log_ticks(3, 4500), (std::vector<double>{1, 10, 100, 1000, 10000}));
  EXPECT_EQ(log_ticks(1, 1e7).size(), 8u);
  EXPECT_EQ(log_ticks(100, 100), (std::vector<double>{100, 1000}));
}

TEST(Axis, LabelsAreShortWithUnits) {
  EXPECT_EQ(tick_label(0, Unit::Count), "0");
  EXPECT_EQ(tick_label(1, Unit::Count), "1");
  EXPECT_EQ(tick_label(500, Unit::Count), "500");
  EXPECT_EQ(tick_label(1000, Unit::Count), "1k");
  EXPECT_EQ(tick_label(1500, Unit::Count), "1.5k");
  EXPECT_EQ(tick_label(10000, Unit::Count), "10k");
  EXPECT_EQ(tick_label(250000, Unit::Count), "250k");
  EXPECT_EQ(tick_label(1e7, Unit::Count), "10M");
  EXPECT_EQ(tick_label(1, Unit::Micros), "1µs");
  EXPECT_EQ(tick_label(800, Unit::Micros), "800µs");
  EXPECT_EQ(tick_label(1000, Unit::Micros), "1ms");
  EXPECT_EQ(tick_label(2500, Unit::Micros), "2.5ms");
  EXPECT_EQ(tick_label(1e6, Unit::Micros), "1s");
  EXPECT_EQ(tick_label(1e7, Unit::Micros), "10s");
  EXPECT_EQ(tick_label(30, Unit::Seconds), "30s");
  EXPECT_EQ(tick_label(0.005, Unit::Ratio), "0.5%");
  // Every tick of every range from 1 to 10^7 is at most 6 characters.
  for (double hi = 1; hi <= 1e7; hi *= 1.9)
    for (double t : linear_ticks(0, hi)) {
      EXPECT_LE(tick_label(t, Unit::Count).size(), 6u) << t;
      EXPECT_LE(tick_label(t, Unit::Micros).size(), 7u) << t;  // µ is two bytes
    }
}

}  // namespace
}  // namespace connperf::report
