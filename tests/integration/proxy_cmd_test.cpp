// connperf proxy with real clients (curl, ab, openssl, raw sockets) and real origins (connperf
// server, python3 -m http.server, tests/peers/http_origin.py, openssl s_server): forwarding,
// rewriting, streaming both ways, tunnels, every error status, misbehaving peers, bounded memory.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include "../http_cases.h"
#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class Proxy {
 public:
  explicit Proxy(const TempDir& dir, std::vector<std::string> extra = {}, int threads = 2)
      : json_(dir.file("proxy-" + std::to_string(++count_) + ".json")),
        proc_(args(extra, threads), dir.path()),
        port_(proc_.wait_listening()) {}
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return proc_.pid(); }
  json stop() {
    proc_.signal(SIGINT);
    EXPECT_EQ(proc_.wait(10s), 0) << proc_.err();
    const json s = read_json(json_)["summary"];
    EXPECT_EQ(s["active"], 0);
    EXPECT_EQ(s["accepted"], s["closed"]);
    return s;
  }

 private:
  std::vector<std::string> args(const std::vector<std::string>& extra, int threads) {
    std::vector<std::string> a{connperf(),    "proxy",  "--listen",
                               "127.0.0.1:0", "-t",     std::to_string(threads),
                               "-q",          "--json", json_};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  static inline int count_ = 0;
  std::string json_;
  Process proc_;
  int port_;
};

// A peer process that prints "listening on 127.0.0.1:PORT" on stderr.
struct Peer {
  Peer(std::vector<std::string> argv, const TempDir& dir)
      : proc(std::move(argv), dir.path()), port(proc.wait_listening()) {}
  Process proc;
  int port;
};

Peer origin(const TempDir& dir) { return Peer({"python3", peers_dir() + "/http_origin.py"}, dir); }

Peer connperf_server(const TempDir& dir, const std::string& mode = "http") {
  return Peer({connperf(), "server", "--listen", "127.0.0.1:0", "-t", "1", "-q", "--mode", mode},
              dir);
}

