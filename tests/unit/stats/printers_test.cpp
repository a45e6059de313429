// The crr summary has the JSON contract's fields; the text says what a run did in the words of
// its table.
#include <gtest/gtest.h>

#include "stats/client_stats.h"
#include "stats/printers.h"
#include "stats/server_stats.h"

namespace connperf::stats {
namespace {

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

TEST(Printers, TheRateIsOverTheLoadAndTheDrainIsShownApart) {
  ClientSnapshot s;
  s.started = s.completed = 600;
  const std::string text = crr_summary_text(s, 0, 3.0, false, 0.89);
  EXPECT_NE(text.find("200.0/s over 3.00 s, then 0.89 s for what was in flight"),
            std::string::npos)
      << text;
  EXPECT_EQ(crr_summary_text(s, 0, 3.0).find("then"), std::string::npos);
}

TEST(Printers, AnIntervalWithNothingMeasuredShowsADash) {
  ClientSnapshot quiet;
  const std::string line = crr_line(1, quiet, 1);
  EXPECT_EQ(line.find("us"), std::string::npos) << line;
  EXPECT_NE(line.find(" -"), std::string::npos) << line;
  EXPECT_EQ(percentile_cell(quiet.connect_us, 50), "-");
  quiet.connect_us.record(45);
  EXPECT_EQ(percentile_cell(quiet.connect_us, 50), "45us");
}

TEST(Printers, NothingCompletedNamesTheMainCauseTheTargetAndTheFix) {
  ClientSnapshot s;
  EXPECT_EQ(nothing_completed(s, "127.0.0.1:9"), "");  // nothing attempted
  s.started = 46'080;
  s.errors[static_cast<std::size_t>(ErrorKind::Refused)] = 46'000;
  s.errors[static_cast<std::size_t>(ErrorKind::Timeout)] = 80;
  EXPECT_EQ(nothing_completed(s, "127.0.0.1:9"),
            "nothing completed: 46,000 refused by 127.0.0.1:9 — is anything listening?");
  s.completed = 1;
  EXPECT_EQ(nothing_completed(s, "127.0.0.1:9"), "");
}

TEST(Printers, TlsSummaryNamesHandshakesAndWhatTheyNegotiated) {
  ClientSnapshot s;
  s.started = s.completed = 10;
  s.tls_full = 4;
  s.tls_resumed = 6;
  s.tls_us.record(900);
  s.errors[static_cast<std::size_t>(ErrorKind::NotTls)] = 0;
  s.tls_alerts[40] = 3;  // handshake_failure, as the peer sent it
  const TlsNames names{"TLSv1.3", "TLS_AES_256_GCM_SHA384", "x25519"};
  nlohmann::json j = crr_summary_json(s, 0, 1.0);
  add_tls_summary(j, s, names);
  EXPECT_EQ(j["tls"], (nlohmann::json{{"full", 4}, {"resumed", 6}, {"version", "TLSv1.3"},
                                      {"cipher", "TLS_AES_256_GCM_SHA384"}, {"group", "x25519"},
                                      {"alerts", {{"handshake failure", 3}}}}));
  EXPECT_EQ(j["latency_us"]["tls"]["count"], 1);
  EXPECT_TRUE(j["histograms"].contains("tls"));
  EXPECT_TRUE(j["errors"].contains("not_tls"));
  EXPECT_TRUE(j["errors"].contains("tls_verify"));
  EXPECT_TRUE(j["errors"].contains("tls_failed"));
  EXPECT_EQ(tls_summary_text(s, names),
            "\ntls handshakes  full 4, resumed 6 (TLSv1.3, TLS_AES_256_GCM_SHA384, x25519)\n");
  // The tls latency row sits between connect and response.
  const std::string text = crr_summary_text(s, 0, 1.0);
  const auto tls_row = text.find("\n  tls ");
  ASSERT_NE(tls_row, std::string::npos) << text;
  EXPECT_LT(text.find("\n  connect "), tls_row);
  EXPECT_GT(text.find("\n  response "), tls_row);
  s.started = 5;
  s.completed = 0;
  s.errors[static_cast<std::size_t>(ErrorKind::NotTls)] = 5;
  EXPECT_EQ(nothing_completed(s, "127.0.0.1:80"),
            "nothing completed: 5 answered in plaintext by 127.0.0.1:80 — is it a TLS server?");
}

// issue 20, defect 2: an interval's `active` is the gauge now, never its own difference (with
// loss, more connections close in an interval than it accepted: 2^64 - 22 was written).
TEST(Printers, ServerIntervalActiveIsTheGaugeNow) {
  ListenerSnapshot before, now;
  before.accepted = 100;
  before.rst = 60;
  now.accepted = 103;
  now.rst = 85;
  const auto j = server_interval_json(now, before);
  EXPECT_EQ(j["accepted"], 3);
  EXPECT_EQ(j["rst"], 25);
  EXPECT_EQ(j["active"], 18);
  EXPECT_EQ(server_counts_json(now, 5)["active"], 5);
  EXPECT_EQ(server_counts_json(now)["active"], 18);
}

}  // namespace
}  // namespace connperf::stats
