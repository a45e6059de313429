// The client/server reconciliation: its table, and one key set — what `lab run` puts in
// `reconciliation` is what `--server-stats` puts there (stats::reconcile), plus the lab's own
// sections.
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lab/dut.h"
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

using nlohmann::json;

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

// Every key, nested ones as "a.b"; arrays by their first element ("rows.what").
void paths(const json& j, const std::string& at, std::set<std::string>& out) {
  if (j.is_array() && !j.empty()) return paths(j.front(), at, out);
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    out.insert(at + k);
    paths(v, at + k + ".", out);
  }
}

std::set<std::string> paths(const json& j) {
  std::set<std::string> out;
  paths(j, "", out);
  return out;
}

stats::ListenerSnapshot server_counts() {
  stats::ListenerSnapshot s;
  s.accepted = 99;
  s.requests = 99;
  s.rst = 60;
  s.fin = 35;
  return s;
}

// What --server-stats records: stats::reconcile over the run, and where the counts came from.
json server_stats_reconciliation(const std::string& command, const json& client) {
  json j = stats::reconcile(command, client, server_counts(), 4);
  j["server_stats"] = "http://127.0.0.1:9100";
  return j;
}

TEST(ReconcileKeys, LabRunAndServerStatsShareEveryKeyButTheirOwnSections) {
  const json client = {{"started", 100}, {"completed", 95}, {"errors", {{"timeout", 5}}}};
  lab::DutSample dut;
  dut.inserted = 100;
  for (const char* command : {"crr", "rr", "cc"}) {
    const json live = server_stats_reconciliation(command, client);
    const json lab = lab::reconcile("cplab", command, client, server_counts(), 4, dut);
    json lab_common = lab, live_common = live;
    lab_common.erase("lab");
    lab_common.erase("dut");
    live_common.erase("server_stats");
    EXPECT_EQ(paths(lab_common), paths(live_common)) << command;
    EXPECT_EQ(lab_common, live_common) << command;  // the same counts give the same numbers
    EXPECT_EQ(keys(lab), (std::set<std::string>{"client", "server", "rows", "differences", "lab",
                                                "dut"}))
        << command;
  }
}

// The name is true for both closes: completed is compared with the server's rst + fin.
TEST(ReconcileKeys, CompletedIsComparedWithEveryCloseAtTheServer) {
  const json client = {{"started", 99}, {"completed", 95}};
  const json r = stats::reconcile("crr", client, server_counts(), 4);
  EXPECT_EQ(keys(r.at("differences")),
            (std::set<std::string>{"started_not_accepted", "completed_not_closed_at_server"}));
  EXPECT_EQ(r.at("differences").at("completed_not_closed_at_server"), 0);
  EXPECT_EQ(keys(r.at("client")), (std::set<std::string>{"started", "completed", "errors"}));
  EXPECT_EQ(keys(r.at("server")), (std::set<std::string>{"accepted", "requests", "rst", "fin",
                                                      "closed_by_server", "errors", "active"}));
}

// The lab's text is the --server-stats table with the DUT's lines under it.
TEST(ReconcileKeys, LabTextIsTheServerStatsTableAndTheDut) {
  const json client = {{"started", 99}, {"completed", 95}};
  lab::DutSample dut;
  dut.inserted = 99;
  const json r = lab::reconcile("cplab", "crr", client, server_counts(), 4, dut);
  const std::string text = lab::reconcile_text(r, dut);
  EXPECT_EQ(text.rfind(stats::reconcile_text(r, "lab cplab's server"), 0), 0u) << text;
  EXPECT_NE(text.find("through the DUT (cplab)"), std::string::npos) << text;
  EXPECT_NE(text.find("99 new connections"), std::string::npos) << text;
}

}  // namespace
}  // namespace connperf
