// Client accounting: snapshots add and subtract exactly, errno maps to the DESIGN.md categories.
#include <cerrno>

#include <gtest/gtest.h>

#include "net/error.h"
#include "stats/client_stats.h"

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

}  // namespace
}  // namespace connperf::stats
