#include "lab/dut_reader.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

namespace connperf::lab {

namespace {

constexpr std::uint16_t kCtDump = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
constexpr std::uint16_t kCtStats = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS_CPU;
constexpr std::uint16_t kNftObjects = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETOBJ;
constexpr std::uint16_t kNftTables = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
constexpr std::uint8_t kCommentTag = 0;  // libnftnl's NFTNL_UDATA_TABLE_COMMENT

std::vector<std::uint8_t> counters_filter() {
  std::vector<std::uint8_t> f;
  put_attr(f, NFTA_OBJ_TABLE, kLabTable);
  put_be32(f, NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER);
  return f;
}

}  // namespace

void add_conntrack_entry(const NfMessage& m, DutSample& out) {
  ++out.entries;
  const Bytes proto = find_attr(find_attr(m.attrs, CTA_TUPLE_ORIG), CTA_TUPLE_PROTO);
  if (be_number(find_attr(proto, CTA_PROTO_NUM)) != IPPROTO_TCP) return;
  const Bytes tcp = find_attr(find_attr(m.attrs, CTA_PROTOINFO), CTA_PROTOINFO_TCP);
  switch (be_number(find_attr(tcp, CTA_PROTOINFO_TCP_STATE))) {
    case TCP_CONNTRACK_ESTABLISHED: ++out.established; break;
    case TCP_CONNTRACK_CLOSE: ++out.close; break;
    case TCP_CONNTRACK_TIME_WAIT: ++out.time_wait; break;
    default: ++out.other;
  }
}

void add_conntrack_stats(const NfMessage& m, DutSample& out) {
  for (const auto type : {CTA_STATS_DROP, CTA_STATS_EARLY_DROP, CTA_STATS_INSERT_FAILED})
    out.dropped += be_number(find_attr(m.attrs, static_cast<std::uint16_t>(type)));
}

void add_rule_counter(const NfMessage& m, DutSample& out) {
  if (attr_string(find_attr(m.attrs, NFTA_OBJ_TABLE)) != kLabTable) return;
  const std::string name = attr_string(find_attr(m.attrs, NFTA_OBJ_NAME));
  const std::uint64_t packets =
      be_number(find_attr(find_attr(m.attrs, NFTA_OBJ_DATA), NFTA_COUNTER_PACKETS));
  if (name == "passed") out.inserted = packets;  // new connections let through
  else if (name == "lost") out.lost = packets;
  else if (name == "refused") out.refused = packets;
  else if (name == "rejected") out.rejected = packets;
}

std::string table_comment(const NfMessage& m) {
  if (attr_string(find_attr(m.attrs, NFTA_TABLE_NAME)) != kLabTable) return "";
  Bytes udata = find_attr(m.attrs, NFTA_TABLE_USERDATA);  // type, length, value; repeated
  while (udata.size() >= 2 && udata.size() >= 2u + udata[1]) {
    if (udata[0] == kCommentTag) return attr_string(udata.subspan(2, udata[1]));
    udata = udata.subspan(2u + udata[1]);
  }
  return "";
}

DutReader::DutReader(const std::string& name)
    : nl_(NetfilterSocket::open_in(Topology{name}.dut_ns())) {}

DutSample DutReader::sample() {
  DutSample s;
  counters(s);
  table(s);
  return s;
}

void DutReader::counters(DutSample& s) {
  s.dropped = s.lost = s.refused = s.rejected = s.inserted = 0;
  nl_.dump(kCtStats, AF_UNSPEC, {}, [&s](const NfMessage& m) { add_conntrack_stats(m, s); });
  nl_.dump(kNftObjects, NFPROTO_INET, counters_filter(),
           [&s](const NfMessage& m) { add_rule_counter(m, s); });
  s.nft_drops = s.lost + s.refused + s.rejected;
}

void DutReader::table(DutSample& s) {
  s.entries = s.established = s.close = s.time_wait = s.other = 0;
  nl_.dump(kCtDump, AF_UNSPEC, {}, [&s](const NfMessage& m) { add_conntrack_entry(m, s); });
}

std::optional<LabSpec> DutReader::settings() {
  std::string comment;
  nl_.dump(kNftTables, NFPROTO_INET, {}, [&comment](const NfMessage& m) {
    if (const std::string c = table_comment(m); !c.empty()) comment = c;
  });
  return parse_settings(comment);
}

}  // namespace connperf::lab
