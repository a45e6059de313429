// The per-rank share of a job.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "load/crr.h"
#include "load/split.h"
#include "net/address.h"

namespace connperf::load {
namespace {

TEST(DistSplit, SharesAddUpAndBindsAreDisjoint) {
  load::CrrSpec job;
  job.concurrency = 10;
  job.count = 30001;
  job.rate = 900;
  for (int i = 2; i <= 7; ++i)
    job.binds.push_back(net::parse_bind_spec("127.0.0." + std::to_string(i)).front());
  std::uint64_t count = 0, conc = 0;
  std::vector<std::string> seen;
  for (unsigned r = 0; r < 3; ++r) {
    const load::CrrSpec s = load::share_of(job, 3, r);
    count += s.count;
    conc += s.concurrency;
    EXPECT_DOUBLE_EQ(s.rate, 300);
    EXPECT_EQ(s.binds.size(), 2u);
    for (const auto& a : s.binds) seen.push_back(a.to_string());
  }
  EXPECT_EQ(count, 30001u);
  EXPECT_EQ(load::share_of(job, 3, 0).count, 10001u);
  EXPECT_EQ(conc, 10u);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(seen.size(), 6u);
}

}  // namespace
}  // namespace connperf::load
