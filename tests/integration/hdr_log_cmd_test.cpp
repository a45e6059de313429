// --hdr-log end to end: an unwritable path ends crr and rr before any connection (one line,
// exit 2); cc and the step runners refuse the flag; an rr run's log holds, per interval, the
// requests its JSON counts. (tests/hdr/check_hdr_log.js reads a crr log with HdrHistogram's own
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
      {connperf(), "cc", target, "-n", "1", "--hdr-log", dir.file("cc.hlog")},
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

}  // namespace
}  // namespace connperf::test
