// Why did it stop: --kernel-counters (the namespace's TCP MIB deltas), doctor (host limits and
// the tuple budget) and --search (the highest rate that holds). Tests that change sysctls or add
// nftables rules do it in a network namespace of their own (root), removed at the end.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A network namespace with loopback up, for the test's lifetime.
class Netns {
 public:
  explicit Netns(const TempDir& dir) : dir_(dir) {
    static std::atomic<int> n{0};
    name_ = "why" + std::to_string(::getpid() % 100000) + "x" + std::to_string(n++);
    ok_ = sh({"ip", "netns", "add", name_}) && sh({"ip", "-n", name_, "link", "set", "lo", "up"});
  }
  ~Netns() { sh({"ip", "netns", "delete", name_}); }
  const std::string& name() const { return name_; }
  bool ok() const { return ok_; }
  // `ip netns exec NAME argv...`; true when it exited 0.
  bool exec(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
    return sh(std::move(argv));
  }

 private:
  bool sh(std::vector<std::string> argv) const {
    argv[0] = "/usr/sbin/" + argv[0];
    const RunResult r = run(std::move(argv), dir_.path(), 20s);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0;
  }
  const TempDir& dir_;
  std::string name_;
  bool ok_ = false;
};

class WhyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
  }
  TempDir dir;
};

RunResult connperf_run(const TempDir& dir, std::vector<std::string> args,
                       std::chrono::milliseconds limit = 60s) {
  args.insert(args.begin(), connperf());
  return run(std::move(args), dir.path(), limit);
}

// A server with --backlog 1 that is stopped (SIGSTOP) accepts nothing: SYNs past its queue
// overflow it. The client's --kernel-counters, read in the namespace, show it per interval and
// name the limiter; the server's own --kernel-counters show it over its run.
TEST_F(WhyTest, StoppedServerWithBacklogOneOverflowsItsListenQueue) {
  Netns ns(dir);
  ASSERT_TRUE(ns.ok());
  const std::string events = dir.file("server.ndjson");
  ServerProcess server(dir, {"--netns", ns.name(), "--listen", "127.0.0.1:0", "-t", "1",
                             "--backlog", "1", "--kernel-counters", "--ndjson", events});
  // Its counters' baseline is read before the start event: stop it only after that.
  ASSERT_TRUE(poll_until([&] { return read_file(events).find("\"start\"") != std::string::npos; },
                         5s));
  server.process().signal(SIGSTOP);
  const std::string out = dir.file("crr.json");
  const RunResult r = connperf_run(dir, {"crr", "--netns", ns.name(), server.target(), "-c", "20",
                                         "-d", "2", "--timeout", "1500", "--kernel-counters",
                                         "--json", out});
  server.process().signal(SIGCONT);
  EXPECT_EQ(r.code, 1) << r.err;  // nothing completed: every connection sat in the full backlog
  const json doc = read_json(out);
  const json& k = doc["summary"]["kernel"];
  EXPECT_GT(k["ListenOverflows"].get<std::uint64_t>(), 0u) << k;
  EXPECT_GT(k["ListenDrops"].get<std::uint64_t>(), 0u) << k;
  EXPECT_GT(k["TCPSynRetrans"].get<std::uint64_t>(), 0u) << k;
  EXPECT_GE(k["ActiveOpens"].get<std::uint64_t>(), doc["summary"]["started"].get<std::uint64_t>());
  EXPECT_EQ(doc["summary"]["kernel_limiter"].get<std::string>().rfind("ListenOverflows +", 0), 0u)
      << doc["summary"]["kernel_limiter"];
  EXPECT_NE(r.out.find("likely limiter: ListenOverflows +"), std::string::npos) << r.out;
  std::uint64_t in_intervals = 0;
  for (const json& i : doc["intervals"])
    in_intervals += i["kernel"]["ListenOverflows"].get<std::uint64_t>();
  EXPECT_GT(in_intervals, 0u);
  EXPECT_LE(in_intervals, k["ListenOverflows"].get<std::uint64_t>());
  const json s = server.stop();
  EXPECT_GT(s["kernel"]["ListenOverflows"].get<std::uint64_t>(), 0u) << s["kernel"];
}

// Nothing listens: every connect is refused, which the kernel counts as AttemptFails (client)
// and OutRsts (the RST it answers with); a run elsewhere does not see this namespace's.
TEST_F(WhyTest, RefusedPortMakesAttemptFailsAndOutRstsGrow) {
  Netns ns(dir);
  ASSERT_TRUE(ns.ok());
  const std::string out = dir.file("crr.json");
  const RunResult r = connperf_run(dir, {"cc", "--netns", ns.name(), "127.0.0.1:9", "-n", "30",
                                         "--hold", "0", "--kernel-counters", "-q", "--json", out});
  const json doc = read_json(out);
  const json& k = doc["summary"]["kernel"];
  EXPECT_EQ(doc["summary"]["errors"]["refused"], 30) << r.err;
  EXPECT_EQ(k["AttemptFails"], 30) << k;
  EXPECT_EQ(k["OutRsts"], 30) << k;
  EXPECT_EQ(k["ListenOverflows"], 0) << k;
  EXPECT_EQ(doc["summary"]["kernel_limiter"].get<std::string>().rfind("AttemptFails +30:", 0), 0u);
}

