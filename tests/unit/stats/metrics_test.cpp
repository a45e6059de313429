// The Prometheus exposition of server and proxy counters.
#include <string>

#include <gtest/gtest.h>

#include "listener.h"
#include "stats/metrics.h"
#include "stats/proxy_stats.h"

namespace connperf {
namespace {

using test::listener;

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

TEST(Metrics, TlsHandshakesOnlyWhenTheServerServesTls) {
  stats::ListenerSnapshot l = listener(10, 10, 0);
  l.tls_full = 6;
  l.tls_resumed = 3;
  l.tls_failed = 1;
  const std::string plain = stats::server_metrics({"127.0.0.1:443"}, {l}, 1);
  EXPECT_EQ(plain.find("connperf_tls_"), std::string::npos);
  const std::string m = stats::server_metrics({"127.0.0.1:443"}, {l}, 1, true);
  EXPECT_NE(m.find("# TYPE connperf_tls_full_total counter\n"
                   "connperf_tls_full_total{listener=\"127.0.0.1:443\"} 6\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("connperf_tls_resumed_total{listener=\"127.0.0.1:443\"} 3\n"),
            std::string::npos);
  EXPECT_NE(m.find("connperf_tls_failed_total{listener=\"127.0.0.1:443\"} 1\n"),
            std::string::npos);
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

}  // namespace
}  // namespace connperf
