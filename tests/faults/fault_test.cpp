// The fault suite: connperf's client, server and proxy under network and process faults, in
// network namespaces each test makes and removes (root only). For every case: both sides'
// invariants of DESIGN §3 hold exactly, the run ends within -d + grace, peak memory (VmHWM, from
// wait4) stays under a bound and is printed, and no process is left.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"
#include "lab/lab.h"
#include "net/socket.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string unique(const char* stem) {
  static std::atomic<int> n{0};
  return stem + std::to_string(::getpid() % 1000000) + "x" + std::to_string(n++);
}

void must(const std::vector<std::string>& argv, const std::string& input = {}) {
  const lab::CommandResult r = lab::run_command(argv, input);
  ASSERT_EQ(r.code, 0) << argv[0] << " " << argv[1] << ": " << r.err;
}

// A network namespace of the test's own with only loopback up. The calling thread enters it,
// so every process the test starts, and every socket it makes, lives there; the destructor
// goes back and removes it.
class PrivateNetns {
 public:
  // Throws (the test fails at once) when the namespace cannot be made or entered: a case must
  // never run in the host's namespace instead.
  PrivateNetns() : name_(unique("cpf")) {
    saved_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const lab::CommandResult r = lab::run_command({"ip", "netns", "add", name_});
    if (r.code != 0) throw std::runtime_error("ip netns add " + name_ + ": " + r.err);
    lab::run_command({"ip", "-n", name_, "link", "set", "lo", "up"});
    const int ns = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    const bool entered = ns >= 0 && ::setns(ns, CLONE_NEWNET) == 0;
    if (ns >= 0) ::close(ns);
    if (!entered) {
      lab::run_command({"ip", "netns", "del", name_});
      throw std::runtime_error("cannot enter network namespace " + name_);
    }
  }
  ~PrivateNetns() {
    ::setns(saved_, CLONE_NEWNET);
    ::close(saved_);
    lab::run_command({"ip", "netns", "del", name_});
  }
  PrivateNetns(const PrivateNetns&) = delete;
  PrivateNetns& operator=(const PrivateNetns&) = delete;

 private:
  std::string name_;
  int saved_ = -1;
};

// `connperf lab`'s topology (client — device — server namespaces, nftables in the device) under
// a unique name, removed at the end whatever happened.
class LabNets {
 public:
  explicit LabNets(lab::LabSpec spec) : name_(unique("f")) {
    spec.name = name_;
    lab::up(spec);
  }
  ~LabNets() { lab::down(name_); }
  LabNets(const LabNets&) = delete;
  LabNets& operator=(const LabNets&) = delete;
  std::string ns(const char* side) const { return name_ + "-" + side; }
  // More rules in the device, in a table of their own (removed with the namespace).
  void add_rules(const std::string& ruleset) const {
    must({"ip", "netns", "exec", ns("dut"), "nft", "-f", "-"}, ruleset);
  }

 private:
  std::string name_;
};

const std::string kServer = std::string(lab::Topology::kServer) + ":8080";

bool gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

// A finished connperf client run: its JSON summary, wall time and peak memory.
struct ClientRun {
  json summary;
  int code = -1;
  double seconds = 0;
  long peak_kib = -1;
  std::string err;
};

// Peak memory bounds, KiB. Measured here: crr, cc and server 5-6 MiB in every case, the proxy
// 10 MiB with 1,000 slow heads and 17 MiB with 10,000 idle clients. Sanitizer builds (shadow
// memory, quarantine, slower code) get a looser bound and twice the grace.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kScale = 16;
constexpr double kSlower = 2;
#else
constexpr long kScale = 1;
constexpr double kSlower = 1;
#endif
constexpr long kClientBound = 16 * 1024 * kScale;
constexpr long kServerBound = 16 * 1024 * kScale;
// Seconds past -d: stop, drain in-flight attempts (--timeout 1 s at most).
constexpr double kGrace = 3.0 * kSlower;

// DESIGN §3, the client: started == completed + errors + aborted.
void expect_client_invariant(const json& c) {
  EXPECT_EQ(c["started"].get<std::uint64_t>(), c["completed"].get<std::uint64_t>() +
                                                    c["error_total"].get<std::uint64_t>() +
                                                    c["aborted"].get<std::uint64_t>())
      << c.dump();
}

