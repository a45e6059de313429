// server/proxy --stats-listen (live /metrics and /stats) and crr/rr/cc --server-stats
// (client vs server): the endpoint's counters equal the server's JSON at exit, pass promtool, are
// scraped by a real Prometheus; reconciliation is exact against a lone client and shows a second
// client's load as a difference.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The port of the "stats on http://HOST:PORT/metrics" line on a process's stderr.
int stats_port(Process& p) {
  static const std::regex re(R"(stats on http://\S*:(\d+)/metrics)");
  int port = -1;
  poll_until(
      [&] {
        std::smatch m;
        const std::string err = p.err();
        if (std::regex_search(err, m, re)) port = std::stoi(m[1]);
        return port > 0;
      },
      10s);
  EXPECT_GT(port, 0) << p.err();
  return port;
}

bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return open;
}

struct Reply {
  std::string head;
  std::string body;
};

Reply get(int port, const std::string& path) {
  const int fd = connect_loopback(port, 5);
  send_all(fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string all = read_to_end(fd);
  ::close(fd);
  const auto end = all.find("\r\n\r\n");
  if (end == std::string::npos) return {all, ""};
  return {all.substr(0, end), all.substr(end + 4)};
}

// Samples "name{labels} value" of the exposition, keyed "name{labels}".
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

void expect_promtool_ok(const TempDir& dir, const std::string& text) {
  ASSERT_TRUE(have_program("promtool")) << "promtool (Debian's prometheus) is installed by "
                                           "scripts/setup.sh";
  std::ofstream(dir.file("m.txt")) << text;
  const RunResult r = run({"sh", "-c", "promtool check metrics < " + dir.file("m.txt")}, dir.path());
  EXPECT_EQ(r.code, 0) << r.out << r.err << text;
}

std::vector<std::string> crr(const std::string& target, const std::string& n,
                             std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {connperf(), "crr", target, "-n", n, "-c", "8", "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

TEST(StatsEndpoint, MetricsAndStatsEqualTheJsonAtExitAndPassPromtool) {
  TempDir dir;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "-t", "2", "--stats-listen", "127.0.0.1:0"});
  const int sp = stats_port(srv.process());
  ASSERT_GT(sp, 0);
  const RunResult load = run(crr(srv.target(), "400"), dir.path());
  ASSERT_EQ(load.code, 0) << load.err;
  const std::string listener = "{listener=\"" + srv.target() + "\"}";
  std::map<std::string, double> m;
  ASSERT_TRUE(poll_until(
      [&] {
        m = samples(get(sp, "/metrics").body);
        return m["connperf_rst_total" + listener] == 400 && m["connperf_active" + listener] == 0;
      },
      10s))
      << get(sp, "/metrics").body;
  const Reply metrics = get(sp, "/metrics");
  EXPECT_NE(metrics.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  expect_promtool_ok(dir, metrics.body);
  const std::map<std::string, double> after = samples(metrics.body);
  ASSERT_TRUE(after.contains("connperf_cpu_seconds_total{mode=\"user\"}")) << metrics.body;
  const double cpu = after.at("connperf_cpu_seconds_total{mode=\"user\"}") +
                     after.at("connperf_cpu_seconds_total{mode=\"system\"}");
  EXPECT_GT(cpu, 0) << "the server's own CPU time, for 400 connections";
  EXPECT_DOUBLE_EQ(after.at("process_cpu_seconds_total"), cpu);
  const json live = json::parse(get(sp, "/stats").body);
  // Scrapes are not counted on the measured listener.
  EXPECT_EQ(m["connperf_accepted_total" + listener], 400);

  const json exit = srv.stop();
  const json& l = exit["listeners"][0];
  for (const char* k : {"accepted", "requests", "rst", "fin", "closed_by_server", "errors"}) {
    EXPECT_EQ(m[std::string("connperf_") + k + "_total" + listener], l[k].get<double>()) << k;
    EXPECT_EQ(live[k], exit[k]) << k;
    EXPECT_EQ(live["listeners"][0][k], l[k]) << k;
  }
  EXPECT_EQ(live["listeners"][0]["address"], l["address"]);
}

// --body: a request for a size the server was not given is a 404, counted as not_found per
// listener in /metrics as in the JSON at exit.
TEST(StatsEndpoint, NotFoundInMetrics) {
  TempDir dir;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "http", "--body", "1k",
                          "--stats-listen", "127.0.0.1:0"});
  const int sp = stats_port(srv.process());
  ASSERT_GT(sp, 0);
  auto status_of = [&](const std::string& path) {  // the server honours keep-alive: close
    const int fd = connect_loopback(srv.port(), 5);
    send_all(fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string reply = read_to_end(fd);
    ::close(fd);
    return reply.substr(0, 12);
  };
  EXPECT_EQ(status_of("/2k"), "HTTP/1.1 404");
  EXPECT_EQ(status_of("/3k"), "HTTP/1.1 404");
  EXPECT_EQ(status_of("/1k"), "HTTP/1.1 200");
  const std::string name = "connperf_not_found_total{listener=\"" + srv.target() + "\"}";
  std::map<std::string, double> m;
  ASSERT_TRUE(poll_until([&] { return (m = samples(get(sp, "/metrics").body))[name] == 2; }, 10s))
      << get(sp, "/metrics").body;
  expect_promtool_ok(dir, get(sp, "/metrics").body);
  EXPECT_EQ(srv.stop()["not_found"], 2);
}

TEST(StatsEndpoint, BoundedAndReadOnly) {
  TempDir dir;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "--stats-listen", "127.0.0.1:0"});
  const int sp = stats_port(srv.process());
  ASSERT_GT(sp, 0);
  EXPECT_EQ(get(sp, "/nothing").head.rfind("HTTP/1.1 404", 0), 0u);
  const int fd = connect_loopback(sp, 5);
  send_all(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(read_to_end(fd).rfind("HTTP/1.1 405", 0), 0u);
  ::close(fd);
  const int big = connect_loopback(sp, 5);
  send_all(big, "GET /metrics HTTP/1.1\r\nX: " + std::string(8000, 'a'));
  EXPECT_EQ(read_to_end(big).rfind("HTTP/1.1 431", 0), 0u);
  ::close(big);
  // Held-open connections beyond the cap do not stop it from answering once they go.
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(connect_loopback(sp, 5));
  for (int f : idle) ::close(f);
  EXPECT_EQ(get(sp, "/stats").head.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(srv.stop()["accepted"], 0);
}

TEST(StatsEndpoint, BadOrTakenAddress) {
  TempDir dir;
  RunResult r = run({connperf(), "server", "--listen", "127.0.0.1:0", "-d", "1",
                     "--stats-listen", "nohost:x"},
                    dir.path(), 20s);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--stats-listen"), std::string::npos) << r.err;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0"});
  r = run({connperf(), "server", "--listen", "127.0.0.1:0", "-d", "1", "--stats-listen",
           srv.target()},
          dir.path(), 20s);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("--stats-listen"), std::string::npos) << r.err;
}