std::string origin_url(int port, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

// Sends `request` on a new connection to the proxy and returns all it answers.
std::string exchange(int port, const std::string& request) {
  const int fd = connect_loopback(port, 5);
  send_all(fd, request);
  std::string reply = read_to_end(fd);
  ::close(fd);
  return reply;
}

std::string status_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

std::string write_random_file(const TempDir& dir, const std::string& name, std::size_t size) {
  std::mt19937_64 rng(size);
  std::string data(size, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  std::ofstream(dir.file(name), std::ios::binary) << data;
  return dir.file(name);
}

std::string sha256(const TempDir& dir, const std::string& path) {
  const RunResult r = run({"/bin/sh", "-c", "sha256sum < '" + path + "'"}, dir.path());
  return r.out.substr(0, 64);
}

TEST(Proxy, CurlFetchesFromConnperfServerWithVia) {
  TempDir dir;
  Peer server = connperf_server(dir);
  Proxy proxy(dir);
  const RunResult r =
      run({"curl", "-s", "-i", "-x", proxy.url(), origin_url(server.port, "/")}, dir.path(), 10s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(status_line(r.out), "HTTP/1.1 200 OK");
  EXPECT_NE(r.out.find("Via: 1.1 connperf\r\n"), std::string::npos) << r.out;
  const json s = proxy.stop();
  EXPECT_EQ(s["requests"], 1);
  EXPECT_EQ(s["responses"], 1);
  EXPECT_EQ(s["upstream_connects"], 1);
  EXPECT_EQ(s["error_replies"], 0);
}

TEST(Proxy, LargeFileFromPythonHttpServerArrivesIntact) {
  TempDir dir;
  const std::string file = write_random_file(dir, "blob.bin", 8 << 20);
  const int port = free_port();
  Process http({"python3", "-m", "http.server", "--bind", "127.0.0.1", std::to_string(port),
                "--directory", dir.path()},
               dir.path());
  Proxy proxy(dir);
  RunResult r{};
  poll_until(
      [&] {  // http.server says nothing when ready: poll it
        r = run({"curl", "-s", "-o", dir.file("got.bin"), "-w", "%{http_code}", "-x", proxy.url(),
                 origin_url(port, "/blob.bin")},
                dir.path(), 20s);
        return r.out == "200";
      },
      30s, 100ms);
  ASSERT_EQ(r.out, "200") << r.err;
  EXPECT_EQ(sha256(dir, dir.file("got.bin")), sha256(dir, file));
  const json s = proxy.stop();
  EXPECT_GE(s["bytes_down"].get<std::uint64_t>(), 8u << 20);
}

TEST(Proxy, ChunkedUploadAndChunkedResponsePassIntact) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir);
  const std::string file = write_random_file(dir, "up.bin", 300'000);
  const RunResult r =
      run({"curl", "-s", "-x", proxy.url(), "-H", "Transfer-Encoding: chunked", "--data-binary",
           "@" + file, "-o", dir.file("back.bin"), origin_url(o.port, "/echo")},
          dir.path(), 20s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(sha256(dir, dir.file("back.bin")), sha256(dir, file));
  proxy.stop();
}

TEST(Proxy, OriginGetsOriginFormHostAndViaWithoutHopByHopFields) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir);
  const RunResult r = run({"curl", "-s", "-x", proxy.url(), "-H", "Connection: X-Secret", "-H",
                           "X-Secret: 1", "-H", "Keep-Alive: timeout=5", "-H", "X-Kept: yes", "-H",
                           "Host: wrong.example", origin_url(o.port, "/headers?q=1")},
                          dir.path(), 10s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("GET /headers?q=1 HTTP/1.1\r\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("Host: 127.0.0.1:" + std::to_string(o.port) + "\r\n"), std::string::npos);
  EXPECT_NE(r.out.find("X-Kept: yes\r\n"), std::string::npos);
  EXPECT_NE(r.out.find("Via: 1.1 connperf\r\n"), std::string::npos);
  for (const char* gone : {"X-Secret", "Keep-Alive", "Proxy-Connection", "wrong.example"})
    EXPECT_EQ(r.out.find(gone), std::string::npos) << gone << " in\n" << r.out;
  proxy.stop();
}

TEST(Proxy, PipelinedRequestsAndHttp10KeepAlive) {
  TempDir dir;
  Peer server = connperf_server(dir);
  Proxy proxy(dir, {}, 1);  // one worker: one upstream pool
  const std::string get = "GET " + origin_url(server.port, "/") + " HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string last =
      "GET " + origin_url(server.port, "/") + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  const std::string reply = exchange(proxy.port(), get + get + get + last);
  std::size_t n = 0;
  for (std::size_t p = 0; (p = reply.find("HTTP/1.1 200", p)) != std::string::npos; ++p) ++n;
  EXPECT_EQ(n, 4u) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos);

  const int fd = connect_loopback(proxy.port(), 5);
  const std::string get10 =
      "GET " + origin_url(server.port, "/") + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  for (int i = 0; i < 3; ++i) {
    send_all(fd, get10);
    char buf[4096];
    const ssize_t k = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(k, 0);
    const std::string r(buf, static_cast<std::size_t>(k));
    EXPECT_NE(r.find("Connection: keep-alive\r\n"), std::string::npos) << r;
  }
  ::close(fd);
  const json s = proxy.stop();
  EXPECT_EQ(s["requests"], 7);
  EXPECT_EQ(s["responses"], 7);
  EXPECT_EQ(s["upstream_connects"], 1);  // the second client gets the first one's, from the pool
  EXPECT_EQ(s["upstream_reused"], 6);
}

TEST(Proxy, ConnectTunnelCarriesTlsEndToEnd) {
  if (!have_program("openssl")) GTEST_SKIP() << "openssl not installed";
  TempDir dir;
  const RunResult key =
      run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.file("k.pem"),
           "-out", dir.file("c.pem"), "-subj", "/CN=localhost", "-days", "1"},
          dir.path(), 60s);
  ASSERT_EQ(key.code, 0) << key.err;
  const int tls_port = free_port();
  Process tls({"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(tls_port), "-cert",
               dir.file("c.pem"), "-key", dir.file("k.pem"), "-www"},
              dir.path());
  Proxy proxy(dir, {"--connect-ports", "1-442," + std::to_string(tls_port)});
  RunResult r{};
  poll_until(
      [&] {  // s_server has no readiness line on stderr: retry
        r = run({"curl", "-sk", "-p", "-x", proxy.url(),
                 "https://127.0.0.1:" + std::to_string(tls_port) + "/"},
                dir.path(), 10s);
        return r.code == 0;
      },
      15s, 100ms);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("s_server"), std::string::npos) << r.out;
  const json s = proxy.stop();
  EXPECT_GE(s["tunnels"].get<int>(), 1);
}

