#include <gtest/gtest.h>

#include "diag/host_limits.h"

namespace connperf::diag {
namespace {

TEST(TupleBudget, FinHoldsEachTupleSixtySecondsInTimeWait) {
  TuplePlan p;
  p.rate = 1000;
  p.fin = true;
  p.ports = 28232;  // Linux's default 32768-60999
  const TupleBudget b = tuple_budget(p);
  EXPECT_EQ(b.hold_s, 60);
  EXPECT_EQ(b.needed, 60'000u);
  EXPECT_EQ(b.available, 28'232u);
  EXPECT_FALSE(b.fits());
  EXPECT_NEAR(b.max_rate, 470.5, 0.1);
}

TEST(TupleBudget, SourcesAndTargetsMultiplyThePorts) {
  TuplePlan p;
  p.rate = 1000;
  p.fin = true;
  p.ports = 28232;
  p.sources = 2;
  p.targets = 2;
  const TupleBudget b = tuple_budget(p);
  EXPECT_EQ(b.available, 112'928u);
  EXPECT_TRUE(b.fits());
  EXPECT_NEAR(b.max_rate, 1882.1, 0.1);
}

TEST(TupleBudget, RstAndTimeWaitReuseHoldOneSecond) {
  TuplePlan p;
  p.rate = 100;
  p.ports = 100;
  EXPECT_TRUE(tuple_budget(p).fits());  // RST: 100 tuples for 1 s
  p.rate = 101;
  EXPECT_FALSE(tuple_budget(p).fits());
  p.fin = true;
  p.tw_reuse = true;
  EXPECT_EQ(tuple_budget(p).hold_s, 1);
  EXPECT_EQ(tuple_budget(p).needed, 101u);
  p.tw_reuse = false;
  p.rate = 1;
  EXPECT_EQ(tuple_budget(p).needed, 60u);
  EXPECT_TRUE(tuple_budget(p).fits());
  p.rate = 1.7;
  EXPECT_EQ(tuple_budget(p).needed, 102u);  // rounded up
  EXPECT_FALSE(tuple_budget(p).fits());
}

TEST(TupleBudget, ConntrackEntriesLastTheirTimeout) {
  EXPECT_EQ(conntrack_needed(1000, true, 120, 10), 120'000u);
  EXPECT_EQ(conntrack_needed(1000, false, 120, 10), 10'000u);
}

TEST(HostLimits, ReadsThisHost) {
  const HostLimits h = read_host_limits();
  EXPECT_LT(h.port_lo, h.port_hi);
  EXPECT_GE(h.cpus, 1u);
  EXPECT_GT(h.files_soft, 0u);
  EXPECT_TRUE(read_sysctl("net/core/somaxconn"));
  EXPECT_FALSE(read_sysctl("net/core/no_such_setting"));
}

}  // namespace
}  // namespace connperf::diag
