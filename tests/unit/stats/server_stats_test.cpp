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

}  // namespace
}  // namespace connperf::stats