TEST(Proxy, TunnelPassesHalfCloseOn) {
  TempDir dir;
  Peer echo = connperf_server(dir, "echo");
  Proxy proxy(dir, {"--connect-ports", std::to_string(echo.port)});
  const int fd = connect_loopback(proxy.port(), 5);
  send_all(fd, "CONNECT 127.0.0.1:" + std::to_string(echo.port) + " HTTP/1.1\r\nHost: t\r\n\r\nearly ");
  send_all(fd, std::string(200'000, 'z'));
  ::shutdown(fd, SHUT_WR);  // the echo server sees our FIN only through the proxy
  const std::string got = read_to_end(fd);
  ::close(fd);
  const std::string head = "HTTP/1.1 200 Connection Established\r\n";
  ASSERT_EQ(got.rfind(head, 0), 0u) << got.substr(0, 200);
  const std::size_t body = got.find("\r\n\r\n") + 4;
  EXPECT_EQ(got.substr(body), "early " + std::string(200'000, 'z'));
  const json s = proxy.stop();
  EXPECT_EQ(s["tunnels"], 1);
  EXPECT_EQ(s["bytes_up"], 6 + 200'000);
}

TEST(Proxy, AbCompletesWithoutFailures) {
  TempDir dir;
  Peer server = connperf_server(dir);
  Proxy proxy(dir);
  const std::string proxy_addr = "127.0.0.1:" + std::to_string(proxy.port());
  for (const std::vector<std::string> extra : {std::vector<std::string>{}, {"-k"}}) {
    std::vector<std::string> argv{"ab", "-q", "-n", "2000", "-c", "20", "-X", proxy_addr};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(origin_url(server.port, "/"));
    expect_ab_complete(run(argv, dir.path(), 60s), 2000);
  }
  const json s = proxy.stop();
  EXPECT_EQ(s["requests"], 4000);
  EXPECT_EQ(s["responses"], 4000);
}

TEST(Proxy, ErrorRepliesCarryTheRightStatus) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {"--upstream-timeout", "1"});
  const std::string abs = origin_url(o.port, "/");
  const int closed_port = free_port();
  struct Case {
    std::string request;
    std::string status;
  };
  const std::vector<Case> cases = {
      {"BROKEN\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"POST " + abs + " HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       "HTTP/1.1 400 Bad Request"},
      {"POST " + abs + " HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
       "HTTP/1.1 400 Bad Request"},
      {"POST " + abs + " HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
       "HTTP/1.1 400 Bad Request"},
      {"POST " + abs + " HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request"},
      {"TRACE " + abs + " HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
      {"GET https://127.0.0.1:1/ HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 501 Not Implemented"},
      {"POST " + abs + " HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
       "HTTP/1.1 501 Not Implemented"},
      {"GET " + abs + std::string(9000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 414 URI Too Long"},
      {"GET " + abs + " HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large"},
      {"GET " + origin_url(closed_port, "/") + " HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 502 Bad Gateway"},
      {"GET " + origin_url(o.port, "/hang") + " HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 504 Gateway Timeout"},
      {"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 403 Forbidden"},
  };
  for (const Case& c : cases) {
    const std::string reply = exchange(proxy.port(), c.request);
    EXPECT_EQ(status_line(reply), c.status) << c.request.substr(0, 80) << "\n→ " << reply;
    if (c.status.find("502") != std::string::npos)
      EXPECT_NE(reply.find("connection refused by 127.0.0.1:"), std::string::npos) << reply;
  }
  const json s = proxy.stop();
  const json& st = s["statuses"];
  EXPECT_EQ(st["400"], 6);
  EXPECT_EQ(st["403"], 1);
  EXPECT_EQ(st["405"], 1);
  EXPECT_EQ(st["414"], 1);
  EXPECT_EQ(st["431"], 1);
  EXPECT_EQ(st["501"], 2);
  EXPECT_EQ(st["502"], 1);
  EXPECT_EQ(st["504"], 1);
}

// A request after the first on a kept connection gets the proxy's own reply just as a first one
// does (the first exchange's state must not leak into it).
TEST(Proxy, ALaterRequestOnAKeptConnectionGetsTheProxysRepliesToo) {
  TempDir dir;
  Peer o = origin(dir);
  const int closed_port = free_port();
  Proxy proxy(dir, {"--connect-ports", std::to_string(closed_port)}, 1);
  const std::string first = "GET " + origin_url(o.port, "/port") + " HTTP/1.1\r\nHost: t\r\n\r\n";
  const std::string bad = exchange(proxy.port(), first + "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_line(bad), "HTTP/1.1 200 OK") << bad;
  EXPECT_NE(bad.find("HTTP/1.1 400 Bad Request\r\n", 1), std::string::npos) << bad;
  const std::string tunnel = exchange(
      proxy.port(),
      first + "CONNECT 127.0.0.1:" + std::to_string(closed_port) + " HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(status_line(tunnel), "HTTP/1.1 200 OK") << tunnel;
  EXPECT_NE(tunnel.find("HTTP/1.1 502 Bad Gateway"), std::string::npos) << tunnel;
  EXPECT_NE(tunnel.find("connection refused by 127.0.0.1:"), std::string::npos) << tunnel;
  const json s = proxy.stop();
  EXPECT_EQ(s["statuses"]["400"], 1);
  EXPECT_EQ(s["statuses"]["502"], 1);
  EXPECT_EQ(s["responses"], 2);
}

// The bodies of the responses in `reply`, in order (each framed by Content-Length).
std::vector<std::string> bodies(const std::string& reply) {
  std::vector<std::string> out;
  static const std::regex cl("Content-Length: ([0-9]+)\r\n");
  std::size_t at = 0;
  while ((at = reply.find("HTTP/1.1 ", at)) != std::string::npos) {
    const std::size_t end = reply.find("\r\n\r\n", at);
    if (end == std::string::npos) break;
    std::smatch m;
    const std::string head = reply.substr(at, end - at + 2);
    const std::size_t len = std::regex_search(head, m, cl) ? std::stoul(m[1]) : 0;
    out.push_back(reply.substr(end + 4, len));
    at = end + 4 + len;
  }
  return out;
}

// One client connection asks two origins in turn; the first origin's connection is pooled
// under its own name, so later clients of either origin reach the right one.
TEST(Proxy, RequestsToTwoOriginsOnOneConnectionReachEach) {
  TempDir dir;
  Peer a = origin(dir), b = origin(dir);
  Proxy proxy(dir, {}, 1);
  const std::string pa = std::to_string(a.port), pb = std::to_string(b.port);
  const std::string reply =
      exchange(proxy.port(), "GET " + origin_url(a.port, "/port") + " HTTP/1.1\r\nHost: t\r\n\r\nGET " +
                                 origin_url(b.port, "/port") +
                                 " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(bodies(reply), (std::vector<std::string>{pa, pb})) << reply;
  for (const Peer* p : {&b, &a}) {
    const std::string r = exchange(proxy.port(), "GET " + origin_url(p->port, "/port") +
                                                     " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(bodies(r), std::vector<std::string>{std::to_string(p->port)}) << r;
  }
  const json s = proxy.stop();
  EXPECT_EQ(s["responses"], 4);
}

// A pooled connection the origin closes instead of answering: the request is sent again on a
// new connection to its own origin (the session had never looked the name up itself).
TEST(Proxy, APooledConnectionThatDiesIsReplacedForTheSameOrigin) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {}, 1);
  const std::string req =
      "GET " + origin_url(o.port, "/once") + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  const std::string first = exchange(proxy.port(), req);
  EXPECT_EQ(bodies(first), std::vector<std::string>{"hi"}) << first;
  const std::string second = exchange(proxy.port(), req);  // gets the pooled connection
  EXPECT_EQ(status_line(second), "HTTP/1.1 200 OK") << second;
  EXPECT_EQ(bodies(second), std::vector<std::string>{"hi"}) << second;
  const json s = proxy.stop();
  EXPECT_EQ(s["upstream_reused"], 1);
  EXPECT_EQ(s["upstream_connects"], 2);
}

// The origin answers before it read the request body, and the client keeps its connection: the
// rest of that body is dropped, never sent ahead of the client's next request.
TEST(Proxy, AnEarlyResponseLeavesNoBodyForTheNextRequest) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {"--buffer", "16777216"}, 1);
  const std::size_t size = 8u << 20;
  const std::string reply = exchange(
      proxy.port(), "POST " + origin_url(o.port, "/early") +
                        " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" +
                        std::string(size, 'x') + "POST " + origin_url(o.port, "/echo") +
                        " HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
  EXPECT_EQ(status_line(reply), "HTTP/1.1 200 OK") << reply.substr(0, 300);
  EXPECT_NE(reply.find("early"), std::string::npos) << reply.substr(0, 300);
  EXPECT_NE(reply.find("\r\n3\r\nabc\r\n0\r\n\r\n"), std::string::npos) << reply.substr(0, 600);
  EXPECT_EQ(reply.find("xxx"), std::string::npos) << reply.substr(0, 600);
  const json s = proxy.stop();
  EXPECT_EQ(s["responses"], 2);
}

// 1xx heads go to an HTTP/1.1 client as they come; an origin that sends them without end gets
// a 502 after 16, so what the proxy keeps of them is bounded.
TEST(Proxy, InterimResponsesPassOnAndAreBounded) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {}, 1);
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
    return n;
  };
  const std::string three = exchange(proxy.port(), "GET " + origin_url(o.port, "/interim?n=3") +
                                                       " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count(three, "HTTP/1.1 102 Processing\r\n"), 3u) << three;
  EXPECT_NE(three.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << three;
  EXPECT_EQ(three.substr(three.size() - 2), "hi");
  const std::string flood = exchange(proxy.port(), "GET " + origin_url(o.port, "/interim?n=5000") +
                                                       " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count(flood, "HTTP/1.1 102 Processing\r\n"), 16u);
  EXPECT_NE(flood.find("HTTP/1.1 502 Bad Gateway\r\n"), std::string::npos) << flood;
  EXPECT_NE(flood.find("too many 1xx"), std::string::npos) << flood;
  const json s = proxy.stop();
  EXPECT_EQ(s["statuses"]["502"], 1);
}

// Connection naming Content-Length must not strip it: the origin would read the body as the
// next request (request smuggling).
TEST(Proxy, ConnectionCannotStripContentLength) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {}, 1);
  const std::string reply = exchange(
      proxy.port(), "POST " + origin_url(o.port, "/headers") +
                        " HTTP/1.1\r\nHost: t\r\nContent-Length: 35\r\nConnection: content-length\r\n\r\n"
                        "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET " +
                        origin_url(o.port, "/port") + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const std::vector<std::string> b = bodies(reply);
  ASSERT_EQ(b.size(), 2u) << reply;
  EXPECT_NE(b[0].find("Content-Length: 35\r\n"), std::string::npos) << b[0];
  EXPECT_EQ(b[1], std::to_string(o.port));
  EXPECT_EQ(reply.find("smuggled"), std::string::npos) << reply;
  proxy.stop();
}

// The lines of `head` (as /headers shows it) whose field name is `name`, in any case.
std::string lines_named(const std::string& head, const std::string& name) {
  std::string out;
  for (std::size_t at = 0; at < head.size();) {
    const std::size_t end = std::min(head.find("\r\n", at), head.size());
    const std::string line = head.substr(at, end - at);
    const std::size_t colon = line.find(':');
    if (colon == name.size() && strcasecmp(line.substr(0, colon).c_str(), name.c_str()) == 0)
      out += line + "\r\n";
    at = end + 2;
  }
  return out;
}

std::string get_port(int port) {
  return "GET " + origin_url(port, "/port") + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
}

// However the client spells chunked (tests/http_cases.h), the origin gets one field, exactly
// "Transfer-Encoding: chunked": an origin that skipped a coding it does not know (",chunked",
// "chunked,") would read the body as the next request.
TEST(Proxy, EveryChunkedSpellingReachesTheOriginAsExactlyChunked) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {}, 1);
  for (const ChunkedSpelling& c : chunked_spellings()) {
    const std::string reply = exchange(
        proxy.port(), "POST " + origin_url(o.port, "/headers") + " HTTP/1.1\r\nHost: t\r\n" +
                          c.fields + "\r\n5\r\nhello\r\n0\r\n\r\n" + get_port(o.port));
    const std::vector<std::string> b = bodies(reply);
    ASSERT_EQ(b.size(), 2u) << c.name << "\n" << reply;
    EXPECT_EQ(lines_named(b[0], "Transfer-Encoding"), "Transfer-Encoding: chunked\r\n")
        << c.name << "\n"
        << b[0];
    EXPECT_EQ(b[1], std::to_string(o.port)) << c.name;
  }
  const json s = proxy.stop();
  EXPECT_EQ(s["responses"], 2 * chunked_spellings().size());
}

// Content-Length goes on as the number the proxy framed by, in plain decimal, both ways: some
// readers take "010" for octal 8.
TEST(Proxy, ContentLengthGoesOnInPlainDecimal) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {}, 1);
  const std::string up =
      exchange(proxy.port(), "POST " + origin_url(o.port, "/headers") +
                                 " HTTP/1.1\r\nHost: t\r\nContent-Length: 010\r\n\r\n"
                                 "0123456789" +
                                 get_port(o.port));
  const std::vector<std::string> b = bodies(up);
  ASSERT_EQ(b.size(), 2u) << up;
  EXPECT_EQ(lines_named(b[0], "Content-Length"), "Content-Length: 10\r\n") << b[0];
  EXPECT_EQ(b[1], std::to_string(o.port));
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 0002\r\n\r\nhi";
  const std::string down =
      exchange(proxy.port(), "GET " + origin_url(o.port, "/raw?hex=" + hex(raw)) +
                                 " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(lines_named(down.substr(0, down.find("\r\n\r\n") + 2), "Content-Length"),
            "Content-Length: 2\r\n")
      << down;
  EXPECT_EQ(bodies(down), std::vector<std::string>{"hi"}) << down;
  proxy.stop();
}

// Content_Length and Transfer_Encoding in a request are dropped (nginx drops every name with an
// underscore; we drop these two, which a reader folding '_' into '-' takes for framing), and
// neither connection serves another request: what followed the head may be a smuggled request.
TEST(Proxy, RequestFramingNamedWithUnderscoresIsDroppedAndEndsBothConnections) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {}, 1);
  const std::string smuggled = get_port(o.port);
  const std::string reply =
      exchange(proxy.port(),
               "GET " + origin_url(o.port, "/headers") +
                   " HTTP/1.1\r\nHost: t\r\nContent_Length: " + std::to_string(smuggled.size()) +
                   "\r\nTransfer_Encoding: chunked\r\nX_Kept: 1\r\n\r\n" + smuggled);
  const std::vector<std::string> b = bodies(reply);
  ASSERT_EQ(b.size(), 1u) << reply;  // the bytes after the head never became a request
  EXPECT_EQ(b[0].find("_Length"), std::string::npos) << b[0];
  EXPECT_EQ(b[0].find("_Encoding"), std::string::npos) << b[0];
  EXPECT_NE(b[0].find("X_Kept: 1\r\n"), std::string::npos) << b[0];
  EXPECT_EQ(lines_named(b[0], "Connection"), "Connection: close\r\n") << b[0];
  EXPECT_NE(reply.find("\r\nConnection: close\r\n"), std::string::npos) << reply;
  const std::string next = exchange(proxy.port(), smuggled);  // no pooled connection to take
  EXPECT_EQ(bodies(next), std::vector<std::string>{std::to_string(o.port)}) << next;
  const json s = proxy.stop();
  EXPECT_EQ(s["upstream_reused"], 0);
  EXPECT_EQ(s["upstream_connects"], 2);
}

