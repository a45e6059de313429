// --hdr-log end to end: an unwritable path ends crr and rr before any connection (one line,
// exit 2); the step runners refuse the flag; an rr run's log holds, per interval, the requests
// its JSON counts; cc logs its connects and keepalive replies, --tls its handshakes. (tests/hdr/check_hdr_log.js reads a crr log with HdrHistogram's own
// reader: CTest HdrLogReader.)
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "stats/hdr_codec.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;

std::size_t line_count(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(HdrLogIntegration, UnwritablePathEndsTheRunBeforeAnyConnection) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  for (const char* command : {"crr", "rr"}) {
    const RunResult r = run({connperf(), command, server.target(), "-d", "1", "--hdr-log",
                             dir.file("no-such-dir/x.hlog")},
                            dir.path());
    EXPECT_EQ(r.code, 2) << command << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("--hdr-log: cannot write"), std::string::npos) << r.err;
  }
  EXPECT_EQ(server.stop()["accepted"], 0);
}

TEST(HdrLogIntegration, RefusedWhereThereIsNoRunToLog) {
  TempDir dir;
  const std::string target = "127.0.0.1:" + std::to_string(free_port());
  const std::vector<std::vector<std::string>> refused = {
      {connperf(), "rr", target, "--sweep", "1,2", "--hdr-log", dir.file("sweep.hlog")},
      {connperf(), "crr", target, "--search", "--hdr-log", dir.file("search.hlog")}};
  for (const auto& argv : refused) {
    const RunResult r = run(argv, dir.path());
    EXPECT_EQ(r.code, 2) << argv[1] << ": " << r.err;
    EXPECT_NE(r.err.find("--hdr-log"), std::string::npos) << r.err;
  }
}

TEST(HdrLogIntegration, RrLogCountsEachIntervalsRequests) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::string log = dir.file("rr.hlog"), js = dir.file("rr.json");
  const RunResult r = run({connperf(), "rr", server.target(), "-c", "4", "-d",
                           "1.5", "--interval", "0.5", "-q", "--hdr-log", log, "--json", js},
                          dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  server.stop();
  const nlohmann::json doc = read_json(js);
  std::vector<std::uint64_t> totals;
  std::stringstream in(read_file(log));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Tag=total,", 0) != 0) continue;
    const auto d = stats::hdr::decode_compressed_base64(line.substr(line.rfind(',') + 1));
    ASSERT_TRUE(d) << line;
    std::uint64_t n = 0;
    for (std::uint64_t c : d->counts) n += c;
    totals.push_back(n);
  }
  ASSERT_EQ(totals.size(), doc["intervals"].size());
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < totals.size(); ++i) {
    EXPECT_EQ(totals[i], doc["intervals"][i]["requests"].get<std::uint64_t>()) << "interval " << i;
    sum += totals[i];
  }
  EXPECT_EQ(sum, doc["summary"]["requests"].get<std::uint64_t>());
  EXPECT_GT(sum, 0u);
}

// Each line's tag and the number of values its histogram holds, in the log's order.
std::vector<std::pair<std::string, std::uint64_t>> tagged_counts(const std::string& path) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::stringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Tag=", 0) != 0) continue;
    const auto d = stats::hdr::decode_compressed_base64(line.substr(line.rfind(',') + 1));
    EXPECT_TRUE(d) << line;
    std::uint64_t n = 0;
    if (d)
      for (std::uint64_t c : d->counts) n += c;
    out.emplace_back(line.substr(4, line.find(',') - 4), n);
  }
  return out;
}

std::uint64_t tag_sum(const std::vector<std::pair<std::string, std::uint64_t>>& lines,
                      const std::string& tag) {
  std::uint64_t n = 0;
  for (const auto& [t, count] : lines) n += t == tag ? count : 0;
  return n;
}

// cc: every connect in its interval's connect line, the keepalive replies as response, no
// total (a held connection has none).
TEST(HdrLogIntegration, CcLogsItsConnectsAndKeepaliveReplies) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::string log = dir.file("cc.hlog"), js = dir.file("cc.json");
  const RunResult r = run({connperf(), "cc", server.target(), "-n", "40", "--hold", "1.2",
                           "--keepalive", "0.2", "--request", "http", "--interval", "0.5", "-q",
                           "--hdr-log", log, "--json", js},
                          dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  server.stop();
  const nlohmann::json doc = read_json(js);
  const auto lines = tagged_counts(log);
  ASSERT_EQ(lines.size(), 2 * doc["intervals"].size());
  for (std::size_t i = 0; i < lines.size(); ++i)
    EXPECT_EQ(lines[i].first, i % 2 == 0 ? "connect" : "response") << i;
  EXPECT_EQ(tag_sum(lines, "connect"), 40u);
  EXPECT_GT(tag_sum(lines, "response"), 0u);
  EXPECT_LE(tag_sum(lines, "response"), doc["summary"]["requests"].get<std::uint64_t>());
}

// --tls: a tls line per interval beside connect, response and total, the handshakes in it.
TEST(HdrLogIntegration, TlsHandshakesHaveTheirTag) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http", "--tls"});
  const std::string log = dir.file("tls.hlog");
  const RunResult r = run({connperf(), "crr", server.target(), "--tls", "-n", "30", "-c", "2",
                           "-q", "--hdr-log", log},
                          dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  server.stop();
  const auto lines = tagged_counts(log);
  ASSERT_EQ(lines.size() % 4, 0u);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[1].first, "tls");
  EXPECT_EQ(tag_sum(lines, "tls"), tag_sum(lines, "connect"));
  EXPECT_GT(tag_sum(lines, "tls"), 0u);
}

}  // namespace
}  // namespace connperf::test
