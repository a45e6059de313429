// Accounting and printing: snapshots add and subtract exactly, errno maps to the DESIGN.md
// categories, numbers format as the tables show them.
#include <cerrno>

#include <gtest/gtest.h>

#include "net/error.h"
#include "stats/client_stats.h"
#include "stats/printers.h"
#include "stats/server_stats.h"

namespace connperf::stats {
namespace {

TEST(ClientStats, SnapshotDifferenceIsTheInterval) {
  ClientStats live;
  for (int i = 0; i < 10; ++i) live.started();
  for (int i = 0; i < 7; ++i) live.completed();
  live.error(ErrorKind::Refused, ECONNREFUSED);
  live.connect_us().record(100);
  ClientSnapshot first;
  live.snapshot(first);
  for (int i = 0; i < 5; ++i) live.started();
  live.completed();
  live.error(ErrorKind::Other, EPERM);
  live.connect_us().record(300);
  live.set_in_flight(3);
  ClientSnapshot second;
  live.snapshot(second);
  ClientSnapshot delta = second;
  delta -= first;
  EXPECT_EQ(delta.started, 5u);
  EXPECT_EQ(delta.completed, 1u);
  EXPECT_EQ(delta.error_total(), 1u);
  EXPECT_EQ(delta.errors[static_cast<std::size_t>(ErrorKind::Other)], 1u);
  EXPECT_EQ(delta.other_errno[EPERM], 1u);
  EXPECT_EQ(delta.in_flight, 3u);
  EXPECT_EQ(delta.connect_us.count(), 1u);
  EXPECT_EQ(delta.connect_us.max(), 300u);
}

TEST(ClientStats, MergeAddsEveryField) {
  ClientStats a, b;
  a.started();
  a.completed();
  a.total_us().record(10);
  b.started();
  b.error(ErrorKind::Timeout, 0);
  b.total_us().record(20);
  ClientSnapshot sa, sb;
  a.snapshot(sa);
  b.snapshot(sb);
  sa += sb;
  EXPECT_EQ(sa.started, 2u);
  EXPECT_EQ(sa.completed, 1u);
  EXPECT_EQ(sa.errors[static_cast<std::size_t>(ErrorKind::Timeout)], 1u);
  EXPECT_EQ(sa.total_us.count(), 2u);
  EXPECT_EQ(sa.total_us.sum(), 30u);
}

TEST(ClientStats, ErrnoCategories) {
  EXPECT_EQ(error_kind(net::classify(ECONNREFUSED)), ErrorKind::Refused);
  EXPECT_EQ(error_kind(net::classify(ECONNRESET)), ErrorKind::Reset);
  EXPECT_EQ(error_kind(net::classify(ETIMEDOUT)), ErrorKind::Timeout);
  EXPECT_EQ(error_kind(net::classify(ENETUNREACH)), ErrorKind::Unreachable);
  EXPECT_EQ(error_kind(net::classify(EHOSTUNREACH)), ErrorKind::Unreachable);
  EXPECT_EQ(error_kind(net::classify(EADDRNOTAVAIL)), ErrorKind::AddrUnavailable);
  EXPECT_EQ(error_kind(net::classify(EPIPE)), ErrorKind::ClosedEarly);
  EXPECT_EQ(error_kind(net::classify(EMFILE)), ErrorKind::Other);
  EXPECT_STREQ(to_string(ErrorKind::AddrUnavailable), "addr_unavailable");
  EXPECT_STREQ(to_string(ErrorKind::ClosedEarly), "closed_early");
  EXPECT_EQ(net::errno_name(ECONNREFUSED), "ECONNREFUSED");
}

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

}  // namespace
}  // namespace connperf::stats