// DESIGN §4, cc: attempted == established + failed (+ aborted).
void expect_cc_invariant(const json& c) {
  EXPECT_EQ(c["attempted"].get<std::uint64_t>(), c["established"].get<std::uint64_t>() +
                                                      c["failed"].get<std::uint64_t>() +
                                                      c["aborted"].get<std::uint64_t>())
      << c.dump();
}

std::uint64_t count_of(const json& errors, const char* name) {
  return errors.contains(name) ? errors[name].get<std::uint64_t>() : 0;
}

void report_peak(const char* what, long kib, long bound_kib) {
  std::printf("[ peak     ] %s: %.1f MiB (bound %.0f MiB)\n", what, static_cast<double>(kib) / 1024,
              static_cast<double>(bound_kib) / 1024);
  EXPECT_GT(kib, 0) << what;
  EXPECT_LT(kib, bound_kib) << what;
}

// Runs `connperf ARGS -q --json FILE` to its end. A run that worked is checked for what every
// case needs: it ended within `duration` + grace, its invariant holds, its memory stayed bounded.
ClientRun run_client(const TempDir& dir, std::vector<std::string> args, double duration,
                     std::chrono::milliseconds limit = 60s) {
  const std::string what = args.front();
  const std::string path = dir.file(unique("client") + ".json");
  args.insert(args.begin(), connperf());
  args.insert(args.end(), {"-q", "--json", path});
  const auto t0 = Clock::now();
  Process p(args, dir.path());
  ClientRun r;
  r.code = p.wait(limit);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.peak_kib = p.max_rss_kib();
  r.err = p.err();
  EXPECT_TRUE(gone(p.pid()));
  // A run that could not start writes no result; one in which nothing completed (exit 1) does.
  if (r.code != 0 && !std::filesystem::exists(path)) return r;
  r.summary = read_json(path)["summary"];
  EXPECT_LT(r.seconds, duration + kGrace) << what;
  if (what == "cc")
    expect_cc_invariant(r.summary);
  else
    expect_client_invariant(r.summary);
  report_peak(what.c_str(), r.peak_kib, kClientBound);
  return r;
}

// Stops a server with SIGTERM, checks it left nothing, and returns its summary.
json stop_server(ServerProcess& server, const char* what, long bound_kib) {
  const json s = server.stop(10s);
  report_peak(what, server.process().max_rss_kib(), bound_kib);
  EXPECT_TRUE(gone(server.process().pid()));
  expect_server_invariant(s);
  return s;
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the fault suite needs root (network namespaces, nftables)";
    net::raise_open_file_limit();
  }
  TempDir dir;
};

// ---- the network between client and server ----

// Packets lost at random in both directions: retransmissions, timeouts, resets after a timed-out
// attempt; every count still adds up on both sides and the run ends on time.
void loss_case(const TempDir& dir, double pct) {
  lab::LabSpec spec;
  spec.loss_pct = pct;
  LabNets nets(spec);
  ServerProcess server(dir, {"--netns", nets.ns("server"), "--listen", kServer, "-t", "1"});
  const ClientRun c = run_client(dir, {"crr", kServer, "--netns", nets.ns("client"), "-d", "3",
                                       "-c", "16", "--timeout", "1000"},
                                 3);
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_GT(c.summary["completed"].get<std::uint64_t>(), 0u);
  EXPECT_GT(c.summary["error_total"].get<std::uint64_t>(), 0u) << "no attempt felt the loss";
  const json s = stop_server(server, "server", kServerBound);
  // Every completed attempt reached the server; its RST may be lost, so the server may see the
  // connection end otherwise, but never fewer accepted than completed.
  EXPECT_GE(s["accepted"].get<std::uint64_t>(), c.summary["completed"].get<std::uint64_t>());
}

TEST_F(Faults, Loss1PercentBothWays) { loss_case(dir, 1); }
TEST_F(Faults, Loss5PercentBothWays) { loss_case(dir, 5); }