// A response naming framing with underscores: the field is dropped, and its upstream connection
// is not reused (the origin may have meant more bytes than the proxy framed); the client's is.
TEST(Proxy, ResponseFramingNamedWithUnderscoresEndsItsUpstreamConnection) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {}, 1);
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent_Length: 9\r\n\r\nhi";
  const std::string reply =
      exchange(proxy.port(), "GET " + origin_url(o.port, "/raw?hex=" + hex(raw)) +
                                 " HTTP/1.1\r\nHost: t\r\n\r\n" + get_port(o.port));
  EXPECT_EQ(bodies(reply), (std::vector<std::string>{"hi", std::to_string(o.port)})) << reply;
  EXPECT_EQ(reply.find("Content_Length"), std::string::npos) << reply;
  const json s = proxy.stop();
  EXPECT_EQ(s["upstream_reused"], 0);
  EXPECT_EQ(s["upstream_connects"], 2);
}

// A listening socket on 127.0.0.1, port chosen by the kernel.
int listen_loopback() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0)
    ADD_FAILURE() << "cannot listen on 127.0.0.1";
  return fd;
}

int bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Reads until the end; returns the bytes and sets `reset` when the end was a reset.
std::string read_until_end(int fd, bool& reset) {
  std::string out;
  char buf[65536];
  reset = false;
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    reset = n < 0 && errno == ECONNRESET;
    return out;
  }
}

