// One DUT section: `lab status --json`, lab run's dut.intervals[] and dut.summary share
// lab::dut_json's keys; counters are over the span asked for, gauges as they are now.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "lab/dut.h"

namespace connperf::lab {
namespace {

using nlohmann::json;

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

DutSample sample(std::uint64_t scale) {
  DutSample d;
  d.entries = 10 * scale;
  d.established = 2 * scale;
  d.close = 5 * scale;
  d.time_wait = 3 * scale;
  d.inserted = 20 * scale;
  d.dropped = scale;
  d.lost = 2 * scale;
  d.refused = 3 * scale;
  d.rejected = 4 * scale;
  d.nft_drops = d.lost + d.refused + d.rejected;
  return d;
}

TEST(DutJson, StatusIntervalAndSummaryHaveTheSameKeys) {
  const json status = dut_json(sample(1));  // what lab status --json writes under summary.dut
  json interval = dut_interval_json(1.0, sample(3), sample(2));
  ASSERT_TRUE(interval.contains("t"));
  EXPECT_EQ(interval["t"], 1.0);
  interval.erase("t");
  const json summary = dut_json(since(sample(3), sample(1)));  // lab run's dut.summary
  EXPECT_EQ(keys(interval), keys(status));
  EXPECT_EQ(keys(summary), keys(status));
  EXPECT_EQ(keys(status), (std::set<std::string>{"entries", "established", "close", "time_wait",
                                                 "other", "new", "conntrack_drops", "rule_drops",
                                                 "lost", "refused", "reset"}));
}

TEST(DutJson, CountersOverTheSpanGaugesNow) {
  const json j = dut_interval_json(2.0, sample(5), sample(2));
  EXPECT_EQ(j.at("entries"), 50);     // the table now
  EXPECT_EQ(j.at("time_wait"), 15);
  EXPECT_EQ(j.at("new"), 60);         // 100 - 40
  EXPECT_EQ(j.at("conntrack_drops"), 3);
  EXPECT_EQ(j.at("rule_drops"), 27);  // lost + refused + reset
  EXPECT_EQ(j.at("lost"), 6);
  EXPECT_EQ(j.at("refused"), 9);
  EXPECT_EQ(j.at("reset"), 12);
}

// issue 20, defect 5: each rule's figure in its own unit (printed were "9 packets dropped or
// reset by the rules" when --limit refused connections).
TEST(DutJson, TextNamesEveryCounterInItsUnit) {
  const std::string t = dut_text(sample(1));
  EXPECT_NE(t.find("10 entries: 2 established, 5 close, 3 time_wait, 0 other; dropped 1 packets"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("20 new connections; by the rules: 3 connections refused (limit), 4 reset, "
                   "2 packets lost"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("packets dropped or reset"), std::string::npos) << t;
}

// issue 20, defect 2: a counter read lower than before (the lab rebuilt under a run) counts from
// its restart; it never wraps to 2^64 - n.
TEST(DutJson, CountersNeverWrap) {
  const DutSample d = since(sample(1), sample(4));
  EXPECT_EQ(d.inserted, 20u);
  EXPECT_EQ(d.lost, 2u);
  EXPECT_EQ(d.nft_drops, 9u);
  EXPECT_EQ(d.entries, 10u);
}

}  // namespace
}  // namespace connperf::lab
