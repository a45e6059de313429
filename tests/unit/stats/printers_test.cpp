// Numbers format as the tables show them; the crr summary has the JSON contract's fields.
#include <gtest/gtest.h>

#include "stats/client_stats.h"
#include "stats/printers.h"
#include "stats/server_stats.h"

namespace connperf::stats {
namespace {

TEST(Printers, Formatting) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_rate(41228.14), "41,228.1");
  EXPECT_EQ(format_us(45), "45us");
  EXPECT_EQ(format_us(1234), "1.23ms");
  EXPECT_EQ(format_us(2'500'000), "2.50s");
}

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

// issue 20, defect 2: an interval's `active` is the gauge now, never its own difference (with
// loss, more connections close in an interval than it accepted: 2^64 - 22 was written).
TEST(Printers, ServerIntervalActiveIsTheGaugeNow) {
  ListenerSnapshot before, now;
  before.accepted = 100;
  before.rst = 60;
  now.accepted = 103;
  now.rst = 85;
  const auto j = server_interval_json(now, before);
  EXPECT_EQ(j["accepted"], 3);
  EXPECT_EQ(j["rst"], 25);
  EXPECT_EQ(j["active"], 18);
  EXPECT_EQ(server_counts_json(now, 5)["active"], 5);
  EXPECT_EQ(server_counts_json(now)["active"], 18);
}

}  // namespace
}  // namespace connperf::stats
