// The DUT's figures read in-process over netlink from inside NAME-dut, no tool started: one
// conntrack dump per sample gives the entries and their TCP states together (one pass over the
// table, so the breakdown always adds up to at most the entries), conntrack's per-CPU statistics
// its drops, the lab table's named counters the rules' figures, and the table's comment the
// settings `lab up` built it with. Command's thread only (one socket, one dump at a time).
#pragma once

#include <optional>
#include <string>

#include "lab/dut.h"
#include "lab/lab.h"
#include "lab/netlink.h"

namespace connperf::lab {

class DutReader {
 public:
  // Throws LabError when NAME-dut cannot be entered.
  explicit DutReader(const std::string& name);
  // The DUT now (counters since the lab came up): counters(), then table(). Throws LabError
  // when a dump fails.
  DutSample sample();
  // Its counters (conntrack's drops, the rules'): a few microseconds.
  void counters(DutSample& out);
  // Its table (entries by state), one dump: it walks the host's whole conntrack hash, every
  // namespace's, so it takes milliseconds (2 ms empty with 262,144 buckets).
  void table(DutSample& out);
  // The settings of `lab up` (from the table's comment); nullopt when the table has none.
  std::optional<LabSpec> settings();

 private:
  NetfilterSocket nl_;
};

// Decoders of one dump reply each, for DutReader (and tests).
void add_conntrack_entry(const NfMessage& entry, DutSample& out);  // IPCTNL_MSG_CT_NEW
void add_conntrack_stats(const NfMessage& cpu, DutSample& out);    // ..._GET_STATS_CPU
void add_rule_counter(const NfMessage& object, DutSample& out);    // NFT_MSG_NEWOBJ
// The comment of the lab's table in a NFT_MSG_NEWTABLE reply; "" for another table or none.
std::string table_comment(const NfMessage& table);

}  // namespace connperf::lab
