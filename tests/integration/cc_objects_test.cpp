// connperf cc --object: each keepalive request asks for an object (GET /1k), its reply must be
// 200 with exactly that body; body bytes are exact per size, goodput and ttfb/ttlb are reported
// (also for the sustain phase), a size the server lacks is a `status` error of the requests.
#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(CcObjects, ExactBodyBytesGoodputAndStatusPerSize) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--body", "1k,4k"});
  const std::string path = dir.file("cc.json");
  const RunResult r =
      run({connperf(), "cc", server.target(), "-n", "50", "--keepalive", "0.1", "--request",
           "http", "--object", "1k,4k,8k", "--ramp-up", "0.5", "--sustain", "1", "--ramp-down",
           "0.5", "--interval", "0.25", "--criteria", "goodput>=1k,body_short<=0,status<=40%",
           "-q", "--json", path},
          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const json doc = read_json(path);
  const json& s = doc["summary"];
  EXPECT_EQ(doc["config"]["object"]["sizes"], json({1024, 4096, 8192}));
  // Every reply of a size the server has is exact; 8k is a 404, counted as status.
  ASSERT_EQ(s["objects"].size(), 3u) << s.dump();
  std::uint64_t bytes = 0, ok = 0;
  for (const auto& o : s["objects"]) {
    EXPECT_EQ(o["body_bytes"], o["completed"].get<std::uint64_t>() * o["size"].get<std::uint64_t>());
    bytes += o["body_bytes"].get<std::uint64_t>();
    ok += o["completed"].get<std::uint64_t>();
  }
  EXPECT_EQ(s["objects"][2]["completed"], 0);
  EXPECT_GT(s["objects"][0]["completed"].get<std::uint64_t>(), 100u);
  EXPECT_EQ(s["body_bytes"], bytes);
  EXPECT_EQ(s["keepalives"], ok);
  const auto status = s["request_errors"]["status"].get<std::uint64_t>();
  EXPECT_GT(status, 50u);
  EXPECT_EQ(s["request_errors"]["body_short"], 0);
  EXPECT_EQ(s["request_errors"]["body_long"], 0);
  // The ramp-down closes connections waiting for a reply: those requests have none.
  const auto requests = s["requests"].get<std::uint64_t>();
  EXPECT_GE(requests, ok + status);
  EXPECT_LE(requests, ok + status + 50);
  EXPECT_NEAR(s["goodput_bytes_per_s"].get<double>(),
              static_cast<double>(bytes) / s["seconds"].get<double>(), 1.0);
  EXPECT_EQ(s["lost"], 0);
  // RFC 9411's latency phases of each completed transaction: the first byte no later than the
  // last.
  const json& lat = s["latency_us"];
  EXPECT_EQ(lat["ttlb"]["count"], ok);
  EXPECT_EQ(lat["ttfb"]["count"], ok);
  for (const char* p : {"p50", "p99", "max"}) EXPECT_LE(lat["ttfb"][p], lat["ttlb"][p]) << p;
  // The sustain phase's own goodput, and the verdict on it.
  const json& k = s["sustain"];
  EXPECT_GT(k["body_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_LT(k["body_bytes"].get<std::uint64_t>(), bytes);
  EXPECT_GT(k["goodput_bytes_per_s"].get<double>(), 0);
  EXPECT_EQ(doc["verdict"]["pass"], true) << doc["verdict"].dump();
  for (const auto& i : doc["intervals"]) EXPECT_TRUE(i.contains("goodput_bytes_per_s"));
  // The server answered what the client counted (and perhaps a reply the ramp-down cut off).
  const json srv = server.stop();
  EXPECT_GE(srv["not_found"].get<std::uint64_t>(), status);
  EXPECT_LE(srv["not_found"].get<std::uint64_t>(), status + 50);
}

TEST(CcObjects, ObjectsNeedKeepaliveRequestsOverHttp) {
  TempDir dir;
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--object", "1k", "--request", "http"},
           {"--object", "1k", "--keepalive", "1"}}) {
    std::vector<std::string> argv = {connperf(), "cc", "127.0.0.1:9", "-n", "10"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult r = run(argv, dir.path(), 10s);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("--object"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace connperf::test
