// The proxy's interval figures are differences of its counters, and a difference never wraps.
#include <gtest/gtest.h>

#include "stats/proxy_stats.h"

namespace connperf::stats {
namespace {

TEST(ProxyStats, DifferencesNeverWrap) {
  ProxySnapshot before, now;
  before.v[static_cast<std::size_t>(ProxyCount::Accepted)] = 100;
  now.v[static_cast<std::size_t>(ProxyCount::Accepted)] = 103;
  ProxySnapshot d = now;
  d -= before;
  EXPECT_EQ(d[ProxyCount::Accepted], 3u);
  ProxySnapshot restarted;  // counters that read lower started again: they count from there
  restarted.v[static_cast<std::size_t>(ProxyCount::Accepted)] = 7;
  restarted -= before;
  EXPECT_EQ(restarted[ProxyCount::Accepted], 7u);
}

}  // namespace
}  // namespace connperf::stats