// A close-delimited response whose origin resets: the client gets a reset too, never a clean
// end that would make the cut-off body look complete.
TEST(Proxy, AnUpstreamResetReachesTheClientAsAReset) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir, {}, 1);
  const int fd = connect_loopback(proxy.port(), 5);
  send_all(fd, "GET " + origin_url(o.port, "/closereset") + " HTTP/1.1\r\nHost: t\r\n\r\n");
  bool reset = false;
  const std::string got = read_until_end(fd, reset);
  ::close(fd);
  EXPECT_TRUE(reset) << got.size() << " bytes, then a clean end";
  EXPECT_EQ(status_line(got), "HTTP/1.1 200 OK");
  const json s = proxy.stop();
  EXPECT_EQ(s["upstream_resets"], 1);
}

// The same through a tunnel: the origin resets, the client sees a reset.
TEST(Proxy, ATunnelPassesAResetOn) {
  TempDir dir;
  const int lfd = listen_loopback();
  const int port = bound_port(lfd);
  Proxy proxy(dir, {"--connect-ports", std::to_string(port)}, 1);
  const int fd = connect_loopback(proxy.port(), 5);
  send_all(fd, "CONNECT 127.0.0.1:" + std::to_string(port) + " HTTP/1.1\r\nHost: t\r\n\r\n");
  const int peer = ::accept(lfd, nullptr, nullptr);
  ASSERT_GE(peer, 0);
  send_all(peer, "some bytes");
  poll_until(
      [&] {  // through the tunnel to us before the reset
        char buf[256];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
        return n > 0 && std::string(buf, static_cast<std::size_t>(n)).find("some bytes") !=
                            std::string::npos;
      },
      2s);
  const linger lg{1, 0};
  ::setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(peer);
  bool reset = false;
  const std::string got = read_until_end(fd, reset);
  ::close(fd);
  ::close(lfd);
  EXPECT_TRUE(reset) << got;
  EXPECT_NE(got.find("200 Connection Established"), std::string::npos) << got;
  proxy.stop();
}

