#include <gtest/gtest.h>

#include "diag/tcp_mib.h"

namespace connperf::diag {
namespace {

// Captured from a Linux 6.1 host (TcpExt shortened to the columns around ours).
const char* kSnmp =
    "Ip: Forwarding DefaultTTL InReceives\n"
    "Ip: 1 64 2046\n"
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets "
    "CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
    "Tcp: 1 200 120000 -1 13 2 7 4 0 623 437 9 0 21 0\n"
    "Udp: InDatagrams NoPorts InErrors OutDatagrams\n"
    "Udp: 5 0 0 5\n";
const char* kNetstat =
    "TcpExt: SyncookiesSent DelayedACKLost ListenOverflows ListenDrops TCPTimeouts "
    "TCPAbortOnData TCPSynRetrans TCPOrigDataSent\n"
    "TcpExt: 0 3 12345 12346 5 6 77 8\n"
    "IpExt: InNoRoutes ListenOverflows\n"
    "IpExt: 0 999\n"
    "MPTcpExt: MPCapableSYNRX ListenDrops\n"
    "MPTcpExt: 0 999\n";

TEST(TcpMib, ParsesTheTcpAndTcpExtTablesOnly) {
  TcpMib m;
  EXPECT_EQ(parse_tcp_mib(kSnmp, m), 6u);
  EXPECT_EQ(parse_tcp_mib(kNetstat, m), 5u);
  using K = TcpMibKey;
  EXPECT_EQ(m[K::ActiveOpens], 13u);
  EXPECT_EQ(m[K::PassiveOpens], 2u);
  EXPECT_EQ(m[K::AttemptFails], 7u);
  EXPECT_EQ(m[K::EstabResets], 4u);
  EXPECT_EQ(m[K::RetransSegs], 9u);
  EXPECT_EQ(m[K::OutRsts], 21u);
  EXPECT_EQ(m[K::ListenOverflows], 12345u);  // not IpExt's 999
  EXPECT_EQ(m[K::ListenDrops], 12346u);      // not MPTcpExt's
  EXPECT_EQ(m[K::TCPTimeouts], 5u);
  EXPECT_EQ(m[K::TCPAbortOnData], 6u);
  EXPECT_EQ(m[K::TCPSynRetrans], 77u);
}

TEST(TcpMib, ToleratesGarbageAndMissingValueLines) {
  TcpMib m;
  EXPECT_EQ(parse_tcp_mib("", m), 0u);
  EXPECT_EQ(parse_tcp_mib("Tcp: ActiveOpens\nUdp: 1\n", m), 0u);
  EXPECT_EQ(parse_tcp_mib("Tcp: ActiveOpens PassiveOpens\nTcp: 5 x\n", m), 1u);
  EXPECT_EQ(m[TcpMibKey::ActiveOpens], 5u);
}

TEST(TcpMib, DifferencesAndTheLimiter) {
  TcpMib a, b;
  parse_tcp_mib(kNetstat, a);
  b = a;
  EXPECT_EQ(likely_limiter(b - a), std::nullopt);
  EXPECT_EQ(tcp_mib_moved(b - a), "");
  b.v[static_cast<std::size_t>(TcpMibKey::ListenOverflows)] += 12345;
  b.v[static_cast<std::size_t>(TcpMibKey::TCPSynRetrans)] += 3;
  b.v[static_cast<std::size_t>(TcpMibKey::OutRsts)] += 100;  // every RST close: not shown
  b.v[static_cast<std::size_t>(TcpMibKey::TCPAbortOnData)] += 100;  // nor SO_LINGER 0
  const TcpMib d = b - a;
  EXPECT_EQ(tcp_mib_moved(d), "ListenOverflows +12345 TCPSynRetrans +3");
  const auto limiter = likely_limiter(d);
  ASSERT_TRUE(limiter);
  EXPECT_EQ(limiter->rfind("ListenOverflows +12,345: the server's accept queue overflowed", 0), 0u)
      << *limiter;
  EXPECT_EQ(tcp_mib_json(d)["ListenOverflows"], 12345);
  EXPECT_EQ((a - b)[TcpMibKey::ListenOverflows], 0u);  // never negative
}

TEST(TcpMib, RefusedAttemptsPointAtAttemptFails) {
  TcpMib d;
  d.v[static_cast<std::size_t>(TcpMibKey::AttemptFails)] = 5;
  const auto limiter = likely_limiter(d);
  ASSERT_TRUE(limiter);
  EXPECT_EQ(limiter->rfind("AttemptFails +5:", 0), 0u);
}

TEST(TcpMib, ReadsThisNamespace) {
  const auto m = read_tcp_mib();
  ASSERT_TRUE(m);  // /proc/thread-self/net/snmp exists on every Linux we run on
}

}  // namespace
}  // namespace connperf::diag