// Every SYN dropped in the device: each attempt is a timeout, the server sees nothing.
TEST_F(Faults, SynsBlackholed) {
  LabNets nets(lab::LabSpec{});
  nets.add_rules(
      "table inet faults {\n  chain forward {\n    type filter hook forward priority -10; "
      "policy accept;\n    tcp flags & (syn | ack) == syn drop\n  }\n}\n");
  ServerProcess server(dir, {"--netns", nets.ns("server"), "--listen", kServer, "-t", "1"});
  const ClientRun c = run_client(dir, {"crr", kServer, "--netns", nets.ns("client"), "-d", "2",
                                       "-c", "8", "--timeout", "500"},
                                 2);
  ASSERT_EQ(c.code, 1) << c.err;  // nothing completed
  EXPECT_NE(c.err.find("nothing completed: "), std::string::npos) << c.err;
  EXPECT_EQ(c.summary["completed"], 0);
  EXPECT_GT(count_of(c.summary["errors"], "timeout"), 0u) << c.summary.dump();
  EXPECT_EQ(count_of(c.summary["errors"], "timeout"), c.summary["error_total"].get<std::uint64_t>());
  const json s = stop_server(server, "server", kServerBound);
  EXPECT_EQ(s["accepted"], 0);
}

// A share of new connections reset by the device: the client counts them refused; what passed
// is exact on both sides (no loss), so client completed == server rst still holds.
TEST_F(Faults, AShareOfNewConnectionsReset) {
  lab::LabSpec spec;
  spec.reject_pct = 20;
  LabNets nets(spec);
  ServerProcess server(dir, {"--netns", nets.ns("server"), "--listen", kServer, "-t", "1"});
  const ClientRun c = run_client(dir, {"crr", kServer, "--netns", nets.ns("client"), "-n", "1000",
                                       "-c", "8", "-d", "20", "--timeout", "1000"},
                                 20);
  ASSERT_EQ(c.code, 0) << c.err;
  const std::uint64_t refused = count_of(c.summary["errors"], "refused");
  EXPECT_GT(refused, 100u) << c.summary.dump();  // 20 % of 1,000, give or take
  EXPECT_LT(refused, 320u) << c.summary.dump();
  EXPECT_EQ(c.summary["completed"].get<std::uint64_t>() + refused, 1000u) << c.summary.dump();
  const json s = stop_server(server, "server", kServerBound);
  EXPECT_EQ(s["rst"], c.summary["completed"]);
  EXPECT_EQ(s["accepted"], c.summary["completed"]);
}

// ---- the server process ----

// The server stopped (SIGSTOP) for 2 s of a 5 s run: attempts time out meanwhile, and the
// server, continued, ends each one it had accepted; both sides add up.
TEST_F(Faults, ServerStoppedForTwoSeconds) {
  PrivateNetns ns;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1"});
  std::thread pause([&] {
    std::this_thread::sleep_for(1s);
    server.process().signal(SIGSTOP);
    std::this_thread::sleep_for(2s);
    server.process().signal(SIGCONT);
  });
  const ClientRun c =
      run_client(dir, {"crr", server.target(), "-d", "5", "-c", "8", "--timeout", "1000"}, 5);
  pause.join();
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_GT(c.summary["completed"].get<std::uint64_t>(), 0u);
  EXPECT_GT(count_of(c.summary["errors"], "timeout"), 0u) << c.summary.dump();
  const json s = stop_server(server, "server", kServerBound);
  EXPECT_GE(s["rst"].get<std::uint64_t>(), c.summary["completed"].get<std::uint64_t>());
}

// The server killed a second into a 3 s run: the rest are refused, counted, not fatal.
TEST_F(Faults, ServerKilledMidRun) {
  PrivateNetns ns;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1"});
  const pid_t pid = server.process().pid();
  std::thread kill([&] {
    std::this_thread::sleep_for(1s);
    server.process().signal(SIGKILL);
  });
  const ClientRun c =
      run_client(dir, {"crr", server.target(), "-d", "3", "-c", "8", "--timeout", "1000"}, 3);
  kill.join();
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_GT(c.summary["completed"].get<std::uint64_t>(), 0u);
  EXPECT_GT(count_of(c.summary["errors"], "refused"), 0u) << c.summary.dump();
  EXPECT_EQ(server.process().wait(5s), 128 + SIGKILL);
  EXPECT_TRUE(gone(pid));
}

