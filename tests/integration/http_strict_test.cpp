// Strict HTTP/1.1 parsing end to end: every case of tests/http_cases.h sent raw over a socket to
// a real `connperf server --mode http` (each model that speaks HTTP), which answers its status
// and closes, never waits; and a malformed reply makes crr count bad_response at once.
#include <gtest/gtest.h>

#include "../http_cases.h"
#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;

std::string expected_status(int status) {
  switch (status) {
    case 200: return "HTTP/1.1 200 OK";
    case 501: return "HTTP/1.1 501 Not Implemented";
    default: return "HTTP/1.1 400 Bad Request";
  }
}

// Within this the server has answered and closed: far below its 60 s idle timeout, so a
// server that waits for more of a malformed head fails the case.
constexpr auto kBound = 5s;

void expect_every_case(const std::string& model) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "http", "--model",
                             model});
  std::uint64_t ok = 0;
  for (const RequestCase& c : request_cases()) {
    const Answer a = send_and_read(server.port(), with_target(c.bytes, "/"), kBound);
    EXPECT_EQ(a.status_line(), expected_status(c.status)) << model << ": " << c.name;
    EXPECT_TRUE(a.closed) << model << ": " << c.name << " (no close within the bound)";
    if (c.status == 200) ++ok;
  }
  const nlohmann::json s = server.stop();
  expect_server_invariant(s);
  EXPECT_EQ(s["requests"].get<std::uint64_t>(), ok);
  EXPECT_EQ(s["errors"].get<std::uint64_t>(), request_cases().size() - ok);
}

TEST(StrictHttp, EpollServerAnswersEveryCaseAndCloses) { expect_every_case("epoll"); }
TEST(StrictHttp, ThreadServerAnswersEveryCaseAndCloses) { expect_every_case("thread"); }

// crr's response framing follows the same rules: each malformed reply is a bad_response at once
// (never a completed connection, never a timeout), each well-formed one completes.
TEST(StrictHttp, CrrCountsEveryMalformedResponseAsABadResponse) {
  TempDir dir;
  for (const ResponseCase& c : response_cases()) {
    Process origin({"python3", peers_dir() + "/http_origin.py", "0", hex(c.bytes)}, dir.path());
    const int port = origin.wait_listening();
    const std::string json = dir.file("crr.json");
    const auto t0 = std::chrono::steady_clock::now();
    const RunResult r = run({connperf(), "crr", "127.0.0.1:" + std::to_string(port), "-n", "20",
                             "-c", "4", "--timeout", "5000", "-q", "--json", json},
                            dir.path(), 60s);
    ASSERT_EQ(r.code, c.ok ? 0 : 1) << c.name << ": " << r.err;  // 1: nothing completed
    EXPECT_LT(std::chrono::steady_clock::now() - t0, kBound) << c.name;
    const nlohmann::json s = read_json(json)["summary"];
    EXPECT_EQ(s["errors"]["bad_response"], c.ok ? 0 : 20) << c.name << " " << s["errors"].dump();
    EXPECT_EQ(s["errors"]["timeout"], 0) << c.name;
  }
}

}  // namespace
}  // namespace connperf::test