TEST(StatsEndpoint, APortAloneIsLoopback) {
  TempDir dir;
  const int port = free_port();
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "--stats-listen", std::to_string(port)});
  EXPECT_EQ(stats_port(srv.process()), port);
  EXPECT_NE(srv.process().err().find("stats on http://127.0.0.1:"), std::string::npos);
}

TEST(StatsEndpoint, ProxyMetrics) {
  TempDir dir;
  Process px({connperf(), "proxy", "--listen", "127.0.0.1:0", "-t", "1", "-q", "--stats-listen",
              "127.0.0.1:0"},
             dir.path());
  const int port = px.wait_listening();
  const int sp = stats_port(px);
  ASSERT_GT(sp, 0);
  const int fd = connect_loopback(port, 5);  // a request the proxy refuses itself
  send_all(fd, "BREW / HTTP/1.1\r\nHost: x\r\n\r\n");
  read_to_end(fd);
  ::close(fd);
  std::map<std::string, double> m;
  ASSERT_TRUE(poll_until(
      [&] {
        m = samples(get(sp, "/metrics").body);
        return m["connperf_proxy_closed_total"] == 1;
      },
      10s));
  EXPECT_EQ(m["connperf_proxy_accepted_total"], 1);
  expect_promtool_ok(dir, get(sp, "/metrics").body);
  EXPECT_EQ(json::parse(get(sp, "/stats").body)["accepted"], 1);
  px.signal(SIGTERM);
  EXPECT_EQ(px.wait(20s), 0) << px.err();
}

