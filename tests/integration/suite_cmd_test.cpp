// `connperf suite rfc9411` against a connperf server on loopback (1 KiB objects), with short
// phases: the tests in the RFC's order, each with its command line, KPIs and verdict, every body
// byte counted; the searched tests' NDR <= PDR <= the maximum carried; the load that follows a search runs at the rate found; the suite's
// verdict and exit code follow the tests'; the report page shows the KPI table and each test's
// charts in headless Chromium. Bad input is refused before any load.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <thread>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::vector<std::string> kShort = {"--ramp-up", "1", "--sustain", "2", "--ramp-down", "1",
                                         "--search-step", "500ms", "--connections", "300",
                                         "-c", "16", "-q"};

RunResult suite(const TempDir& dir, std::vector<std::string> args) {
  std::vector<std::string> argv{connperf(), "suite", "rfc9411"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, dir.path(), 180s);
}

TEST(SuiteIntegration, RunsTheRfcTestsInOrderWithVerdictsAndAReport) {
  if (!have_program("chromium")) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh)";
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--body", "1k"});
  std::vector<std::string> args{server.target(), "--objects", "1k", "--json",
                                dir.file("suite.json"), "-o", dir.file("suite.html")};
  args.insert(args.end(), kShort.begin(), kShort.end());
  const RunResult r = suite(dir, args);
  server.stop();
  const json doc = read_json(dir.file("suite.json"));
  ASSERT_EQ(doc["command"], "suite") << r.err;
  const json& tests = doc["tests"];
  ASSERT_EQ(tests.size(), 4u);
  const std::vector<std::string> names{"cps", "throughput", "latency", "concurrency"},
      sections{"7.2", "7.3", "7.4", "7.5"};
  std::size_t passed = 0;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const json& t = tests[i];
    EXPECT_EQ(t["name"], names[i]);
    EXPECT_EQ(t["section"], sections[i]);
    EXPECT_EQ(t["result"]["command_line"], t["command_line"]);
    EXPECT_NE(t["command_line"].get<std::string>().find(server.target()), std::string::npos)
        << t["command_line"];  // what a user can type again, target included
    EXPECT_TRUE(t["verdict"].contains("pass")) << t["verdict"].dump();
    EXPECT_EQ(t["verdict"], t["result"]["verdict"]);
    passed += t["verdict"]["pass"].get<bool>() ? 1 : 0;
  }
  for (const json& t : {tests[0], tests[1], tests[2]}) {  // --objects: 1 KiB each, exactly
    const json& sum = t["result"]["summary"];
    const std::uint64_t done = sum.contains("requests") ? sum["requests"].get<std::uint64_t>()
                                                        : sum["completed"].get<std::uint64_t>();
    EXPECT_EQ(sum["body_bytes"].get<std::uint64_t>(), done * 1024) << t["name"];
    EXPECT_GT(t["kpis"]["goodput_bytes_per_s"].get<double>(), 0) << t["kpis"].dump();
  }
  for (const json& t : {tests[0], tests[1]}) {  // the searched tests
    const json& s = t["search"];
    EXPECT_LE(s["ndr"]["rate"].get<double>(), s["pdr"]["rate"].get<double>());
    EXPECT_GT(s["pdr"]["rate"].get<double>(), 0) << s.dump();
    EXPECT_EQ(t["attempts"][0]["rate"].get<double>(), std::round(s["pdr"]["rate"].get<double>()));
    const std::string rate = "--rate " + std::to_string(std::lround(
                                             t["attempts"].back()["rate"].get<double>()));
    EXPECT_NE(t["command_line"].get<std::string>().find(rate), std::string::npos)
        << t["command_line"] << " " << rate;
    bool sustain = false;
    for (const json& iv : t["result"]["intervals"]) sustain |= iv["phase"] == "sustain";
    EXPECT_TRUE(sustain);
  }
  // 7.4 runs at half of what 7.2 achieved; 7.5 opens its connections at that rate too.
  const double cps = tests[0]["attempts"].back()["rate"];
  EXPECT_NE(tests[2]["command_line"].get<std::string>().find(
                "--rate " + std::to_string(std::lround(cps * 0.5))),
            std::string::npos);
  const json& held = tests[3]["result"]["summary"];  // HTTP keepalives: a server that answers
  EXPECT_EQ(held["attempted"], 300);
  EXPECT_EQ(held["survived"], 300) << held.dump();
  EXPECT_EQ(held["lost"], 0);
  EXPECT_EQ(doc["summary"]["passed"], passed);
  EXPECT_EQ(doc["summary"]["verdict"], passed == 4 ? "PASS" : "FAIL");
  EXPECT_EQ(r.code, passed == 4 ? 0 : 3) << r.err;

  const RunResult dom = run({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                             "--no-first-run", "--user-data-dir=" + dir.file("chromium"),
                             "--proxy-server=127.0.0.1:9", "--dump-dom",
                             "file://" + dir.file("suite.html")},
                            dir.path(), 30s);
  ASSERT_EQ(dom.code, 0) << dom.err;
  const auto table = dom.out.find("data-table=\"kpis\"");
  ASSERT_NE(table, std::string::npos);
  const std::string kpis = dom.out.substr(table, dom.out.find("</table>", table) - table);
  for (const char* title : {"TCP/HTTP connections per second", "HTTP throughput",
                            "HTTP transaction latency", "Concurrent TCP connection capacity"})
    EXPECT_NE(kpis.find(title), std::string::npos) << title;
  EXPECT_NE(dom.out.find("data-chart=\"crr-rate\""), std::string::npos);
  EXPECT_NE(dom.out.find("data-chart=\"rr-rate\""), std::string::npos);
  EXPECT_NE(dom.out.find("data-chart=\"cc-open\""), std::string::npos);
}

