// A server listener's counters.
#include <gtest/gtest.h>

#include "stats/printers.h"
#include "stats/server_stats.h"

namespace connperf::stats {
namespace {

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

// issue 20, defect 2: no difference of counters wraps below zero. An interval in which more
// connections closed than were accepted has no `active` of its own; a counter read lower than
// before has restarted, and counts from there.
TEST(ServerStats, DifferencesNeverWrap) {
  ListenerSnapshot before;
  before.accepted = 100;
  before.rst = 60;
  ListenerSnapshot now = before;
  now.accepted += 3;
  now.rst += 25;  // 22 of them accepted in an earlier interval
  ListenerSnapshot d = now;
  d -= before;
  EXPECT_EQ(d.accepted, 3u);
  EXPECT_EQ(d.rst, 25u);
  EXPECT_EQ(d.active(), 0u);  // not 2^64 - 22
  EXPECT_EQ(now.active(), 18u);
  ListenerSnapshot restarted;
  restarted.accepted = 7;
  restarted.fin = 2;
  restarted -= before;
  EXPECT_EQ(restarted.accepted, 7u);
  EXPECT_EQ(restarted.rst, 0u);
  EXPECT_EQ(restarted.fin, 2u);
}

// --tls: failed handshakes by the alert that ended them, named as OpenSSL names it; a code
// outside the list is "other"; intervals' differences and sums carry them.
TEST(ServerStats, AlertsAreCountedByName) {
  ListenerStats live;
  live.tls_failed.add(4);
  live.alerts_sent[alert_slot(70)].add(2);     // protocol version
  live.alerts_received[alert_slot(48)].add();  // unknown CA
  live.alerts_received[alert_slot(200)].add();
  ListenerSnapshot s;
  live.snapshot(s);
  const nlohmann::json j = server_tls_json(s, true);
  EXPECT_EQ(j["failed"], 4);
  EXPECT_EQ(j["alerts_sent"], nlohmann::json({{"protocol version", 2}}));
  EXPECT_EQ(j["alerts_received"], nlohmann::json({{"unknown CA", 1}, {"other", 1}}));
  EXPECT_FALSE(server_tls_json(s).contains("alerts_sent"));  // intervals: counts only
  const std::string text = server_tls_text(s);
  EXPECT_NE(text.find("failed on an alert sent: protocol version 2"), std::string::npos) << text;
  EXPECT_NE(text.find("received: unknown CA 1, other 1"), std::string::npos) << text;
  ListenerSnapshot sum = s;
  sum += s;
  EXPECT_EQ(sum.alerts_sent[alert_slot(70)], 4u);
  sum -= s;
  EXPECT_EQ(sum.alerts_sent[alert_slot(70)], 2u);
}

}  // namespace
}  // namespace connperf::stats
