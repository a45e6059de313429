// The client/server reconciliation table.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "listener.h"
#include "stats/reconcile.h"
#include "stats/server_stats.h"

namespace connperf {
namespace {

using test::listener;

TEST(Reconcile, CrrStartedVsAcceptedAndCompletedVsClosed) {
  const nlohmann::json client = {{"started", 100}, {"completed", 97}, {"errors", {{"timeout", 3}}}};
  stats::ListenerSnapshot server = listener(99, 95, 2);
  const nlohmann::json r = stats::reconcile("crr", client, server, 1);
  EXPECT_EQ(r["differences"]["started_not_accepted"], 1);
  EXPECT_EQ(r["differences"]["completed_not_closed_at_server"], 0);
  EXPECT_EQ(r["server"]["active"], 1);
  EXPECT_EQ(r["client"]["errors"]["timeout"], 3);
  const std::string text = stats::reconcile_text(r, "http://x");
  EXPECT_NE(text.find("started / accepted"), std::string::npos);
  EXPECT_NE(text.find("positive difference"), std::string::npos);
}

TEST(Reconcile, AnotherClientMakesTheDifferenceNegative) {
  const nlohmann::json client = {{"started", 100}, {"completed", 100}};
  const nlohmann::json r = stats::reconcile("crr", client, listener(250, 250, 0), 0);
  EXPECT_EQ(r["differences"]["started_not_accepted"], -150);
  EXPECT_EQ(r["differences"]["completed_not_closed_at_server"], -150);
  EXPECT_NE(stats::reconcile_text(r, "x").find("-150\n"), std::string::npos);
}

TEST(Reconcile, CcAndRr) {
  const nlohmann::json cc = {{"attempted", 50}, {"established", 48}};
  const nlohmann::json r = stats::reconcile("cc", cc, listener(48, 0, 0), 48);
  EXPECT_EQ(r["differences"]["started_not_accepted"], 2);
  EXPECT_EQ(r["differences"]["established_not_accepted"], 0);
  const nlohmann::json rr = {{"started", 1000}, {"completed", 1000}};
  stats::ListenerSnapshot s;
  s.requests = 990;
  EXPECT_EQ(stats::reconcile("rr", rr, s, 0)["differences"]["requests_not_counted_at_server"], 10);
  EXPECT_EQ(stats::server_counts_of({{"accepted", 3}, {"rst", 2}}).rst, 2u);
}

}  // namespace
}  // namespace connperf
