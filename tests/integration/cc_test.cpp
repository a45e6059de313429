// connperf cc: opens and holds many connections; the server side is counted through sock_diag
// while they are held, and totals merge exactly across --processes.
#include <signal.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "diag/sock_diag.h"
#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// connperf server in crr mode (it answers cc's keepalives) whose held connections are counted
// through sock_diag.
class HoldServer : public ServerProcess {
 public:
  HoldServer(const TempDir& dir, int n)
      : ServerProcess(dir, {"--listen", "127.0.0.1:0", "-t", "2", "--mode", "crr"},
                      "server" + std::to_string(n)) {}
  std::uint64_t established_now() const {
    diag::StateFilter f;
    f.local_port = static_cast<std::uint16_t>(port());
    return diag::count_tcp_states(f)[diag::TcpState::Established];
  }
};

// Waits until the server side holds `want` established connections; returns the last count.
std::uint64_t wait_established(const std::vector<const HoldServer*>& servers, std::uint64_t want) {
  std::uint64_t n = 0;
  poll_until(
      [&] {
        n = 0;
        for (const auto* s : servers) n += s->established_now();
        return n >= want;
      },
      10s, 50ms);
  return n;
}

TEST(CcIntegration, HoldsFifteenThousandOverTwoSourceAddresses) {
  TempDir dir;
  HoldServer server(dir, 1);
  const std::string path = dir.file("cc.json");
  Process cc({connperf(), "cc", server.target(), "-n", "15000", "--bind", "127.0.0.2,127.0.0.3",
              "--hold", "4", "-t", "2", "-q", "--json", path},
             dir.path());
  EXPECT_EQ(wait_established({&server}, 15000), 15000u);
  ASSERT_EQ(cc.wait(60s), 0) << cc.err();
  const json c = read_json(path)["summary"];
  EXPECT_EQ(c["attempted"], 15000);
  EXPECT_EQ(c["established"], 15000);
  EXPECT_EQ(c["failed"], 0) << c["errors"].dump();
  EXPECT_EQ(c["survived"], 15000);
  EXPECT_FALSE(c["time_to_reach_s"].is_null());
  const json s = server.stop();
  EXPECT_EQ(s["accepted"], 15000);
  EXPECT_EQ(s["peers"].size(), 2u);
}

TEST(CcIntegration, TwoProcessesReachThirtyThousandWithExactTotals) {
  TempDir dir;
  HoldServer a(dir, 1), b(dir, 2);  // one server process holds at most ~20,000 fds here
  const std::string path = dir.file("cc.json");
  Process cc({connperf(), "cc", a.target(), b.target(), "-n", "30000", "--processes", "2",
              "--bind", "127.0.0.2-127.0.0.5", "--hold", "4", "-q", "--json", path},
             dir.path());
  EXPECT_EQ(wait_established({&a, &b}, 30000), 30000u);
  ASSERT_EQ(cc.wait(90s), 0) << cc.err();
  const json c = read_json(path)["summary"];
  EXPECT_EQ(c["attempted"], 30000);
  EXPECT_EQ(c["established"], 30000);
  EXPECT_EQ(c["survived"], 30000);
  EXPECT_EQ(c["lost"], 0);
  const json sa = a.stop(), sb = b.stop();
  EXPECT_EQ(sa["accepted"].get<std::uint64_t>() + sb["accepted"].get<std::uint64_t>(), 30000u);
}

TEST(CcIntegration, RefusedTargetIsCountedAndReported) {
  TempDir dir;
  const std::string path = dir.file("cc.json");
  const std::string target = "127.0.0.1:" + std::to_string(free_port());
  const RunResult r = run({connperf(), "cc", target, "-n", "50", "--hold", "0", "-q", "--json",
                           path},
                          dir.path(), 30s);
  EXPECT_EQ(r.code, 1) << r.err;  // nothing was established
  EXPECT_NE(r.err.find("nothing completed: 50 refused by " + target), std::string::npos) << r.err;
  const json c = read_json(path)["summary"];
  EXPECT_EQ(c["errors"]["refused"], 50);
  EXPECT_TRUE(c["time_to_reach_s"].is_null());
}