// A real Prometheus (Debian's package) scrapes the endpoint; its HTTP API returns the count.
TEST(StatsEndpoint, PrometheusScrapesIt) {
  ASSERT_TRUE(have_program("prometheus")) << "prometheus is installed by scripts/setup.sh";
  TempDir dir;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "--stats-listen", "127.0.0.1:0"});
  const int sp = stats_port(srv.process());
  ASSERT_GT(sp, 0);
  ASSERT_EQ(run(crr(srv.target(), "123"), dir.path()).code, 0);
  std::ofstream(dir.file("prometheus.yml"))
      << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: connperf\n"
         "    static_configs:\n      - targets: ['127.0.0.1:"
      << sp << "']\n";
  const int web = free_port();
  Process prom({"/usr/bin/env", "prometheus", "--config.file=" + dir.file("prometheus.yml"),
                "--storage.tsdb.path=" + dir.file("data"),
                "--web.listen-address=127.0.0.1:" + std::to_string(web)},
               dir.path());
  std::string answer;
  const bool scraped = poll_until(
      [&] {
        if (!prom.running() || !port_open(web)) return false;
        answer = get(web, "/api/v1/query?query=connperf_accepted_total").body;
        const json j = json::parse(answer, nullptr, false);
        return j.is_object() && j.value("status", "") == "success" &&
               !j["data"]["result"].empty();
      },
      60s, 250ms);
  prom.signal(SIGTERM);
  EXPECT_EQ(prom.wait(30s), 0) << prom.err();
  ASSERT_TRUE(scraped) << answer << prom.err();
  const json j = json::parse(answer);
  const json& sample = j["data"]["result"][0];
  EXPECT_EQ(sample["metric"]["listener"], srv.target());
  EXPECT_EQ(sample["value"][1], "123");
  EXPECT_EQ(srv.stop()["accepted"], 123);
}

