// A server listener's counters.
#include <gtest/gtest.h>

#include "stats/server_stats.h"

namespace connperf::stats {
namespace {

TEST(ServerStats, ActiveIsWhatIsNotYetClosed) {
  ListenerStats live;
  for (int i = 0; i < 10; ++i) live.accepted.add();
  live.rst.add(4);
  live.fin.add(2);
  live.closed_by_server.add();
  live.errors.add();
  ListenerSnapshot s;
  live.snapshot(s);
  EXPECT_EQ(s.active(), 2u);
  ListenerSnapshot later = s;
  later.accepted += 5;
  later.rst += 5;
  later -= s;
  EXPECT_EQ(later.accepted, 5u);
  EXPECT_EQ(later.rst, 5u);
  EXPECT_EQ(later.active(), 0u);
}

// issue 20, defect 2: no difference of counters wraps below zero. An interval in which more
// connections closed than were accepted has no `active` of its own; a counter read lower than
// before has restarted, and counts from there.
TEST(ServerStats, DifferencesNeverWrap) {
  ListenerSnapshot before;
  before.accepted = 100;
  before.rst = 60;
  ListenerSnapshot now = before;
  now.accepted += 3;
  now.rst += 25;  // 22 of them accepted in an earlier interval
  ListenerSnapshot d = now;
  d -= before;
  EXPECT_EQ(d.accepted, 3u);
  EXPECT_EQ(d.rst, 25u);
  EXPECT_EQ(d.active(), 0u);  // not 2^64 - 22
  EXPECT_EQ(now.active(), 18u);
  ListenerSnapshot restarted;
  restarted.accepted = 7;
  restarted.fin = 2;
  restarted -= before;
  EXPECT_EQ(restarted.accepted, 7u);
  EXPECT_EQ(restarted.rst, 0u);
  EXPECT_EQ(restarted.fin, 2u);
}

}  // namespace
}  // namespace connperf::stats
