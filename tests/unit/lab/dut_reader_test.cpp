// The DUT's figures decoded from its dumps: issue 20, defect 3 — entries and their TCP states
// come from the same messages (one pass), so the breakdown always adds up.
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include "lab/dut_reader.h"

namespace connperf::lab {
namespace {

using Buf = std::vector<std::uint8_t>;

Buf nested(std::uint16_t type, const Buf& inner) {
  Buf out;
  put_attr(out, type | NLA_F_NESTED, inner);
  return out;
}

Buf u8_attr(std::uint16_t type, std::uint8_t v) {
  Buf out;
  put_attr(out, type, Bytes(&v, 1));
  return out;
}

// A conntrack entry as the kernel dumps it: protocol in the original tuple, TCP state in the
// protocol info.
Buf entry(std::uint8_t proto, std::uint8_t tcp_state) {
  Buf attrs = nested(CTA_TUPLE_ORIG, nested(CTA_TUPLE_PROTO, u8_attr(CTA_PROTO_NUM, proto)));
  if (proto == IPPROTO_TCP) {
    const Buf info = nested(CTA_PROTOINFO, nested(CTA_PROTOINFO_TCP,
                                                  u8_attr(CTA_PROTOINFO_TCP_STATE, tcp_state)));
    attrs.insert(attrs.end(), info.begin(), info.end());
  }
  return attrs;
}

TEST(DutReader, EntriesAndStatesFromOneDump) {
  DutSample s;
  for (const auto& [proto, state] :
       {std::pair{IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED}, {IPPROTO_TCP, TCP_CONNTRACK_CLOSE},
        {IPPROTO_TCP, TCP_CONNTRACK_CLOSE}, {IPPROTO_TCP, TCP_CONNTRACK_TIME_WAIT},
        {IPPROTO_TCP, TCP_CONNTRACK_SYN_SENT}, {IPPROTO_UDP, TCP_CONNTRACK_NONE}}) {
    const Buf attrs = entry(static_cast<std::uint8_t>(proto), static_cast<std::uint8_t>(state));
    add_conntrack_entry({0x100, 2, 0, attrs}, s);
  }
  EXPECT_EQ(s.entries, 6u);
  EXPECT_EQ(s.established, 1u);
  EXPECT_EQ(s.close, 2u);
  EXPECT_EQ(s.time_wait, 1u);
  EXPECT_EQ(s.other, 1u);  // SYN_SENT; the UDP entry is in entries only
  EXPECT_LE(s.established + s.close + s.time_wait + s.other, s.entries);
}

TEST(DutReader, DropsSumOverCpusAndRuleCountersByName) {
  DutSample s;
  for (std::uint32_t cpu = 0; cpu < 2; ++cpu) {
    Buf attrs;
    put_be32(attrs, CTA_STATS_DROP, 2 + cpu);
    put_be32(attrs, CTA_STATS_EARLY_DROP, 1);
    put_be32(attrs, CTA_STATS_INSERT_FAILED, cpu);
    put_be32(attrs, CTA_STATS_INVALID, 50);  // not a drop of the table
    add_conntrack_stats({0x104, 0, static_cast<std::uint16_t>(cpu), attrs}, s);
  }
  EXPECT_EQ(s.dropped, 2u + 1u + 0u + 3u + 1u + 1u);
  for (const auto& [table, name, packets] :
       {std::tuple{kLabTable, "passed", 40}, {kLabTable, "refused", 7}, {kLabTable, "lost", 3},
        {kLabTable, "rejected", 2}, {"other", "passed", 99}}) {
    Buf data, attrs;
    const std::uint8_t be[8] = {0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(packets)};
    put_attr(data, NFTA_COUNTER_PACKETS, Bytes(be, 8));
    put_attr(attrs, NFTA_OBJ_TABLE, table);
    put_attr(attrs, NFTA_OBJ_NAME, name);
    const Buf obj = nested(NFTA_OBJ_DATA, data);
    attrs.insert(attrs.end(), obj.begin(), obj.end());
    add_rule_counter({0xa12, 1, 0, attrs}, s);
  }
  EXPECT_EQ(s.inserted, 40u);
  EXPECT_EQ(s.refused, 7u);
  EXPECT_EQ(s.lost, 3u);
  EXPECT_EQ(s.rejected, 2u);
}

TEST(DutReader, TheTablesCommentIsItsSettings) {
  const std::string comment = "connperf lab: sources=1 nat=0 loss=3 limit=0 reject=0";
  Buf udata = {0, static_cast<std::uint8_t>(comment.size() + 1)};
  udata.insert(udata.end(), comment.begin(), comment.end());
  udata.push_back(0);
  Buf attrs;
  put_attr(attrs, NFTA_TABLE_NAME, kLabTable);
  put_attr(attrs, NFTA_TABLE_USERDATA, udata);
  EXPECT_EQ(table_comment({0xa00, 1, 0, attrs}), comment);
  Buf other;
  put_attr(other, NFTA_TABLE_NAME, "filter");
  put_attr(other, NFTA_TABLE_USERDATA, udata);
  EXPECT_EQ(table_comment({0xa00, 1, 0, other}), "");
}

}  // namespace
}  // namespace connperf::lab
