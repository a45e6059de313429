// The device under test's figures: what is sampled from its conntrack and nftables, the one JSON
// shape that `lab status --json`, `lab run`'s dut.intervals[] and dut.summary share, its printer,
// and the reconciliation of a lab run (client, DUT and server). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "stats/server_stats.h"

namespace connperf::lab {

// The DUT's connection tracking: gauges (its table now, from one dump: the TCP states add up to
// at most the entries, the rest being other protocols) and counters (since the lab came up, or
// over a span: see since()). Each rule counts in its own unit.
struct DutSample {
  std::uint64_t entries = 0;      // entries in the table
  std::uint64_t established = 0;  // TCP entries by state
  std::uint64_t close = 0;
  std::uint64_t time_wait = 0;
  std::uint64_t other = 0;
  std::uint64_t inserted = 0;     // new connections the DUT let through (its `passed` counter)
  std::uint64_t dropped = 0;      // packets: conntrack's own drops and insert failures
  std::uint64_t nft_drops = 0;    // packets the rules dropped or reset: lost + one SYN each of
  std::uint64_t lost = 0;         //   packets dropped at random (--loss),
  std::uint64_t refused = 0;      //   connections reset past the limit (--limit),
  std::uint64_t rejected = 0;     //   connections reset at random (--reject)
};

// `now`'s gauges with its counters less `before`'s: the DUT over an interval or a run.
DutSample since(const DutSample& now, const DutSample& before) noexcept;

// The DUT section, the same keys everywhere: {"entries","established","close","time_wait",
// "other"} (the table now), {"new","conntrack_drops","rule_drops","lost","refused","reset"}
// (counters: new, refused and reset in connections; conntrack_drops and lost in packets;
// rule_drops = lost + refused + reset, in packets: a refused or reset connection is its one SYN).
nlohmann::json dut_json(const DutSample& d);
// One of lab run's dut.intervals[]: {"t": t} and dut_json(since(now, before)).
nlohmann::json dut_interval_json(double t, const DutSample& now, const DutSample& before);

// Two lines a human reads: the table now and the counters, each in its unit, indented under a
// heading.
std::string dut_text(const DutSample& d);

// The reconciliation of a lab run: stats::reconcile's (the same keys as --server-stats) with
// "lab": its name and "dut": dut_json(over_run).
nlohmann::json reconcile(std::string_view lab, std::string_view command,
                         const nlohmann::json& client_summary,
                         const stats::ListenerSnapshot& server, std::uint64_t open_now,
                         const DutSample& over_run);
// stats::reconcile_text's table and the DUT's lines.
std::string reconcile_text(const nlohmann::json& reconciliation, const DutSample& over_run);

}  // namespace connperf::lab
