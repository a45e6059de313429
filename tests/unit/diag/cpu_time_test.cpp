#include <gtest/gtest.h>

#include <thread>

#include "diag/cpu_time.h"
#include "loop/clock.h"

namespace connperf::diag {
namespace {

// Linux 6.1 on a VM: user nice system idle iowait irq softirq steal guest guest_nice.
const char* kProcStat =
    "cpu  1000 10 300 8000 50 20 30 90 0 0\n"
    "cpu0 500 5 150 4000 25 10 15 45 0 0\n"
    "intr 12345 0 0\n"
    "ctxt 6789\n";

TEST(DiagCpuTime, ParsesTheAggregateLineOfProcStat) {
  const auto h = parse_proc_stat(kProcStat);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->busy, 1000u + 10 + 300 + 20 + 30);
  EXPECT_EQ(h->idle, 8050u);
  EXPECT_EQ(h->steal, 90u);
  EXPECT_EQ(h->total(), 9500u);
}

TEST(DiagCpuTime, BusyAndStealAreSharesOfTheDifference) {
  const HostCpu before = *parse_proc_stat("cpu  100 0 100 800 0 0 0 0\n");
  const HostCpu after = *parse_proc_stat("cpu  400 0 200 1100 0 0 0 100\n");
  const HostCpu d = after - before;
  EXPECT_DOUBLE_EQ(d.busy_pct(), 50.0);  // 400 busy of 800
  EXPECT_DOUBLE_EQ(d.steal_pct(), 12.5);
  EXPECT_DOUBLE_EQ((before - before).busy_pct(), 0.0) << "no tick passed: 0, not NaN";
  EXPECT_EQ((before - after).total(), 0u) << "a counter that went back counts 0";
}

TEST(DiagCpuTime, OlderKernelsWithoutStealAndBadTextRead) {
  const auto old = parse_proc_stat("intr 1\ncpu  7 0 3 90\n");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->busy, 10u);
  EXPECT_EQ(old->steal, 0u);
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4\n")) << "only the aggregate line counts";
  EXPECT_FALSE(parse_proc_stat("cpu  1 2\n"));
}

TEST(DiagCpuTime, OurOwnCpuTimeGrowsWhenWeSpinAndNoFasterThanTheWall) {
  const CpuTime before = read_cpu_time();
  const std::uint64_t t0 = loop::now_ns();
  const std::uint64_t give_up = t0 + 5 * loop::kSec;  // a loaded host gives us less than the wall
  volatile std::uint64_t sink = 0;
  while ((read_cpu_time() - before).total_us() < 30'000 && loop::now_ns() < give_up) sink = sink + 1;
  const CpuTime d = read_cpu_time() - before;
  const std::uint64_t wall_us = (loop::now_ns() - t0) / loop::kUs;
  EXPECT_GE(d.total_us(), 30'000u);
  EXPECT_LE(d.total_us(), wall_us + 10'000) << "one spinning thread: at most the wall time";
}

TEST(DiagCpuTime, TheHostIsReadable) {
  const auto h = read_host_cpu();
  ASSERT_TRUE(h);
  EXPECT_GT(h->total(), 0u);
  EXPECT_GE(h->busy_pct(), 0.0);
  EXPECT_LE(h->busy_pct(), 100.0);
}

}  // namespace
}  // namespace connperf::diag
