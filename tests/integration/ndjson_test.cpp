// --ndjson streams while the run goes and ends with the --json summary; no progress line reaches
// a file.
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<json> ndjson_lines(const std::string& text) {
  std::vector<json> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

TEST(NdjsonIntegration, IntervalsArriveDuringTheRunAndEndIsTheJsonSummary) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::string nd = dir.file("crr.ndjson"), js = dir.file("crr.json");
  Process crr({connperf(), "crr", server.target(), "-c", "4", "-d", "3", "--interval", "0.5",
               "--ndjson", nd, "--json", js},
              dir.path());
  bool running_when_seen = false;
  ASSERT_TRUE(poll_until([&] {
    if (read_file(nd).find("\"event\":\"interval\"") == std::string::npos) return false;
    running_when_seen = crr.running();
    return true;
  }, 20s));
  EXPECT_TRUE(running_when_seen) << "the first interval came only after the run ended";
  ASSERT_EQ(crr.wait(30s), 0) << crr.err();
  const std::vector<json> lines = ndjson_lines(read_file(nd));  // every line parses
  const json doc = read_json(js);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines.front()["event"], "start");
  EXPECT_EQ(lines.front()["command"], "crr");
  EXPECT_EQ(lines.front()["config"], doc["config"]);
  EXPECT_EQ(lines.back()["event"], "end");
  EXPECT_EQ(lines.back()["summary"], doc["summary"]);
  ASSERT_EQ(lines.size(), doc["intervals"].size() + 2);
  for (std::size_t i = 0; i < doc["intervals"].size(); ++i) {
    json e = lines[i + 1];
    EXPECT_EQ(e["event"], "interval");
    e.erase("event");
    EXPECT_EQ(e, doc["intervals"][i]);
  }
  EXPECT_EQ(crr.err().find('\r'), std::string::npos) << "a progress line went into a file";
  server.stop();
}

TEST(NdjsonIntegration, SweepStepsStreamToStdout) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const RunResult r = run({connperf(), "rr", server.target(), "--sweep", "1,2", "-d", "0.3",
                           "--warmup", "0.1", "--ndjson", "-"},
                          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<json> lines = ndjson_lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[1]["connections"], 1);
  EXPECT_EQ(lines[2]["connections"], 2);
  EXPECT_EQ(lines[3]["summary"]["steps"].size(), 2u);
  EXPECT_NE(r.err.find("connections"), std::string::npos);  // the table moved to stderr
  server.stop();
}

}  // namespace
}  // namespace connperf::test
