// TLS against real peers: crr --tls and rr --tls against nginx with ssl on (resumption checked
// by nginx's own $ssl_session_reused), rr --tls against openssl s_server -www, TLS 1.2 and 1.3.
#include <signal.h>

#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::uint64_t interop_u64(const json& j, const char* key) { return j.at(key).get<std::uint64_t>(); }

// nginx with ssl on, one request per connection (so rr makes a handshake per request), each
// request logged as "$ssl_protocol $ssl_session_reused".
class TlsNginx {
 public:
  explicit TlsNginx(const TempDir& dir)
      : dir_(dir), certs_(dir, "nginx"), port_(std::to_string(free_port())) {
    const std::string cmd = "TLS_CERT=" + certs_.cert + " TLS_KEY=" + certs_.key +
                            " KEEPALIVE_REQUESTS=1 " + script() + " start " + dir.path() + " " +
                            port_ + " 1";
    const RunResult r = run({"/bin/sh", "-c", cmd}, dir.path(), 20s);
    started_ = r.code == 0;
    EXPECT_TRUE(started_) << r.out << r.err;
  }
  ~TlsNginx() {
    if (started_) run({script(), "stop", dir_.path()}, dir_.path(), 20s);
  }
  bool started() const { return started_; }
  std::string target() const { return "127.0.0.1:" + port_; }

  // Lines of the access log ending in " r" (resumed) and in total; the log starts empty again.
  std::pair<int, int> take_log() {
    const std::string path = dir_.file("access.log");
    int reused = 0, all = 0;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line); ++all)
      if (line.size() > 2 && line.compare(line.size() - 2, 2, " r") == 0) ++reused;
    run({"/bin/sh", "-c", ": > " + path}, dir_.path(), 10s);
    return {reused, all};
  }

 private:
  static std::string script() { return peers_dir() + "/nginx.sh"; }
  const TempDir& dir_;
  CertFiles certs_;
  std::string port_;
  bool started_ = false;
};

json interop_run(const TempDir& dir, const std::string& command, const std::string& target,
                 const std::string& version, const std::string& resume) {
  return tls_load(dir, command, target,
                  {"--tls-version", version, "--resume", resume, "-n", "200", "-c", "4"});
}

// crr: each connection one request, so nginx's resumed lines equal the client's resumed count.
// rr: a connection made after the last request has a handshake and no request.
void against_nginx(const std::string& version) {
  TempDir dir;
  TlsNginx nginx(dir);
  ASSERT_TRUE(nginx.started());
  for (const std::string command : {"crr", "rr"}) {
    const json on = interop_run(dir, command, nginx.target(), version, "1.0");
    const auto [reused_on, lines_on] = nginx.take_log();
    const json off = interop_run(dir, command, nginx.target(), version, "0");
    const auto [reused_off, lines_off] = nginx.take_log();
    for (const json* c : {&on, &off}) {
      EXPECT_EQ(interop_u64(*c, "completed"), 200u) << command << " " << (*c)["errors"].dump();
      EXPECT_EQ((*c)["tls"]["version"], "TLSv" + version);
    }
    EXPECT_EQ(lines_on, 200) << command;
    EXPECT_EQ(lines_off, 200) << command;
    EXPECT_EQ(reused_off, 0) << command;
    EXPECT_EQ(interop_u64(off["tls"], "resumed"), 0u) << command;
    EXPECT_GE(reused_on, 200 - 8) << command << " " << on["tls"].dump();
    if (command == "crr") EXPECT_EQ(reused_on, interop_u64(on["tls"], "resumed"));
    else EXPECT_LE(static_cast<std::uint64_t>(reused_on), interop_u64(on["tls"], "resumed"));
  }
}

TEST(TlsInterop, CrrAndRrAgainstNginxResumeTls12) { against_nginx("1.2"); }
TEST(TlsInterop, CrrAndRrAgainstNginxResumeTls13) { against_nginx("1.3"); }

// s_server -www answers HTTP/1.0 and closes: rr reads to the close and connects again,
// resuming the worker's session.
TEST(TlsInterop, RrAgainstOpensslServer) {
  TempDir dir;
  const OpensslWww origin(dir);
  ASSERT_FALSE(origin.target().empty());
  const std::string& target = origin.target();
  for (const std::string version : {"1.2", "1.3"}) {
    const json c = tls_load(dir, "rr", target,
                            {"--tls-version", version, "--resume", "1", "-n", "50", "-c", "1"});
    EXPECT_EQ(interop_u64(c, "completed"), 50u) << c["errors"].dump();
    EXPECT_GE(interop_u64(c["tls"], "resumed"), 49u) << c["tls"].dump();
  }
}

// crr --tls --proxy through connperf proxy's CONNECT tunnels: every connection a tunnel, a
// handshake and a request, counted exactly on all three; a port the proxy refuses (403) is
// bad_response.
TEST(TlsInterop, CrrThroughProxyConnect) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1"});
  const std::string proxy_json = dir.file("proxy.json");
  Process proxy({connperf(), "proxy", "--listen", "127.0.0.1:0", "-t", "1", "-q", "--json",
                 proxy_json, "--connect-ports", std::to_string(server.port())},
                dir.path());
  const std::string via = "127.0.0.1:" + std::to_string(proxy.wait_listening());
  for (const std::string version : {"1.2", "1.3"}) {
    const json c = tls_load(dir, "crr", server.target(),
                            {"--proxy", via, "--tls-version", version, "--resume", "0.5", "-n",
                             "200", "-c", "4"});
    EXPECT_EQ(interop_u64(c, "completed"), 200u) << c["errors"].dump();
    EXPECT_GT(interop_u64(c["tls"], "resumed"), 50u) << c["tls"].dump();
  }
  const json refused = tls_load(dir, "crr", "127.0.0.1:9", {"--proxy", via, "-n", "5", "-c", "1"}, 1);
  EXPECT_EQ(interop_u64(refused["errors"], "bad_response"), 5u) << refused["errors"].dump();
  const json s = server.stop();
  proxy.signal(SIGINT);
  EXPECT_EQ(proxy.wait(10s), 0) << proxy.err();
  const json p = read_json(proxy_json)["summary"];
  EXPECT_EQ(interop_u64(s, "rst"), 400u);
  EXPECT_EQ(interop_u64(s, "requests"), 400u);
  EXPECT_EQ(interop_u64(s["tls"], "full") + interop_u64(s["tls"], "resumed"), 400u);
  EXPECT_EQ(interop_u64(p, "tunnels"), 400u);
  EXPECT_EQ(p["statuses"]["403"], 5);
}

}  // namespace
}  // namespace connperf::test
