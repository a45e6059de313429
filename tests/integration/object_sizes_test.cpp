// Object sizes and goodput (RFC 9411, issue 22): server --body in every model, crr and rr
// --object by size, list and mix, exact body bytes per size, 404 for a size the server lacks,
// a slow reader of large bodies that stalls nobody else, and nginx serving the same files.
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::vector<std::uint64_t> kFiveSizes{1024, 2048, 4096, 16384, 65536};

// A load run (crr or rr) against `target`: its JSON summary; the run must exit 0.
json load_summary(const TempDir& dir, const std::string& cmd, const std::string& target,
                  std::vector<std::string> extra) {
  const std::string path = dir.file(cmd + "-objects.json");
  std::vector<std::string> argv{connperf(), cmd, target, "-q", "--json", path};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const RunResult r = run(argv, dir.path(), 30s);
  EXPECT_EQ(r.code, 0) << r.err << r.out;
  return r.code == 0 ? read_json(path)["summary"] : json::object();
}

// completed x size == body bytes, per size and in total; goodput is body bytes per second.
void expect_exact_bodies(const json& s, const std::map<std::uint64_t, std::uint64_t>& want) {
  ASSERT_TRUE(s.contains("objects")) << s.dump();
  std::uint64_t total = 0;
  ASSERT_EQ(s["objects"].size(), want.size()) << s["objects"].dump();
  for (const json& o : s["objects"]) {
    const std::uint64_t size = o["size"];
    EXPECT_EQ(o["completed"], want.at(size)) << o.dump();
    EXPECT_EQ(o["body_bytes"].get<std::uint64_t>(), want.at(size) * size) << o.dump();
    total += want.at(size) * size;
  }
  EXPECT_EQ(s["body_bytes"].get<std::uint64_t>(), total);
  EXPECT_NEAR(s["goodput_bytes_per_s"].get<double>() * s["seconds"].get<double>(),
              static_cast<double>(total), 1e-6 * static_cast<double>(total));
}

TEST(Objects, CrrListGetsEverySizeExactly) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--body", "1k,2k,4k,16k,64k", "-t", "1"});
  const json s = load_summary(dir, "crr", server.target(),
                              {"--object", "1k,2k,4k,16k,64k", "-n", "1000", "-c", "8", "-t", "1"});
  EXPECT_EQ(s["completed"], 1000);
  EXPECT_EQ(s["error_total"], 0) << s["errors"].dump();
  std::map<std::uint64_t, std::uint64_t> want;
  for (const std::uint64_t size : kFiveSizes) want[size] = 200;
  expect_exact_bodies(s, want);
  const json srv = server.stop();
  EXPECT_EQ(srv["requests"], 1000);
  EXPECT_EQ(srv["not_found"], 0);
}

TEST(Objects, RrListGetsEverySizeExactly) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--body", "1k,64k", "-t", "1"});
  const json s = load_summary(dir, "rr", server.target(),
                              {"--object", "1k,64k", "-n", "1000", "-c", "4", "-t", "1"});
  EXPECT_EQ(s["requests"], 1000);
  EXPECT_EQ(s["error_total"], 0) << s["errors"].dump();
  expect_exact_bodies(s, {{1024, 500}, {65536, 500}});
  server.stop();
}

// A mix follows its weights, and the same run asks for the same sizes again (per-worker seed).
TEST(Objects, MixFollowsWeightsAndRepeats) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--body", "1k,4k", "-t", "1"});
  const std::vector<std::string> args{"--object", "mix:1k=75,4k=25", "-n", "2000", "-c", "8",
                                      "-t", "2"};
  const json a = load_summary(dir, "crr", server.target(), args);
  const json b = load_summary(dir, "crr", server.target(), args);
  ASSERT_EQ(a["completed"], 2000) << a["errors"].dump();
  const std::uint64_t small = a["objects"][0]["completed"];
  EXPECT_NEAR(static_cast<double>(small), 1500.0, 100.0);
  for (std::size_t i = 0; i < 2; ++i) {  // goodput differs with the run's time; counts do not
    EXPECT_EQ(a["objects"][i]["completed"], b["objects"][i]["completed"]);
    EXPECT_EQ(a["objects"][i]["body_bytes"], b["objects"][i]["body_bytes"]);
  }
  EXPECT_EQ(a["body_bytes"].get<std::uint64_t>(),
            small * 1024 + (2000 - small) * 4096);
  server.stop();
}

