// The live stats endpoint's pure parts: the Prometheus exposition of server and proxy counters,
// the endpoint's answer to a request head, the --server-stats URL, and the client/server
// reconciliation table.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "client/http_get.h"
#include "server/stats_endpoint.h"
#include "stats/metrics.h"
#include "stats/reconcile.h"

namespace connperf {
namespace {

stats::ListenerSnapshot listener(std::uint64_t accepted, std::uint64_t rst, std::uint64_t fin) {
  stats::ListenerSnapshot s;
  s.accepted = accepted;
  s.requests = accepted * 2;
  s.rst = rst;
  s.fin = fin;
  return s;
}

TEST(Metrics, ServerCountersPerListenerWithHelpAndType) {
  const std::string m = stats::server_metrics({"127.0.0.1:80", "[::1]:80"},
                                              {listener(10, 7, 1), listener(5, 5, 0)}, 2.5);
  EXPECT_NE(m.find("# HELP connperf_accepted_total "), std::string::npos);
  EXPECT_NE(m.find("# TYPE connperf_accepted_total counter\n"), std::string::npos);
  EXPECT_NE(m.find("connperf_accepted_total{listener=\"127.0.0.1:80\"} 10\n"), std::string::npos);
  EXPECT_NE(m.find("connperf_accepted_total{listener=\"[::1]:80\"} 5\n"), std::string::npos);
  EXPECT_NE(m.find("connperf_requests_total{listener=\"127.0.0.1:80\"} 20\n"), std::string::npos);
  EXPECT_NE(m.find("connperf_rst_total{listener=\"127.0.0.1:80\"} 7\n"), std::string::npos);
  EXPECT_NE(m.find("connperf_fin_total{listener=\"127.0.0.1:80\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("# TYPE connperf_active gauge\nconnperf_active{listener=\"127.0.0.1:80\"} 2\n"),
            std::string::npos);
  EXPECT_NE(m.find("connperf_uptime_seconds 2.500\n"), std::string::npos);
  // Every family's samples follow its TYPE line; each TYPE appears once.
  EXPECT_EQ(m.find("# TYPE connperf_accepted_total"), m.rfind("# TYPE connperf_accepted_total"));
  EXPECT_EQ(m.back(), '\n');
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(stats::prometheus_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(stats::prometheus_label_value("[::1]:80"), "[::1]:80");
}

TEST(Metrics, ProxyCountersAndRepliesByStatus) {
  stats::ProxySnapshot p;
  p.v[static_cast<std::size_t>(stats::ProxyCount::Accepted)] = 9;
  p.v[static_cast<std::size_t>(stats::ProxyCount::Closed)] = 4;
  p.v[static_cast<std::size_t>(stats::ProxyCount::S403)] = 3;
  const std::string m = stats::proxy_metrics(p, 1);
  EXPECT_NE(m.find("# TYPE connperf_proxy_accepted_total counter\nconnperf_proxy_accepted_total 9\n"),
            std::string::npos);
  EXPECT_NE(m.find("connperf_proxy_replies_total{status=\"403\"} 3\n"), std::string::npos);
  EXPECT_NE(m.find("connperf_proxy_replies_total{status=\"504\"} 0\n"), std::string::npos);
  EXPECT_NE(m.find("connperf_proxy_active 5\n"), std::string::npos);
  EXPECT_EQ(m.find("_403_total"), std::string::npos);  // statuses only as labels
}

server::Pages pages() {
  return [](std::string_view path) -> std::optional<server::Page> {
    if (path == "/metrics") return server::Page{"text/plain", "m 1\n"};
    return std::nullopt;
  };
}

TEST(StatsEndpoint, AnswersGetHeadAndRefusesTheRest) {
  const std::string ok = server::stats_response("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", pages());
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(ok.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_NE(ok.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(ok.substr(ok.size() - 4), "m 1\n");
  const std::string head = server::stats_response("HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n", pages());
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");  // no body
  EXPECT_EQ(server::stats_response("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", pages()).rfind("HTTP/1.1 404", 0),
            0u);
  EXPECT_EQ(server::stats_response("POST /metrics HTTP/1.1\r\nHost: a\r\n\r\n", pages()).rfind("HTTP/1.1 405", 0),
            0u);
  EXPECT_EQ(server::stats_response("garbage\r\n\r\n", pages()).rfind("HTTP/1.1 400", 0), 0u);
  // The one HTTP/1.1 rule set: no Host is a bad request here too.
  EXPECT_EQ(server::stats_response("GET /metrics HTTP/1.1\r\n\r\n", pages()).rfind("HTTP/1.1 400", 0), 0u);
}

TEST(HttpGet, ParsesUrls) {
  const client::HttpUrl u = client::parse_http_url("http://127.0.0.1:9100");
  EXPECT_EQ(u.addr.to_string(), "127.0.0.1:9100");
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.authority, "127.0.0.1:9100");
  EXPECT_EQ(client::parse_http_url("http://[::1]/stats").addr.to_string(), "[::1]:80");
  EXPECT_THROW(client::parse_http_url("https://127.0.0.1:1"), client::HttpGetError);
  EXPECT_THROW(client::parse_http_url("127.0.0.1:9100"), client::HttpGetError);
}

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
