// connperf cc in RFC 9411 phases: --ramp-up opens the -n connections linearly, --sustain holds
// them, --ramp-down closes them linearly (closed, not lost); intervals carry their phase and the
// summary's sustain block is the sustain phase's, also over --processes.
#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::string> phased_cc(const std::string& target, const std::string& n,
                                   const std::string& path, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {connperf(), "cc", target, "-n", n, "--ramp-up", "1",
                                   "--sustain", "1", "--ramp-down", "1", "--interval", "0.25",
                                   "-q", "--json", path};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// The intervals of one phase, in order.
std::vector<json> of_phase(const json& doc, const std::string& phase) {
  std::vector<json> out;
  for (const auto& i : doc["intervals"])
    if (i["phase"] == phase) out.push_back(i);
  return out;
}

// The ramp-down's intervals hold fewer and fewer, none lost; every connection ends closed.
void expect_gradual_ramp_down(const json& doc, std::uint64_t n) {
  const auto down = of_phase(doc, "ramp_down");
  ASSERT_GE(down.size(), 3u) << doc["intervals"].dump();
  std::uint64_t before = n, partial = 0;
  EXPECT_LT(down.front()["open"].get<std::uint64_t>(), n) << doc["intervals"].dump();
  for (const auto& i : down) {
    const auto open = i["open"].get<std::uint64_t>();
    EXPECT_LE(open, before) << doc["intervals"].dump();
    if (open > 0 && open < n) ++partial;
    before = open;
    EXPECT_EQ(i["lost"], 0);
  }
  EXPECT_GE(partial, 2u) << "closed gradually, not at once: " << doc["intervals"].dump();
  const json& s = doc["summary"];
  EXPECT_EQ(s["lost"], 0);
  EXPECT_EQ(s["closed"], n);
  EXPECT_EQ(s["survived"], 0);
}

TEST(CcPhases, RampUpSustainRampDownWithSustainKpis) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "crr"});
  const std::string path = dir.file("cc.json");
  const RunResult r = run(phased_cc(server.target(), "1000", path, {"--keepalive", "0.2"}),
                          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = read_json(path);
  const json& intervals = doc["intervals"];
  ASSERT_GE(intervals.size(), 10u);
  // Phases in order; the first quarter of the ramp-up holds about a quarter of -n.
  EXPECT_EQ(intervals.front()["phase"], "ramp_up");
  EXPECT_LT(intervals.front()["open"].get<std::uint64_t>(), 500u) << intervals.dump();
  EXPECT_GT(intervals.front()["open"].get<std::uint64_t>(), 0u);
  const auto sustain = of_phase(doc, "sustain");
  ASSERT_GE(sustain.size(), 3u);
  for (const auto& i : sustain) EXPECT_EQ(i["open"], 1000) << intervals.dump();
  expect_gradual_ramp_down(doc, 1000);

  const json& s = doc["summary"];
  ASSERT_TRUE(s.contains("sustain")) << s.dump();
  const json& k = s["sustain"];
  EXPECT_NEAR(k["seconds"].get<double>(), 1.0, 0.05);
  EXPECT_EQ(k["held"], 1000);
  EXPECT_EQ(k["held_min"], 1000);
  EXPECT_EQ(k["lost"], 0);
  EXPECT_EQ(k["established"], 1000);
  // Keepalives every 0.2 s: the sustain phase's own are part of the run's.
  EXPECT_GT(k["keepalives"].get<std::uint64_t>(), 1000u);
  EXPECT_LT(k["keepalives"], s["keepalives"]);
  EXPECT_EQ(s["phases"]["ramp_down_s"], 1.0);
  EXPECT_NE(r.out.find("sustain phase (1.0 s of 3.0): held 1,000"), std::string::npos) << r.out;
  // Closed by the client (SO_LINGER 0): every one a reset at the server.
  EXPECT_EQ(server.stop()["rst"], 1000);
}

// Worker processes each close their share gradually; the criteria judge the sustain phase.
TEST(CcPhases, TwoProcessesAndCriteriaOnTheSustainPhase) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "crr"});
  const std::string path = dir.file("cc.json");
  const RunResult r = run(phased_cc(server.target(), "600", path,
                                    {"--processes", "2", "--criteria", "lost<=0,survived>=600"}),
                          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const json doc = read_json(path);
  EXPECT_EQ(doc["summary"]["sustain"]["held"], 600);
  EXPECT_EQ(doc["verdict"]["pass"], true);
  expect_gradual_ramp_down(doc, 600);
}

TEST(CcPhases, ContradictoryFlagsAreUsageErrors) {
  TempDir dir;
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--ramp", "100", "--ramp-up", "1", "--sustain", "1"},
           {"--hold", "1", "--sustain", "1"},
           {"--ramp-up", "1"}}) {
    std::vector<std::string> argv = {connperf(), "cc", "127.0.0.1:9", "-n", "10"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult r = run(argv, dir.path(), 10s);
    EXPECT_EQ(r.code, 2) << extra[0] << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace connperf::test