// --tls: the HTTPS twins (7.6 to 7.9), every load with --tls against server --tls; the KPIs name
// the handshakes.
TEST(SuiteIntegration, TlsRunsTheHttpsTests) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--tls"});
  std::vector<std::string> args{server.target(), "--tls", "--tests", "cps,latency", "--json",
                                dir.file("tls.json")};
  args.insert(args.end(), kShort.begin(), kShort.end());
  const RunResult r = suite(dir, args);
  server.stop();
  const json doc = read_json(dir.file("tls.json"));
  ASSERT_EQ(doc["tests"].size(), 2u) << r.err;
  EXPECT_EQ(doc["tests"][0]["section"], "7.6");
  EXPECT_EQ(doc["tests"][1]["section"], "7.8");
  for (const json& t : doc["tests"]) {
    EXPECT_NE(t["command_line"].get<std::string>().find(" --tls"), std::string::npos);
    EXPECT_GT(t["kpis"]["tls"]["full"].get<std::uint64_t>(), 0u) << t["kpis"].dump();
  }
}

TEST(SuiteIntegration, RefusesBadInputBeforeAnyLoad) {
  TempDir dir;
  const int closed = free_port();
  const std::string target = "127.0.0.1:" + std::to_string(closed);
  struct Case {
    std::vector<std::string> args;
    int code;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {{}, 2, "give a TARGET or --lab"},
           {{target, "--tests", "latency"}, 2, "name cps before it"},
           {{target, "--tests", "cps,speed"}, 2, "'speed' is none of"},
           {{target, "--sustain", "0"}, 2, "--sustain"},
           {{target, "-q"}, 1, "did not answer 0 of 3 requests"},
           {{target, "--objects", "1k,3x"}, 2, "--objects"},
       }) {
    const RunResult r = suite(dir, c.args);
    EXPECT_EQ(r.code, c.code) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

// The target is checked first for every object size the loads will ask for: one it lacks
// stops the suite before any test (exit 1, one line).
TEST(SuiteIntegration, ChecksTheTargetServesEveryObjectSizeFirst) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--body", "1k,2k,4k"});
  const RunResult r = suite(dir, {server.target(), "--objects", "1k,2k,4k,8k", "-q", "--json",
                                  dir.file("none.json")});
  server.stop();
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("did not answer 3 of 4 requests"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// Ctrl-C during the second test's search: the document says what ran, that test marked
// interrupted, and no test after it started.
TEST(SuiteIntegration, CtrlCWritesWhatRanMarkedInterrupted) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1"});
  std::vector<std::string> argv{connperf(), "suite", "rfc9411", server.target(), "--tests",
                                "concurrency,throughput,cps", "--connections", "100", "--json",
                                dir.file("cut.json")};
  argv.insert(argv.end(), {"--ramp-up", "1", "--sustain", "1", "--ramp-down", "1",
                           "--search-step", "1", "-q"});
  Process suite_run(argv, dir.path());
  ASSERT_TRUE(poll_until([&] { return suite_run.out().find("7.3 HTTP throughput") != std::string::npos; },
                         60s)) << suite_run.err();
  std::this_thread::sleep_for(500ms);
  suite_run.signal(SIGINT);
  EXPECT_EQ(suite_run.wait(20s), 3) << suite_run.err();
  server.stop();
  const json doc = read_json(dir.file("cut.json"));
  EXPECT_EQ(doc["interrupted"], true);
  EXPECT_EQ(doc["summary"]["interrupted"], true);
  ASSERT_EQ(doc["tests"].size(), 2u);
  EXPECT_EQ(doc["tests"][1]["interrupted"], true);
  EXPECT_EQ(doc["tests"][1]["verdict"]["pass"], false);
}

}  // namespace
}  // namespace connperf::test
