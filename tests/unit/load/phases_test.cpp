// Phases (load/phases): the level rises and falls linearly, arrivals follow it exactly (their
// count is the integral of the rate), and a closed loop's allowance follows the same level.
#include "load/phases.h"

#include <gtest/gtest.h>

namespace connperf::load {
namespace {

constexpr std::uint64_t kS = 1'000'000'000;

TEST(Phases, PhaseAndLevelFollowTheClock) {
  const Phases p{2 * kS, 3 * kS, 1 * kS};
  EXPECT_EQ(phase_at(p, 0), Phase::RampUp);
  EXPECT_EQ(phase_at(p, 2 * kS), Phase::Sustain);
  EXPECT_EQ(phase_at(p, 5 * kS - 1), Phase::Sustain);
  EXPECT_EQ(phase_at(p, 5 * kS), Phase::RampDown);
  EXPECT_EQ(phase_at(p, 6 * kS), Phase::After);
  EXPECT_DOUBLE_EQ(level_at(p, kS), 0.5);
  EXPECT_DOUBLE_EQ(level_at(p, 3 * kS), 1);
  EXPECT_DOUBLE_EQ(level_at(p, 5 * kS + kS / 4), 0.75);
  EXPECT_EQ(level_at(p, 7 * kS), 0);
  EXPECT_EQ(to_string(Phase::RampDown), "ramp_down");
  EXPECT_EQ(phase_at(Phases{}, 99 * kS), Phase::Sustain);  // no phases: all of it is sustain
  EXPECT_EQ(level_at(Phases{}, 99 * kS), 1);
}

TEST(Phases, ArrivalsAreTheIntegralOfTheRate) {
  const Phases p{1 * kS, 1 * kS, 1 * kS};
  const double rate = 2000;  // per second at full level
  std::uint64_t n = 0, in_up = 0, in_sustain = 0, last = 0;
  while (const auto at = arrival_ns(p, rate, n)) {
    EXPECT_GE(*at, last) << n;  // in order
    last = *at;
    if (*at < kS) ++in_up;
    else if (*at < 2 * kS) ++in_sustain;
    ++n;
  }
  EXPECT_EQ(n, 4000u);  // 2000/2 + 2000 + 2000/2
  EXPECT_EQ(in_up, 1000u);
  EXPECT_EQ(in_sustain, 2000u);
  EXPECT_LT(last, 3 * kS);
  EXPECT_EQ(*arrival_ns(p, rate, 0), 0u);
  // The first half of the ramp-up holds a quarter of its arrivals.
  EXPECT_NEAR(static_cast<double>(*arrival_ns(p, rate, 250)), kS / 2.0, 1e3);
  // Without phases: k / rate, without end.
  EXPECT_EQ(*arrival_ns(Phases{}, 1000, 5000), 5 * kS);
}

TEST(Phases, AClosedLoopIsAllowedItsShare) {
  const Phases p{4 * kS, kS, 2 * kS};
  EXPECT_EQ(allowed_at(p, 100, 0), 1u);  // at least one, from the start
  EXPECT_EQ(allowed_at(p, 100, kS), 25u);
  EXPECT_EQ(allowed_at(p, 100, 4 * kS), 100u);
  EXPECT_EQ(allowed_at(p, 100, 6 * kS), 50u);
  EXPECT_EQ(allowed_at(p, 100, 7 * kS), 0u);  // after the ramp-down
  EXPECT_EQ(allowed_at(Phases{}, 100, 0), 100u);
}

}  // namespace
}  // namespace connperf::load