// A request head that trickles in a byte at a time is cut off after the idle timeout, however
// busy the trickle keeps the connection.
TEST(Proxy, ASlowHeadIsCutOffAfterTheIdleTimeout) {
  TempDir dir;
  Proxy proxy(dir, {"--idle-timeout", "1"}, 1);
  const int fd = connect_loopback(proxy.port(), 5);
  const auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {  // up to 6 s
    if (::send(fd, "G", 1, MSG_NOSIGNAL) != 1) break;
    std::this_thread::sleep_for(300ms);
    char c;
    const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
    closed = n == 0 || (n < 0 && errno != EAGAIN);
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(took, 3.0);
  proxy.stop();
}

TEST(Proxy, DeniedClientGets403) {
  TempDir dir;
  Peer server = connperf_server(dir);
  Proxy proxy(dir, {"--allow", "127.0.0.2/32"});
  const std::string reply =
      exchange(proxy.port(), "GET " + origin_url(server.port, "/") + " HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(status_line(reply), "HTTP/1.1 403 Forbidden") << reply;
  const json s = proxy.stop();
  EXPECT_EQ(s["denied"], 1);
  EXPECT_EQ(s["requests"], 0);
}

// The name lookup runs on the resolver threads; an unknown name is a 502 saying so. Run in a
// network namespace of its own (only loopback), so the lookup cannot reach any name server.
TEST(Proxy, NamesResolveOffTheLoopAndUnknownNamesAre502) {
  if (!have_program("unshare") || ::geteuid() != 0) GTEST_SKIP() << "needs root and unshare";
  TempDir dir;
  const std::string script =
      "ip link set lo up || exit 10\n"
      "'" +
      connperf() +
      "' server --listen 127.0.0.1:18080 -t 1 -q >/dev/null 2>&1 & S=$!\n"
      "'" +
      connperf() +
      "' proxy --listen 127.0.0.1:13128 -t 1 -q >/dev/null 2>&1 & P=$!\n"
      "for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18080/ && break; sleep 0.1; "
      "done\n"
      "for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:13128/ && break; sleep 0.1; "
      "done\n"
      "curl -s -w ' %{http_code}\\n' -x http://127.0.0.1:13128 http://localhost:18080/\n"
      "curl -s -w ' %{http_code}\\n' -x http://127.0.0.1:13128 http://nohost.invalid/\n"
      "kill $S $P; wait\n";
  const RunResult r = run({"unshare", "-n", "/bin/sh", "-c", script}, dir.path(), 60s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Ok\n 200\n"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("502 Bad Gateway: cannot resolve 'nohost.invalid'[^\\n]*\\n 502")))
      << r.out;
}

TEST(Proxy, UpstreamResetMidBodyIsCountedAndSurvived) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir);
  const RunResult cut =
      run({"curl", "-s", "-o", "/dev/null", "-x", proxy.url(), origin_url(o.port, "/reset")},
          dir.path(), 10s);
  // The origin's reset reaches curl as a reset: CURLE_RECV_ERROR, not a clean short read.
  EXPECT_EQ(cut.code, 56) << "curl should see the connection reset";
  const RunResult ok =
      run({"curl", "-s", "-x", proxy.url(), origin_url(o.port, "/")}, dir.path(), 10s);
  EXPECT_EQ(ok.out, "hi");
  const json s = proxy.stop();
  EXPECT_EQ(s["upstream_resets"], 1);
  EXPECT_EQ(s["responses"], 1);
}

TEST(Proxy, ClientResetMidUploadIsCountedAndSurvived) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir);
  const int fd = connect_loopback(proxy.port(), 5);
  send_all(fd, "POST " + origin_url(o.port, "/echo") +
                   " HTTP/1.1\r\nHost: t\r\nContent-Length: 10485760\r\n\r\n" + std::string(1 << 20, 'u'));
  poll_until([&] { return established_to(o.port) > 0; }, 2s);  // the upload is under way
  const linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(fd);
  poll_until([&] { return established_to(o.port) == 0; }, 2s);  // the proxy saw the reset
  const std::string reply = exchange(
      proxy.port(), "GET " + origin_url(o.port, "/") + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_line(reply), "HTTP/1.1 200 OK");
  const json s = proxy.stop();
  EXPECT_EQ(s["client_resets"], 1);
}