// The server started with 64 open files, 100 connections at once against it: accepting pauses
// at the limit and resumes as connections end; nothing is lost, the server answers afterwards.
TEST_F(Faults, ServerWith64OpenFiles) {
  PrivateNetns ns;
  const std::string json_path = dir.file("server64.json");
  Process server({"prlimit", "--nofile=64:64", "--", connperf(), "server", "--listen",
                  "127.0.0.1:0", "-t", "1", "-q", "--json", json_path},
                 dir.path());
  const int port = server.wait_listening();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  const ClientRun c = run_client(dir, {"crr", target, "-d", "3", "-c", "100", "--timeout", "1000"}, 3);
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_GT(c.summary["completed"].get<std::uint64_t>(), 100u);
  const ClientRun after = run_client(dir, {"crr", target, "-n", "50", "-c", "4"}, 10);
  ASSERT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(after.summary["completed"], 50) << "the server did not recover from its fd limit";
  server.signal(SIGTERM);
  ASSERT_EQ(server.wait(10s), 0) << server.err();
  report_peak("server", server.max_rss_kib(), kServerBound);
  EXPECT_TRUE(gone(server.pid()));
  const json s = read_json(json_path)["summary"];
  expect_server_invariant(s);
  EXPECT_GE(s["rst"].get<std::uint64_t>(),
            c.summary["completed"].get<std::uint64_t>() + 50);
}

// ---- the proxy ----

constexpr long kProxyBound = 32 * 1024 * kScale;

class ProxyProcess {
 public:
  ProxyProcess(const TempDir& dir, std::vector<std::string> extra)
      : json_(dir.file(unique("proxy") + ".json")), proc_(argv(extra), dir.path()),
        port_(proc_.wait_listening()) {}
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  Process& process() { return proc_; }
  // SIGINT; the run must end at once, leave nothing open and keep accepted == closed + active.
  json stop() {
    proc_.signal(SIGINT);
    EXPECT_EQ(proc_.wait(10s), 0) << proc_.err();
    report_peak("proxy", proc_.max_rss_kib(), kProxyBound);
    EXPECT_TRUE(gone(proc_.pid()));
    const json s = read_json(json_)["summary"];
    EXPECT_EQ(s["accepted"].get<std::uint64_t>(),
              s["closed"].get<std::uint64_t>() + s["active"].get<std::uint64_t>())
        << s.dump();
    EXPECT_EQ(s["active"], 0) << s.dump();
    return s;
  }

 private:
  std::vector<std::string> argv(const std::vector<std::string>& extra) const {
    std::vector<std::string> a{connperf(), "proxy", "--listen", "127.0.0.1:0", "-t", "2",
                               "-q",       "--json", json_};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string json_;
  Process proc_;
  int port_;
};

std::string status_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

// The proxy still relays a plain request: it survived.
void expect_proxy_serves(const TempDir& dir, const ProxyProcess& proxy, int origin_port) {
  const RunResult r = run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-x",
                           proxy.url(), "http://127.0.0.1:" + std::to_string(origin_port) + "/"},
                          dir.path(), 10s);
  EXPECT_EQ(r.out, "200") << r.err;
}

// The origin is killed while a large response streams through the proxy: the client's response
// ends short (never a clean end), the proxy counts and survives.
TEST_F(Faults, ProxyOriginDiesMidResponse) {
  PrivateNetns ns;
  Process origin({"python3", peers_dir() + "/http_origin.py"}, dir.path());
  const int origin_port = origin.wait_listening();
  ServerProcess other(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "http"});
  ProxyProcess proxy(dir, {});
  Process curl({"curl", "-s", "-o", "/dev/null", "--limit-rate", "2M", "-x", proxy.url(),
                "http://127.0.0.1:" + std::to_string(origin_port) + "/big?bytes=1073741824"},
               dir.path());
  ASSERT_TRUE(poll_until([&] { return established_to(origin_port) > 0; }, 5s));
  std::this_thread::sleep_for(500ms);  // the body is under way
  origin.signal(SIGKILL);
  EXPECT_EQ(origin.wait(5s), 128 + SIGKILL);
  const int code = curl.wait(10s);
  EXPECT_TRUE(code == 18 || code == 56) << "curl exit " << code << ": a cut body must not end cleanly";
  expect_proxy_serves(dir, proxy, other.port());
  const json s = proxy.stop();
  EXPECT_EQ(s["accepted"], 2);
  EXPECT_EQ(s["requests"], 2);
  EXPECT_EQ(s["responses"], 1) << s.dump();  // only the whole one
  EXPECT_EQ(s["upstream_resets"], 1) << s.dump();
  stop_server(other, "origin server", kServerBound);
}

