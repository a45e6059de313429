// `connperf merge`: result files of one kind add up to the result of one run.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "result/merge.h"
#include "stats/client_stats.h"
#include "stats/printers.h"

namespace connperf::result {
namespace {

nlohmann::json crr_doc(const stats::ClientSnapshot& s, double seconds, std::uint64_t aborted) {
  return {{"tool", "connperf"},
          {"command", "crr"},
          {"config", {{"threads", 1}}},
          {"intervals",
           {stats::crr_interval_json(1.0, s, 1.0), stats::crr_interval_json(2.0, s, 1.0)}},
          {"summary", stats::crr_summary_json(s, aborted, seconds)}};
}

TEST(DistMerge, ThreeResultsGiveSummedTotalsAndTheMergedHistogram) {
  stats::ClientSnapshot parts[3], all;
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<std::uint64_t> d(20, 900'000);
  for (int i = 0; i < 9000; ++i) {
    const auto v = d(rng) >> (i % 3 * 3);
    for (auto* s : {&parts[i % 3], &all}) {
      s->started++;
      s->completed++;
      s->connect_us.record(v / 3);
      s->response_us.record(v);
      s->total_us.record(v + v / 3);
    }
  }
  parts[1].errors[static_cast<std::size_t>(stats::ErrorKind::Timeout)] = 4;
  parts[1].started += 4;
  all.errors[static_cast<std::size_t>(stats::ErrorKind::Timeout)] = 4;
  all.started += 4;
  const result::Merged m = result::merge_results({crr_doc(parts[0], 2.0, 1), crr_doc(parts[1], 2.5, 0),
                                  crr_doc(parts[2], 2.0, 2)},
                                 {"a.json", "b.json", "c.json"});
  const nlohmann::json want = stats::crr_summary_json(all, 3, 2.5);
  const nlohmann::json& got = m.doc["summary"];
  for (const char* key : {"started", "completed", "aborted", "error_total", "errors", "latency_us",
                          "histograms", "cps", "seconds"})
    EXPECT_EQ(got[key], want[key]) << key;
  EXPECT_EQ(got["merged_from"], 3);
  EXPECT_EQ(m.doc["command"], "crr");
  ASSERT_EQ(m.doc["intervals"].size(), 2u);
  EXPECT_EQ(m.doc["intervals"][1]["started"], all.started);
  EXPECT_DOUBLE_EQ(m.doc["intervals"][1]["cps"].get<double>(), static_cast<double>(all.completed));
}

// --object: body bytes and each size's completions add up; goodput follows from them.
TEST(DistMerge, BodyBytesAddUpPerObjectSize) {
  stats::ClientSnapshot a, b;
  a.started = a.completed = 3;
  b.started = b.completed = 5;
  a.objects[0] = {1024, 2, 2048};
  a.objects[1] = {65536, 1, 65536};
  b.objects[0] = {1024, 3, 3072};
  b.objects[1] = {65536, 2, 131072};
  a.body_bytes = 2048 + 65536;
  b.body_bytes = 3072 + 131072;
  const result::Merged m =
      result::merge_results({crr_doc(a, 2.0, 0), crr_doc(b, 2.0, 0)}, {"a.json", "b.json"});
  const nlohmann::json& got = m.doc["summary"];
  EXPECT_EQ(got["body_bytes"], 2048 + 65536 + 3072 + 131072);
  EXPECT_DOUBLE_EQ(got["goodput_bytes_per_s"].get<double>(), (2048 + 65536 + 3072 + 131072) / 2.0);
  ASSERT_EQ(got["objects"].size(), 2u);
  EXPECT_EQ(got["objects"][0]["completed"], 5);
  EXPECT_EQ(got["objects"][1]["body_bytes"], 65536 * 3);
  EXPECT_DOUBLE_EQ(m.doc["intervals"][0]["goodput_bytes_per_s"].get<double>(),
                   2048 + 65536 + 3072 + 131072);
}

// --tls: summary.tls adds its handshakes and alerts, keeps the names of the first part that made
// a handshake, and latency_us.tls comes from the added histograms.
TEST(DistMerge, TlsHandshakesAlertsAndTheirLatencyMerge) {
  stats::ClientSnapshot a, b, all;
  a.started = 2;
  a.errors[static_cast<std::size_t>(stats::ErrorKind::TlsFailed)] = 2;
  a.tls_alerts[70] = 2;  // protocol version
  b.started = b.completed = 6;
  b.tls_full = 2;
  b.tls_resumed = 4;
  for (std::uint64_t v : {300, 400, 500, 600, 700, 900}) {
    b.connect_us.record(v / 10);
    b.response_us.record(v / 2);
    b.total_us.record(v * 2);
    b.tls_us.record(v);
  }
  auto with_tls = [](const stats::ClientSnapshot& s, const stats::TlsNames& names) {
    nlohmann::json d = crr_doc(s, 2.0, 0);
    stats::add_tls_summary(d["summary"], s, names);
    return d;
  };
  const result::Merged m = result::merge_results(
      {with_tls(a, {}), with_tls(b, {"TLSv1.3", "TLS_AES_256_GCM_SHA384", "x25519"})},
      {"a.json", "b.json"});
  const nlohmann::json& tls = m.doc["summary"]["tls"];
  EXPECT_EQ(tls["full"], 2);
  EXPECT_EQ(tls["resumed"], 4);
  EXPECT_EQ(tls["version"], "TLSv1.3");
  EXPECT_EQ(tls["cipher"], "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(tls["group"], "x25519");
  EXPECT_EQ(tls["alerts"]["protocol version"], 2);
  EXPECT_EQ(m.doc["summary"]["latency_us"]["tls"]["count"], 6);
  EXPECT_EQ(m.doc["summary"]["latency_us"]["tls"], stats::latency_json(b.tls_us));
  EXPECT_NE(m.text.find("tls handshakes  full 2, resumed 4 (TLSv1.3"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("alert protocol version"), std::string::npos) << m.text;
  // Without --tls, no summary.tls.
  const result::Merged plain =
      result::merge_results({crr_doc(b, 2.0, 0), crr_doc(b, 2.0, 0)}, {"a.json", "b.json"});
  EXPECT_FALSE(plain.doc["summary"].contains("tls"));
}

TEST(DistMerge, TheMergedResultRanWhenItsFirstPartStartedWhereItsPartsRan) {
  stats::ClientSnapshot s;
  s.started = s.completed = 10;
  nlohmann::json a = crr_doc(s, 1.0, 0), b = crr_doc(s, 1.0, 0), c = crr_doc(s, 1.0, 0);
  a["started_at"] = "2026-12-07T12:00:05Z";
  a["host"] = "gen-2";
  b["started_at"] = "2026-12-07T12:00:03Z";
  b["host"] = "gen-1";
  c["started_at"] = "2026-12-07T12:00:04Z";
  c["host"] = "gen-2";
  const result::Merged m = result::merge_results({a, b, c}, {"a", "b", "c"});
  EXPECT_EQ(m.doc["started_at"], "2026-12-07T12:00:03Z");
  EXPECT_EQ(m.doc["host"], "gen-2,gen-1");
  EXPECT_EQ(m.doc["tool"], "connperf");
  EXPECT_EQ(m.doc["config"]["merged"].size(), 3u);
}

// A cc part as a run writes it: `failed` of them refused, one lost.
nlohmann::json cc_doc(std::uint64_t attempted, std::uint64_t failed, double reached) {
  const std::uint64_t zero = 0, lost = 1;
  return {{"tool", "connperf"},
          {"command", "cc"},
          {"config", {{"count", attempted}}},
          {"intervals", nlohmann::json::array()},
          {"summary",
           {{"target", attempted}, {"attempted", attempted}, {"established", attempted - failed},
            {"failed", failed}, {"errors", {{"refused", failed}, {"timeout", zero}}},
            {"aborted", zero}, {"lost", lost}, {"survived", attempted - failed - lost},
            {"keepalives", zero}, {"time_to_reach_s", reached}, {"seconds", 3.0}}}};
}

TEST(DistMerge, CcTextHasTheCausesAndTheLostLikeARunsSummary) {
  const result::Merged m =
      result::merge_results({cc_doc(100, 3, 1.5), cc_doc(200, 5, 2.0)}, {"a", "b"});
  EXPECT_EQ(m.doc["summary"]["lost"], 2);
  EXPECT_EQ(m.doc["summary"]["errors"]["refused"], 8);
  EXPECT_NE(m.text.find("refused"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("lost"), std::string::npos) << m.text;
  stats::ClientSnapshot a;
  a.started = 300;
  a.completed = 292;
  a.errors[static_cast<std::size_t>(stats::ErrorKind::Refused)] = 8;
  EXPECT_EQ(m.text, "2 cc results merged" + stats::cc_summary_text(a, 2, 290, 300, 2.0));
}

TEST(DistMerge, RefusesDifferentSubcommandsAndOtherHistogramParameters) {
  stats::ClientSnapshot s;
  s.started = s.completed = 1;
  s.total_us.record(5);
  nlohmann::json a = crr_doc(s, 1, 0), b = crr_doc(s, 1, 0);
  b["command"] = "rr";
  EXPECT_THROW(result::merge_results({a, b}, {"a", "b"}), result::MergeError);
  b = crr_doc(s, 1, 0);
  b["summary"]["histograms"]["total"]["sub_buckets"] = 64;
  try {
    result::merge_results({a, b}, {"a", "b"});
    FAIL() << "merged histograms of other parameters";
  } catch (const result::MergeError& e) {
    EXPECT_NE(std::string(e.what()).find("parameters"), std::string::npos) << e.what();
  }
  b = crr_doc(s, 1, 0);
  b["command"] = "server";
  a["command"] = "server";
  EXPECT_THROW(result::merge_results({a, b}, {"a", "b"}), result::MergeError);
}

}  // namespace
}  // namespace connperf::result