TEST_F(WhyTest, DoctorExitsOneWhenThePortRangeIsTooSmall) {
  Netns ns(dir);
  ASSERT_TRUE(ns.ok());
  ASSERT_TRUE(ns.exec({"sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=40000 40099"}));
  ASSERT_TRUE(ns.exec({"sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=0"}));
  const std::string out = dir.file("doctor.json");
  // FIN close: each connection holds a port 60 s; 100 ports carry 1.67/s.
  RunResult r = connperf_run(dir, {"doctor", "--netns", ns.name(), "--rate", "2", "--close", "fin",
                                   "127.0.0.1:80", "--json", out});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("40000 40099 (100 ports)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot: 2 new connections/s need 120 tuples but only 100"),
            std::string::npos)
      << r.out;
  const json j = read_json(out)["summary"];
  EXPECT_EQ(j["fits"], false);
  EXPECT_EQ(j["tuples"]["needed"], 120);
  EXPECT_EQ(j["tuples"]["available"], 100);
  // Fits: a lower rate, RST close, or a second source address.
  r = connperf_run(dir, {"doctor", "--netns", ns.name(), "--rate", "1", "--close", "fin",
                         "127.0.0.1:80"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ok: the planned run fits"), std::string::npos) << r.out;
  r = connperf_run(dir, {"doctor", "--netns", ns.name(), "--rate", "2", "127.0.0.1:80"});
  EXPECT_EQ(r.code, 0) << r.out;
  r = connperf_run(dir, {"doctor", "--netns", ns.name(), "127.0.0.1:80", "--rate", "2", "--close",
                         "fin", "--bind", "127.0.0.2-127.0.0.3"});
  EXPECT_EQ(r.code, 0) << r.out;
  // The host's own range is the default, far wider: the same plan fits there.
  r = connperf_run(dir, {"doctor", "--rate", "2", "--close", "fin", "127.0.0.1:80"});
  EXPECT_EQ(r.code, 0) << r.out;
  // Bad input is a usage error.
  r = connperf_run(dir, {"doctor", "--rate", "-5"});
  EXPECT_EQ(r.code, 2);
}

// SYNs to the server's port limited to 500/s by nftables in the namespace: a SYN past the limit
// is dropped and its attempt times out, so a step above 500/s fails and one below holds. The
// bucket's burst (50) adds at most 25/s over a 2 s step; an error bound of 1% absorbs a burst of
// late starts on a loaded machine (a rate 10% over the limit loses about 9%).
TEST_F(WhyTest, CrrSearchConvergesOnARateLimitedServer) {
  constexpr int kCapacity = 500;
  Netns ns(dir);
  ASSERT_TRUE(ns.ok());
  ServerProcess server(dir, {"--netns", ns.name(), "--listen", "127.0.0.1:0", "-t", "1"});
  const std::string rules = dir.file("limit.nft");
  {
    std::FILE* f = std::fopen(rules.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f,
                 "table inet why_limit {\n chain input {\n  type filter hook input priority 0;\n"
                 "  tcp dport %d tcp flags & (syn|ack) == syn limit rate over %d/second burst 50 "
                 "packets drop\n }\n}\n",
                 server.port(), kCapacity);
    std::fclose(f);
  }
  ASSERT_TRUE(ns.exec({"nft", "-f", rules}));
  const std::string out = dir.file("search.json");
  const RunResult r = connperf_run(dir, {"crr", "--netns", ns.name(), server.target(), "--search",
                                         "--rate", "100", "-d", "2", "--timeout", "800",
                                         "--max-error-rate", "0.01",
                                         "--json", out},
                                   120s);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  const json s = read_json(out)["summary"]["search"];
  const double rate = s["rate"].get<double>();
  EXPECT_GE(rate, kCapacity * 0.9) << r.out;
  EXPECT_LE(rate, kCapacity * 1.1) << r.out;
  EXPECT_GT(s["bracket"][1].get<double>(), rate);
  EXPECT_LE(s["bracket"][1].get<double>(), rate * 1.05 + 1);
  EXPECT_EQ(s["max_error_rate"], 0.01);
  EXPECT_GE(s["steps"].size(), 5u);
  for (const json& step : s["steps"])  // every step above the capacity failed
    if (step["rate"].get<double>() > kCapacity * 1.1) EXPECT_FALSE(step["held"]) << step;
  EXPECT_NE(r.out.find("highest rate that holds: "), std::string::npos) << r.out;
  server.stop();
}

// rr's search runs the rr engine at each rate; against an unlimited server every step holds and
// the search climbs until --search-steps.
TEST_F(WhyTest, RrSearchClimbsWhileStepsHold) {
  TempDir d;
  ServerProcess server(d, {"--listen", "127.0.0.1:0", "-t", "1"});
  const std::string out = d.file("rr.json");
  const RunResult r = connperf_run(d, {"rr", server.target(), "-c", "4", "--search", "--rate",
                                       "50", "-d", "0.5", "--search-steps", "3", "--json", out});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  const json s = read_json(out)["summary"]["search"];
  ASSERT_EQ(s["steps"].size(), 3u) << s;
  EXPECT_EQ(s["steps"][2]["rate"], 200);
  EXPECT_EQ(s["rate"], 200);
  EXPECT_TRUE(s["bracket"][1].is_null());
  for (const json& step : s["steps"]) EXPECT_TRUE(step["held"].get<bool>()) << step;
  EXPECT_EQ(s["max_p99_us"], 100'000);  // the default bound on a step's latency
  EXPECT_TRUE(s["ran_out_of_steps"].get<bool>());  // three steps, nothing failed yet
  EXPECT_NE(r.out.find("the search ran out of steps (--search-steps 3)"), std::string::npos)
      << r.out;
  server.stop();
  // A usage error: --search with --sweep.
  EXPECT_EQ(connperf_run(d, {"rr", server.target(), "--search", "--sweep", "1,2"}).code, 2);
}

}  // namespace
}  // namespace connperf::test
