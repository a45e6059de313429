// The crr summary has the JSON contract's fields.
#include <gtest/gtest.h>

#include "stats/client_stats.h"
#include "stats/printers.h"

namespace connperf::stats {
namespace {

TEST(Printers, CrrSummaryJsonHasTheContractFields) {
  ClientSnapshot s;
  s.started = 10;
  s.completed = 8;
  s.errors[static_cast<std::size_t>(ErrorKind::Refused)] = 1;
  s.total_us.record(50);
  const auto j = crr_summary_json(s, 1, 2.0);
  EXPECT_EQ(j["started"], 10);
  EXPECT_EQ(j["completed"], 8);
  EXPECT_EQ(j["aborted"], 1);
  EXPECT_DOUBLE_EQ(j["cps"].get<double>(), 4.0);
  EXPECT_EQ(j["errors"]["refused"], 1);
  EXPECT_EQ(j["errors"]["timeout"], 0);
  for (const char* k : {"connect", "response", "total"})
    for (const char* p : {"p50", "p90", "p99", "p999", "max", "mean"})
      EXPECT_TRUE(j["latency_us"][k].contains(p)) << k << " " << p;
  EXPECT_EQ(j["latency_us"]["total"]["p50"], 50);
}

}  // namespace
}  // namespace connperf::stats