// 1 GiB from a fast origin to a client that stops reading for a while: the proxy stops reading
// the origin instead of buffering, so its peak memory stays small.
TEST(Proxy, SlowReaderKeepsMemoryBounded) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir);
  const long before = vm_kib(proxy.pid(), "VmRSS");
  const std::uint64_t size = 1ull << 30;
  const int fd = connect_loopback(proxy.port(), 5);
  send_all(fd, "GET " + origin_url(o.port, "/big?bytes=" + std::to_string(size)) +
                   " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::vector<char> buf(1 << 20);
  std::uint64_t got = 0;
  bool paused = false;
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    got += static_cast<std::uint64_t>(n);
    if (!paused && got > (100u << 20)) {
      paused = true;  // the origin keeps sending; the proxy must hold back
      std::this_thread::sleep_for(2s);
    }
  }
  ::close(fd);
  const long peak = vm_kib(proxy.pid(), "VmHWM");
  EXPECT_GT(got, size);  // the body plus the head
  EXPECT_LT(got, size + 1024);
  EXPECT_LT(peak - before, 48 * 1024) << "peak " << peak << " KiB, at start " << before << " KiB";
  const json s = proxy.stop();
  EXPECT_EQ(s["responses"], 1);
}

// Strict parsing (tests/http_cases.h): every request case gets its status from the proxy (the
// well-formed ones the origin's 200) and a close, never a wait.
TEST(Proxy, StrictRequestCasesGetTheirStatusAndAClose) {
  TempDir dir;
  Peer o = connperf_server(dir);
  Proxy proxy(dir);
  const std::string target = origin_url(o.port, "/");
  int refused = 0;
  for (const RequestCase& c : request_cases()) {
    const Answer a = send_and_read(proxy.port(), with_target(c.bytes, target), 5s);
    const std::string want = c.status == 200   ? "HTTP/1.1 200 OK"
                             : c.status == 501 ? "HTTP/1.1 501 Not Implemented"
                                               : "HTTP/1.1 400 Bad Request";
    EXPECT_EQ(a.status_line(), want) << c.name << "\n→ " << a.data.substr(0, 200);
    EXPECT_TRUE(a.closed) << c.name << " (no close within the bound)";
    refused += c.status != 200;
  }
  const json s = proxy.stop();
  EXPECT_EQ(s["error_replies"], refused);
}

