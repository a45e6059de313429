// connperf against the peers users already have: curl, ab, nginx, and the classic Python CPS
// client and server (tests/peers).
#include <signal.h>

#include <regex>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(Peers, CurlGetsOkFromHttpMode) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--mode", "http", "-t", "2"});
  const RunResult r = run({"curl", "-sS", "-i", server.url()}, dir.path(), 10s);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\r\n\r\nOk\n"), std::string::npos) << r.out;
  // Two URLs on one connection: keep-alive is honoured.
  const RunResult two = run({"curl", "-sS", server.url(), server.url()}, dir.path(), 10s);
  EXPECT_EQ(two.out, "Ok\nOk\n");
  const json s = server.stop();
  EXPECT_EQ(s["accepted"], 2);
  EXPECT_EQ(s["requests"], 3);
}

TEST(Peers, ApacheBenchHasNoFailures) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--mode", "http", "-t", "2"});
  const RunResult r = run({"ab", "-q", "-n", "1000", "-c", "10", server.url()}, dir.path(), 60s);
  expect_ab_complete(r, 1000);
  const RunResult k = run({"ab", "-q", "-k", "-n", "1000", "-c", "10", server.url()}, dir.path(), 60s);
  expect_ab_complete(k, 1000);
  const json s = server.stop();
  EXPECT_EQ(s["requests"], 2000);
  EXPECT_EQ(s["errors"], 0);
}

TEST(Peers, CrrAgainstNginxHasNoErrors) {
  TempDir dir;
  const std::string port = std::to_string(free_port());
  const std::string nginx = peers_dir() + "/nginx.sh";
  const RunResult started = run({nginx, "start", dir.path(), port}, dir.path(), 20s);
  ASSERT_EQ(started.code, 0) << started.err << started.out;
  const std::string path = dir.file("crr.json");
  const RunResult r = run({connperf(), "crr", "127.0.0.1:" + port, "-n", "3000", "-c", "16", "-q",
                           "--json", path},
                          dir.path(), 60s);
  run({nginx, "stop", dir.path()}, dir.path(), 20s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json c = read_json(path)["summary"];
  EXPECT_EQ(c["completed"], 3000) << c.dump();
  EXPECT_EQ(c["error_total"], 0) << c["errors"].dump();
}

TEST(Peers, ClassicPythonClientIsCountedExactly) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--mode", "crr", "-t", "2"});
  const RunResult r = run({"python3", peers_dir() + "/classic_client.py", "--host", "127.0.0.1",
                           "--port", server.target().substr(10), "--threads", "8", "--count",
                           "2000"},
                          dir.path(), 120s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json client = json::parse(r.out);
  const json s = server.stop();
  EXPECT_EQ(client["completed"], 2000) << r.out;
  EXPECT_EQ(s["accepted"], 2000);
  EXPECT_EQ(s["requests"], 2000);
  EXPECT_EQ(s["rst"], 2000);
}

TEST(Peers, CrrRawAgainstClassicPythonServer) {
  TempDir dir;
  Process py({"python3", peers_dir() + "/classic_server.py", "--host", "127.0.0.1", "--port", "0"},
             dir.path());
  const int port = py.wait_listening();
  const std::string path = dir.file("crr.json");
  const RunResult r = run({connperf(), "crr", "127.0.0.1:" + std::to_string(port), "--request",
                           "raw", "-n", "2000", "-c", "8", "-q", "--json", path},
                          dir.path(), 60s);
  py.signal(SIGTERM);
  EXPECT_EQ(py.wait(10s), 0);
  ASSERT_EQ(r.code, 0) << r.err;
  const json c = read_json(path)["summary"];
  EXPECT_EQ(c["completed"], 2000);
  EXPECT_EQ(c["error_total"], 0) << c["errors"].dump();
  const json counts = json::parse(py.out());
  EXPECT_EQ(counts["accepted"], 2000) << py.out();
}

}  // namespace
}  // namespace connperf::test