TEST(CcIntegration, KeepaliveRequestsAreAnswered) {
  TempDir dir;
  HoldServer server(dir, 1);  // crr mode answers "Get." with "200 Ok."
  const std::string path = dir.file("cc.json");
  const RunResult r = run({connperf(), "cc", server.target(), "-n", "20", "--hold", "1",
                           "--keepalive", "0.2", "-q", "--json", path},
                          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json c = read_json(path)["summary"];
  EXPECT_GE(c["keepalives"].get<std::uint64_t>(), 60u);
  EXPECT_EQ(c["lost"], 0);
  const json s = server.stop();
  // Every answered keepalive reached the server; at most one per connection was still in
  // flight when the hold ended.
  const auto answered = c["keepalives"].get<std::uint64_t>();
  EXPECT_GE(s["requests"].get<std::uint64_t>(), answered);
  EXPECT_LE(s["requests"].get<std::uint64_t>(), answered + 20);
}

// A peer that closes every connection at once: each connection is lost, none survives, even
// when the FIN comes with the connect's own event.
TEST(CcIntegration, ConnectionsThePeerClosesAreLostNotHeld) {
  TempDir dir;
  Process peer({"python3", peers_dir() + "/close_at_once.py"}, dir.path());
  const std::string target = "127.0.0.1:" + std::to_string(peer.wait_listening());
  const std::string path = dir.file("cc.json");
  const RunResult r =
      run({connperf(), "cc", target, "-n", "2000", "--hold", "1", "-q", "--json", path}, dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  const json c = read_json(path)["summary"];
  EXPECT_EQ(c["attempted"], 2000);
  EXPECT_EQ(c["survived"], 0);
  EXPECT_EQ(c["lost"], c["established"]);
  EXPECT_EQ(c["established"].get<std::uint64_t>() + c["failed"].get<std::uint64_t>(), 2000u);
}

// Ctrl-C in the middle of the ramp: every attempt is counted once, as established, failed or
// aborted, including those that ended while the workers stopped.
TEST(CcIntegration, InterruptedRampKeepsTotalsExact) {
  TempDir dir;
  const std::string path = dir.file("cc.json");
  Process cc({connperf(), "cc", "127.0.0.1:" + std::to_string(free_port()), "-n", "10000000",
              "-q", "--json", path},
             dir.path());
  std::this_thread::sleep_for(1s);
  // Its memory follows the connections in use, not -n (it was 32 bytes per -n, and a sweep over
  // all of them every 10 ms stalled the ramp at its first 256 attempts).
  EXPECT_LT(vm_kib(cc.pid(), "VmHWM"), 64 * 1024 * kMemoryScale);
  cc.signal(SIGINT);
  ASSERT_EQ(cc.wait(20s), 1) << cc.err();  // nothing listens: nothing was established
  const json c = read_json(path)["summary"];
  EXPECT_GT(c["attempted"].get<std::uint64_t>(), 1000u);
  EXPECT_EQ(c["attempted"].get<std::uint64_t>(), c["established"].get<std::uint64_t>() +
                                                     c["failed"].get<std::uint64_t>() +
                                                     c["aborted"].get<std::uint64_t>());
}

// A worker process that dies does not leave the parent waiting: it says so and reports.
TEST(CcIntegration, AWorkerProcessThatDiesDoesNotHangTheRun) {
  TempDir dir;
  HoldServer server(dir, 1);
  const std::string path = dir.file("cc.json");
  Process cc({connperf(), "cc", server.target(), "-n", "200", "--processes", "2", "--hold", "3",
              "-q", "--json", path},
             dir.path());
  pid_t child = 0;
  poll_until(
      [&] {
        std::ifstream kids("/proc/" + std::to_string(cc.pid()) + "/task/" +
                           std::to_string(cc.pid()) + "/children");
        kids >> child;
        return child > 0;
      },
      2s, 20ms);
  ASSERT_GT(child, 0);
  // Kill it in the middle of its run: while both workers hold their connections.
  poll_until([&] { return server.established_now() >= 200; }, 3s);
  ::kill(child, SIGKILL);
  ASSERT_EQ(cc.wait(15s), 0) << cc.err();
  EXPECT_NE(cc.err().find("ended early (signal 9)"), std::string::npos) << cc.err();
  EXPECT_TRUE(read_json(path)["summary"].contains("attempted"));
  server.stop();
}

// connect() searches one half of the local port range first: past that, per source address
// and target, it crawls. cc says so before the run, and only then. The target refuses, so the
// attempts end at once.
TEST(CcIntegration, WarnsWhenOneSourceAddressNeedsMoreThanHalfThePorts) {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 0, hi = 0;
  in >> lo >> hi;
  const int half = (hi - lo + 1) / 2;
  if (half < 1 || half > 20000) GTEST_SKIP() << "local port range " << lo << "-" << hi;
  TempDir dir;
  const std::string target = "127.0.0.1:" + std::to_string(free_port());
  auto cc = [&](int n) {
    return run({connperf(), "cc", target, "-n", std::to_string(n), "--hold", "0", "--bind",
                "127.0.0.9", "-q"},
               dir.path());
  };
  const RunResult over = cc(half + 1);
  EXPECT_EQ(over.code, 1) << over.err;  // refused: nothing was established
  EXPECT_NE(over.err.find("half the local port range"), std::string::npos) << over.err;
  const RunResult under = cc(half);
  EXPECT_EQ(under.code, 1) << under.err;
  EXPECT_EQ(under.err.find("half the local port range"), std::string::npos) << under.err;
}

}  // namespace
}  // namespace connperf::test
