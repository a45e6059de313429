// The one connect path of crr, rr and cc: the same flags pick the same source address and send
// the same request to the same target in every engine. Each test here failed on the engines'
// separate copies before they became one (load/connect.h).
#include <signal.h>

#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::string> load_args(const std::string& engine, const std::string& target) {
  if (engine == "crr") return {"crr", target, "-n", "40", "-c", "4"};
  if (engine == "rr") return {"rr", target, "-n", "40", "-c", "4"};
  return {"cc", target, "-n", "4", "--hold", "0.2"};
}

class ConnectPath : public ::testing::TestWithParam<std::string> {};

// --bind lists an IPv6 and an IPv4 source for an IPv4 target: only the IPv4 one can be used
// (rr and cc bound to them in turn, and every other connection failed to bind).
TEST_P(ConnectPath, ASourceOfTheTargetsFamilyIsChosen) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "http"});
  std::vector<std::string> argv = load_args(GetParam(), server.target());
  argv.insert(argv.begin(), connperf());
  const std::string path = dir.file("load.json");
  for (const char* a : {"--bind", "127.0.0.2", "--bind", "::1", "-q", "--json"}) argv.push_back(a);
  argv.push_back(path);
  const RunResult r = run(argv, dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json c = read_json(path)["summary"];
  std::uint64_t errors = 0;
  for (const auto& [kind, n] : c["errors"].items()) errors += n.get<std::uint64_t>();
  EXPECT_EQ(errors, 0u) << c["errors"].dump();
  const json s = server.stop();
  ASSERT_EQ(s["peers"].size(), 1u) << s["peers"].dump();
  EXPECT_TRUE(s["peers"].contains("127.0.0.2")) << s["peers"].dump();
  expect_server_invariant(s);
}

INSTANTIATE_TEST_SUITE_P(Engines, ConnectPath, ::testing::Values("crr", "rr", "cc"),
                         [](const auto& info) { return info.param; });

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// cc built one request per worker thread, for the target of the thread's number: with one
// thread and two targets, the second got the first one's Host.
TEST(ConnectPathRequests, EachTargetGetsItsOwnHostFromEveryEngine) {
  TempDir dir;
  const std::vector<std::string> logs = {dir.file("a.log"), dir.file("b.log")};
  std::vector<std::unique_ptr<Process>> peers;
  std::vector<std::string> targets;
  for (const auto& log : logs) {
    peers.push_back(std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3", peers_dir() + "/host_log.py", log},
        dir.path()));
    targets.push_back("127.0.0.1:" + std::to_string(peers.back()->wait_listening()));
  }
  const std::vector<std::vector<std::string>> runs = {
      {"crr", targets[0], targets[1], "-n", "8", "-c", "2"},
      {"rr", targets[0], targets[1], "-n", "8", "-c", "2"},
      {"cc", targets[0], targets[1], "-n", "4", "--hold", "1", "--keepalive", "0.2",
       "--request", "http"}};
  std::string outputs;
  for (auto argv : runs) {
    argv.insert(argv.begin(), connperf());
    const RunResult r = run(argv, dir.path(), 30s);
    ASSERT_EQ(r.code, 0) << argv[1] << ": " << r.err;
    outputs += r.out + r.err;
  }
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const std::vector<std::string> hosts = lines_of(logs[i]);
    // crr and rr send each target half of their 8; every cc connection sends a keepalive or two.
    EXPECT_GE(hosts.size(), 4u + 4u + 2u) << logs[i] << "\n" << read_file(logs[i]) << outputs;
    const std::set<std::string> distinct(hosts.begin(), hosts.end());
    EXPECT_EQ(distinct, std::set<std::string>{targets[i]}) << "peer " << i;
  }
}

}  // namespace
}  // namespace connperf::test