// Clients reset their tunnels mid-stream: each reset is counted once, passed on to the origin,
// and the proxy holds nothing afterwards.
TEST_F(Faults, ProxyClientResetsMidTunnel) {
  PrivateNetns ns;
  ServerProcess origin(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "echo"});
  ProxyProcess proxy(dir, {"--connect-ports", std::to_string(origin.port())});
  constexpr int kTunnels = 50;
  for (int i = 0; i < kTunnels; ++i) {
    const int fd = connect_loopback(proxy.port(), 5);
    send_all(fd, "CONNECT " + origin.target() + " HTTP/1.1\r\nHost: " + origin.target() + "\r\n\r\n");
    std::string got;
    char buf[4096];
    while (got.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      ASSERT_GT(n, 0);
      got.append(buf, static_cast<std::size_t>(n));
    }
    ASSERT_EQ(status_line(got).substr(9, 3), "200") << got;
    send_all(fd, std::string(100000, 'x'));  // mid-stream: the echo is still coming back
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
    const linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::close(fd);
  }
  ASSERT_TRUE(poll_until([&] { return established_to(origin.port()) == 0; }, 5s));
  const json s = proxy.stop();
  EXPECT_EQ(s["accepted"], kTunnels);
  EXPECT_EQ(s["tunnels"], kTunnels);
  EXPECT_EQ(s["client_resets"], kTunnels);
  const json o = stop_server(origin, "origin server", kServerBound);
  EXPECT_EQ(o["accepted"], kTunnels);
  EXPECT_EQ(o["active"], 0);
}

// Slow-loris: 1,000 request heads sent one byte a second. The proxy cuts every one off after
// its idle timeout (2 s here), stays small, and still serves.
TEST_F(Faults, ProxySlowLorisThousandHeads) {
  PrivateNetns ns;
  ServerProcess origin(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "http"});
  ProxyProcess proxy(dir, {"--idle-timeout", "2"});
  constexpr int kHeads = 1000;
  const std::string head = "GET " + origin.url() + " HTTP/1.1\r\nHost: " + origin.target() +
                           "\r\nUser-Agent: slow\r\n\r\n";
  std::vector<int> fds;
  for (int i = 0; i < kHeads; ++i) fds.push_back(connect_loopback(proxy.port(), 5));
  const auto t0 = Clock::now();
  std::size_t open = fds.size(), sent = 0;
  while (open > 0 && Clock::now() - t0 < 8s && sent < head.size()) {
    for (int& fd : fds) {
      if (fd < 0) continue;
      char c;
      const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
      const bool closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
      if (closed || ::send(fd, &head[sent], 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
        ::close(fd);
        fd = -1;
        --open;
      }
    }
    ++sent;
    std::this_thread::sleep_for(1s);
  }
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const int fd : fds)
    if (fd >= 0) ::close(fd);
  EXPECT_EQ(open, 0u) << "heads still open after " << took << " s";
  EXPECT_LT(took, 2 + 3.5 * kSlower);  // the idle timeout, one send period and slack
  expect_proxy_serves(dir, proxy, origin.port());
  const json s = proxy.stop();
  EXPECT_EQ(s["accepted"], kHeads + 1);
  EXPECT_EQ(s["requests"], 1);
  stop_server(origin, "origin server", kServerBound);
}

// 10,000 idle clients held open (connperf cc): the proxy takes them all, memory stays bounded,
// and every one is closed when they leave.
TEST_F(Faults, ProxyTenThousandIdleClients) {
  PrivateNetns ns;
  ProxyProcess proxy(dir, {"--max-connections", "10000", "--idle-timeout", "60"});
  const ClientRun c = run_client(dir, {"cc", "127.0.0.1:" + std::to_string(proxy.port()), "-n",
                                       "10000", "--hold", "2", "--timeout", "5000"},
                                 30, 90s);
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.summary["established"], 10000) << c.summary.dump();
  EXPECT_EQ(c.summary["failed"], 0) << c.summary.dump();
  ASSERT_TRUE(poll_until([&] { return established_to(proxy.port()) == 0; }, 10s));
  const json s = proxy.stop();
  EXPECT_EQ(s["accepted"], 10000);
}

}  // namespace
}  // namespace connperf::test