// With phases the sustain phase has its own body bytes and goodput, exact per size, as the
// whole run does (each interval's too).
TEST(Objects, SustainPhaseHasItsOwnGoodput) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--body", "1k,4k", "-t", "1"});
  const std::string path = dir.file("phases.json");
  const RunResult r = run({connperf(), "crr", server.target(), "--object", "1k,4k", "--rate",
                           "1000", "--ramp-up", "1", "--sustain", "1", "--ramp-down", "1", "-t",
                           "1", "-q", "--json", path},
                          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = read_json(path);
  const json& whole = doc["summary"];
  const json& sustain = whole["sustain"];
  for (const json* s : {&whole, &sustain}) {
    std::map<std::uint64_t, std::uint64_t> want;
    for (const json& o : (*s)["objects"]) want[o["size"]] = o["completed"];
    expect_exact_bodies(*s, want);
  }
  EXPECT_GT(sustain["body_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_LT(sustain["body_bytes"].get<std::uint64_t>(), whole["body_bytes"].get<std::uint64_t>());
  std::uint64_t in_intervals = 0;
  for (const json& i : doc["intervals"]) in_intervals += i["body_bytes"].get<std::uint64_t>();
  EXPECT_EQ(in_intervals, whole["body_bytes"].get<std::uint64_t>());
  server.stop();
}

TEST(Objects, SizeTheServerLacksIs404CountedOnBothSides) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--body", "1k", "-t", "1"});
  const std::string path = dir.file("crr.json");
  const RunResult r = run({connperf(), "crr", server.target(), "--object", "1k,2k", "-n", "200",
                           "-c", "4", "-t", "1", "-q", "--json", path},
                          dir.path(), 30s);
  EXPECT_EQ(r.code, 0) << r.err;
  const json s = read_json(path)["summary"];
  EXPECT_EQ(s["completed"], 100);
  EXPECT_EQ(s["errors"]["status"], 100) << s["errors"].dump();
  expect_exact_bodies(s, {{1024, 100}, {2048, 0}});
  const json srv = server.stop();
  EXPECT_EQ(srv["not_found"], 100);
  EXPECT_EQ(srv["requests"], 200);
}

class ObjectModels : public ::testing::TestWithParam<std::string> {};

TEST_P(ObjectModels, ServeBodiesOfEverySize) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--model", GetParam(), "--body", "1k,64k"});
  const json s = load_summary(dir, "crr", server.target(),
                              {"--object", "1k,64k", "-n", "200", "-c", "4", "-t", "1"});
  EXPECT_EQ(s["completed"], 200);
  expect_exact_bodies(s, {{1024, 100}, {65536, 100}});
  const json srv = server.stop();
  EXPECT_EQ(srv["requests"], 200);
  expect_server_invariant(srv);
}

INSTANTIATE_TEST_SUITE_P(All, ObjectModels,
                         ::testing::Values("epoll", "thread", "fork", "iterative"));

// One connection asks for 64 KiB 300 times (19 MiB, more than the socket buffers hold) and reads
// nothing: the epoll server pauses it (partial writes resume on EPOLLOUT) and goes on serving
// everyone else; then it gets it all.
TEST(Objects, SlowReaderOfLargeBodiesStallsNobody) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--body", "64k", "-t", "1"});
  const int slow = connect_loopback(server.port(), 5);
  std::string requests;
  for (int i = 0; i < 300; ++i) requests += "GET /64k HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(slow, requests);
  const json s = load_summary(dir, "crr", server.target(),
                              {"--object", "64k", "-n", "500", "-c", "4", "-t", "1"});
  EXPECT_EQ(s["completed"], 500) << s["errors"].dump();
  EXPECT_LT(s["seconds"].get<double>(), 5.0);
  ::shutdown(slow, SHUT_WR);
  const std::string got = read_to_end(slow);
  ::close(slow);
  const std::size_t reply = 65536 + std::string("HTTP/1.1 200 OK\r\nServer: connperf\r\n"
                                                "Content-Length: 65536\r\nConnection: "
                                                "keep-alive\r\n\r\n").size();
  EXPECT_EQ(got.size(), 300 * reply);
  server.stop();
}

// nginx with files named by size in its root serves the same load: the same body accounting.
TEST(Objects, NginxServingTheFilesCountsTheSame) {
  if (!have_program("nginx") && access("/usr/sbin/nginx", X_OK) != 0) GTEST_SKIP() << "no nginx";
  TempDir dir;
  const std::string root = dir.file("root");
  ASSERT_EQ(run({"mkdir", "-p", root}, dir.path()).code, 0);
  for (const char* name : {"1k", "64k"}) {
    const std::string bytes = name[0] == '1' ? "1024" : "65536";
    ASSERT_EQ(run({"bash", "-c", "head -c " + bytes + " /dev/zero > " + root + "/" + name},
                  dir.path()).code, 0);
  }
  const std::string port = std::to_string(free_port());
  const std::string nginx = peers_dir() + "/nginx.sh";
  const RunResult started = run({nginx, "start", dir.file("nginx"), port, "1", root}, dir.path(), 20s);
  ASSERT_EQ(started.code, 0) << started.err << started.out;
  const std::vector<std::string> args{"--object", "1k,64k", "-n", "400", "-c", "4", "-t", "1"};
  const json on_nginx = load_summary(dir, "crr", "127.0.0.1:" + port, args);
  run({nginx, "stop", dir.file("nginx")}, dir.path(), 20s);
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--body", "1k,64k", "-t", "1"});
  const json on_connperf = load_summary(dir, "crr", server.target(), args);
  server.stop();
  expect_exact_bodies(on_nginx, {{1024, 200}, {65536, 200}});
  EXPECT_EQ(on_nginx["objects"][0]["body_bytes"], on_connperf["objects"][0]["body_bytes"]);
  EXPECT_EQ(on_nginx["body_bytes"], on_connperf["body_bytes"]);
}

// A bad spec is one line and exit 2, before any connection (a free port would refuse: exit 1).
TEST(Objects, BadSpecsAreUsageErrors) {
  TempDir dir;
  const std::string target = "127.0.0.1:" + std::to_string(free_port());
  const std::vector<std::vector<std::string>> bad{
      {"crr", target, "--object", "0k"},
      {"crr", target, "--object", "17m"},
      {"crr", target, "--object", "mix:1k"},
      {"crr", target, "--object", "1k,1k"},
      {"crr", target, "--object", "1k", "--request", "raw"},
      {"rr", target, "--object", "1k", "--size", "10"},
      {"rr", target, "--object", "mix:1k=0"},
      {"server", "--listen", "127.0.0.1:0", "--body", "mix:1k=1"},
      {"server", "--listen", "127.0.0.1:0", "--body", "1k", "--mode", "echo"},
      {"server", "--listen", "127.0.0.1:0", "--body", "1q"}};
  for (std::vector<std::string> argv : bad) {
    argv.insert(argv.begin(), connperf());
    const RunResult r = run(argv, dir.path(), 10s);
    EXPECT_EQ(r.code, 2) << argv[1] << " " << argv[argv.size() - 1] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace connperf::test