TEST(ServerStats, ExactAgainstALoneClient) {
  TempDir dir;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "--stats-listen", "127.0.0.1:0"});
  const int sp = stats_port(srv.process());
  ASSERT_GT(sp, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(sp);
  ASSERT_EQ(run(crr(srv.target(), "50"), dir.path()).code, 0);  // before: not counted
  const RunResult r = run(crr(srv.target(), "300", {"--server-stats", url, "--json",
                                                    dir.file("crr.json")}),
                          dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = read_json(dir.file("crr.json"));
  const json& rec = doc["reconciliation"];
  EXPECT_EQ(rec["server_stats"], url);
  EXPECT_EQ(rec["client"]["started"], 300);
  EXPECT_EQ(rec["server"]["accepted"], 300);
  EXPECT_EQ(rec["server"]["rst"], 300);
  EXPECT_EQ(rec["differences"]["started_not_accepted"], 0) << rec.dump();
  EXPECT_EQ(rec["differences"]["completed_not_closed_at_server"], 0) << rec.dump();

  // rr and cc too; --server-stats takes what --stats-listen took (ADDR:PORT, PORT) as well.
  ServerProcess http(dir, {"--listen", "127.0.0.1:0", "--stats-listen", "127.0.0.1:0"}, "http");
  const std::string addr_port = "127.0.0.1:" + std::to_string(stats_port(http.process()));
  const RunResult rr = run({connperf(), "rr", http.target(), "-n", "2000", "-c", "4",
                            "-q", "--server-stats", addr_port, "--json", dir.file("rr.json")},
                           dir.path());
  ASSERT_EQ(rr.code, 0) << rr.err;
  EXPECT_EQ(read_json(dir.file("rr.json"))["reconciliation"]["differences"]
                ["requests_not_counted_at_server"],
            0);
  const RunResult cc = run({connperf(), "cc", http.target(), "-n", "20", "--hold", "0.2", "-q",
                            "--server-stats", std::to_string(stats_port(http.process())),
                            "--json", dir.file("cc.json")},
                           dir.path());
  ASSERT_EQ(cc.code, 0) << cc.err;
  const json ccr = read_json(dir.file("cc.json"))["reconciliation"];
  EXPECT_EQ(ccr["differences"]["started_not_accepted"], 0) << ccr.dump();
  EXPECT_EQ(ccr["differences"]["established_not_accepted"], 0) << ccr.dump();
}

// --tls: the reconciliation also compares the handshakes, and shows both sides' counts.
TEST(ServerStats, TlsHandshakesReconcile) {
  TempDir dir;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "--stats-listen", "127.0.0.1:0", "--tls"});
  const std::string url = "http://127.0.0.1:" + std::to_string(stats_port(srv.process()));
  const RunResult r = run(crr(srv.target(), "100", {"--tls", "--resume", "0.5", "--server-stats",
                                                    url, "--json", dir.file("tls.json")}),
                          dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("tls handshakes"), std::string::npos) << r.out;
  const json rec = read_json(dir.file("tls.json"))["reconciliation"];
  EXPECT_EQ(rec["differences"]["handshakes_not_counted_at_server"], 0) << rec.dump();
  EXPECT_EQ(rec["differences"]["completed_not_closed_at_server"], 0) << rec.dump();
  EXPECT_EQ(rec["server"]["tls"]["full"], rec["client"]["tls"]["full"]) << rec.dump();
  EXPECT_EQ(rec["server"]["tls"]["resumed"], rec["client"]["tls"]["resumed"]) << rec.dump();
  EXPECT_GT(rec["server"]["tls"]["resumed"].get<int>(), 20) << rec.dump();
}

TEST(ServerStats, ASecondClientShowsAsADifference) {
  TempDir dir;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "--stats-listen", "127.0.0.1:0"});
  const int sp = stats_port(srv.process());
  ASSERT_GT(sp, 0);
  Process other({connperf(), "crr", srv.target(), "--rate", "200", "-d", "30", "-c", "4", "-q"},
                dir.path());
  ASSERT_TRUE(poll_until([&] { return json::parse(get(sp, "/stats").body)["accepted"] > 20; }, 20s));
  const RunResult r = run(crr(srv.target(), "200", {"--rate", "400", "--server-stats",
                                                    "http://127.0.0.1:" + std::to_string(sp),
                                                    "--json", dir.file("crr.json")}),
                          dir.path());
  other.signal(SIGINT);
  EXPECT_EQ(other.wait(20s), 0) << other.err();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("client vs server"), std::string::npos) << r.out;
  const json rec = read_json(dir.file("crr.json"))["reconciliation"];
  EXPECT_EQ(rec["client"]["started"], 200);
  EXPECT_LT(rec["differences"]["started_not_accepted"].get<std::int64_t>(), -20) << rec.dump();
  EXPECT_LT(rec["differences"]["completed_not_closed_at_server"].get<std::int64_t>(), -20);
}

TEST(ServerStats, UnreachableServerIsOneLineAndExit1) {
  TempDir dir;
  const RunResult r = run(crr("127.0.0.1:1", "1", {"--server-stats",
                                                   "http://127.0.0.1:" + std::to_string(free_port())}),
                          dir.path(), 30s);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("--server-stats: cannot read the server's counts"), std::string::npos)
      << r.err;
  const RunResult bad = run(crr("127.0.0.1:1", "1", {"--server-stats", "ftp://x"}), dir.path());
  EXPECT_EQ(bad.code, 2) << bad.err;
}

}  // namespace
}  // namespace connperf::test