// An origin's malformed response is refused just as strictly: 502 when its head is bad (or the
// client's connection cut when its chunked body is), and the upstream connection is never
// reused; the well-formed ones pass.
TEST(Proxy, MalformedOriginResponsesAre502AndTheirConnectionIsNotReused) {
  TempDir dir;
  Peer o = origin(dir);
  Proxy proxy(dir);
  int bad = 0;
  for (const ResponseCase& c : response_cases()) {
    if (c.ok) continue;
    ++bad;
    const std::string url = origin_url(o.port, "/raw?hex=" + hex(c.bytes));
    const Answer a =
        send_and_read(proxy.port(), "GET " + url + " HTTP/1.1\r\nHost: t\r\n\r\n", 5s);
    EXPECT_TRUE(a.closed) << c.name << " (no close within the bound)";
    if (a.status_line() == "HTTP/1.1 200 OK") {  // the head passed: the body's framing failed
      EXPECT_TRUE(a.reset) << c.name << ": a cut-short reply ends with a reset";
    } else {
      EXPECT_EQ(a.status_line(), "HTTP/1.1 502 Bad Gateway") << c.name << "\n→ " << a.data;
    }
  }
  const json s = proxy.stop();
  EXPECT_EQ(s["upstream_reused"], 0);
  EXPECT_EQ(s["upstream_connects"], bad);
  Proxy good(dir);
  for (const ResponseCase& c : response_cases()) {
    if (!c.ok) continue;
    const std::string url = origin_url(o.port, "/raw?hex=" + hex(c.bytes));
    const Answer a = send_and_read(
        good.port(), "GET " + url + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 5s);
    EXPECT_EQ(a.status_line().rfind("HTTP/1.1 200", 0), 0u) << c.name << "\n→ " << a.data;
    EXPECT_NE(a.data.find("hi"), std::string::npos) << c.name << "\n→ " << a.data;
    EXPECT_TRUE(a.closed && !a.reset) << c.name;
  }
  good.stop();
}

}  // namespace
}  // namespace connperf::test
