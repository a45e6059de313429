// connperf crr against connperf server on loopback: the accounting invariants of DESIGN.md
// section 3, checked exactly, and the command-line contract for bad input.
#include <signal.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "stats/printers.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::uint64_t error_sum(const json& errors) {
  std::uint64_t n = 0;
  for (const auto& [k, v] : errors.items()) n += v.get<std::uint64_t>();
  return n;
}

void expect_client_invariant(const json& s) {
  EXPECT_EQ(s["started"].get<std::uint64_t>(),
            s["completed"].get<std::uint64_t>() + error_sum(s["errors"]) +
                s["aborted"].get<std::uint64_t>())
      << s.dump();
}

// A connperf server on a loopback port, stopped with SIGTERM; summary() is its JSON summary.
class Server {
 public:
  Server(const TempDir& dir, std::string listen = "127.0.0.1:0", std::string mode = "http",
         std::vector<std::string> extra = {})
      : json_path_(dir.file("server-" + std::to_string(++serial_) + ".json")),
        proc_(args(listen, mode, extra), dir.path()),
        port_(proc_.wait_listening()) {}

  int port() const { return port_; }
  std::string target(const std::string& host = "127.0.0.1") const {
    return host + ":" + std::to_string(port_);
  }
  json stop() {
    proc_.signal(SIGTERM);
    EXPECT_EQ(proc_.wait(10s), 0) << proc_.err();
    return read_json(json_path_)["summary"];
  }
  Process& process() { return proc_; }

 private:
  std::vector<std::string> args(const std::string& listen, const std::string& mode,
                                const std::vector<std::string>& extra) {
    std::vector<std::string> a{connperf(), "server", "--listen", listen, "--mode", mode,
                               "-t", "2", "-q", "--json", json_path_};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  static inline int serial_ = 0;
  std::string json_path_;
  Process proc_;
  int port_;
};

json run_crr(const TempDir& dir, std::vector<std::string> args, int expect_code = 0) {
  const std::string path = dir.file("crr.json");
  std::vector<std::string> argv{connperf(), "crr", "-q", "--json", path};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = run(argv, dir.path(), 120s);
  EXPECT_EQ(r.code, expect_code) << r.err;
  return read_json(path);
}

TEST(CrrIntegration, RstCloseServerCountsEveryResetExactly) {
  TempDir dir;
  Server server(dir);
  const json doc = run_crr(dir, {server.target(), "-n", "20000", "-c", "64", "-t", "2"});
  const json& c = doc["summary"];
  const json s = server.stop();
  expect_client_invariant(c);
  expect_server_invariant(s);
  EXPECT_EQ(c["started"], 20000);
  EXPECT_EQ(c["completed"], 20000);
  EXPECT_EQ(c["aborted"], 0);
  EXPECT_EQ(error_sum(c["errors"]), 0u) << c["errors"].dump();
  EXPECT_EQ(s["rst"], c["completed"]);
  EXPECT_EQ(s["fin"], 0);
  EXPECT_EQ(s["accepted"], 20000);
  EXPECT_EQ(s["requests"], 20000);
  EXPECT_EQ(doc["command"], "crr");
  EXPECT_EQ(doc["tool"], "connperf");
  EXPECT_GT(c["latency_us"]["total"]["count"].get<std::uint64_t>(), 0u);
}

TEST(CrrIntegration, FinCloseServerCountsFins) {
  TempDir dir;
  Server server(dir);
  const json doc = run_crr(dir, {server.target(), "-n", "3000", "-c", "16", "--close", "fin"});
  const json& c = doc["summary"];
  const json s = server.stop();
  expect_client_invariant(c);
  expect_server_invariant(s);
  EXPECT_EQ(c["completed"], 3000);
  // A run shorter than the first tick still has its row (a fast host ends this one in < 0.25 s);
  // a tail shorter than a quarter interval after a tick has none (DESIGN: the last short
  // interval), so the rows add up to at most the summary.
  ASSERT_FALSE(doc["intervals"].empty());
  std::uint64_t rows = 0;
  for (const json& i : doc["intervals"]) rows += i["completed"].get<std::uint64_t>();
  EXPECT_GT(rows, 0u);
  EXPECT_LE(rows, 3000u);
  if (doc["intervals"].size() == 1 && doc["intervals"][0]["t"].get<double>() < 1.0)
    EXPECT_EQ(rows, 3000u);  // the one row is the whole run
  EXPECT_EQ(s["fin"], c["completed"]);
  EXPECT_EQ(s["rst"], 0);
}

TEST(CrrIntegration, RawRequestAgainstCrrMode) {
  TempDir dir;
  Server server(dir, "127.0.0.1:0", "crr");
  const json c = run_crr(dir, {server.target(), "-n", "2000", "--request", "raw"})["summary"];
  const json s = server.stop();
  EXPECT_EQ(c["completed"], 2000);
  EXPECT_EQ(s["rst"], 2000);
  EXPECT_EQ(s["requests"], 2000);
}

TEST(CrrIntegration, NothingListeningGivesOnlyRefused) {
  TempDir dir;
  const std::string target = "127.0.0.1:" + std::to_string(free_port());
  const json c = run_crr(dir, {target, "-n", "500", "-c", "8"}, 1)["summary"];
  expect_client_invariant(c);
  EXPECT_EQ(c["completed"], 0);
  EXPECT_EQ(c["errors"]["refused"], 500);
  EXPECT_EQ(error_sum(c["errors"]), 500u) << c["errors"].dump();
}

// A run in which nothing completed fails (exit 1) with one line: the main cause, its count, the
// target and the likely fix; --max-error-rate's exit 3 is for runs in which some completed.
TEST(CrrIntegration, NothingCompletedExitsOneNamingTheCauseAndTheTarget) {
  TempDir dir;
  const std::string target = "127.0.0.1:" + std::to_string(free_port());
  const RunResult r = run({connperf(), "crr", target, "-n", "50", "-q"}, dir.path(), 60s);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("connperf: nothing completed: 50 refused by " + target +
                       " — is anything listening?\n"),
            std::string::npos)
      << r.err;
  Server server(dir);
  run_crr(dir, {server.target(), target, "-n", "100", "--max-error-rate", "0.1"}, 3);
  server.stop();
}

// --criteria: the verdict is printed, written as `verdict` and sets the exit code (3 on FAIL); a
// bad spec is a usage error before any connection.
TEST(CrrIntegration, CriteriaGiveAVerdictAndExitThreeOnFail) {
  TempDir dir;
  Server server(dir);
  const json pass = run_crr(dir, {server.target(), "-n", "300", "--criteria",
                                  "errors<0.001%,resets<0.001%,p99<10s,completed>=300"});
  EXPECT_EQ(pass["verdict"]["pass"], true) << pass["verdict"].dump();
  EXPECT_EQ(pass["verdict"]["criteria"].size(), 4u);
  const json fail = run_crr(dir, {server.target(), "-n", "300", "--criteria", "p50.connect<1us,cps>1M"}, 3);
  EXPECT_EQ(fail["verdict"]["pass"], false);
  EXPECT_EQ(fail["verdict"]["criteria"][1]["pass"], false);
  EXPECT_EQ(fail["summary"]["completed"], 300);  // the run itself is whole
  const RunResult r = run({connperf(), "crr", server.target(), "-n", "5", "-q", "--criteria",
                           "p99.dns<50ms"}, dir.path(), 30s);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("crr has no latency phase 'dns'"), std::string::npos) << r.err;
  const json s = server.stop();
  EXPECT_EQ(s["accepted"], 600) << s.dump();  // the refused spec made no connection
}

// Phases: the rate ramps up and down around the sustain phase; every interval says its phase and
// the summary's sustain figures are exactly the sum of the sustain intervals; the verdict judges
// those.
TEST(CrrIntegration, PhasesRampTheRateAndTheSustainFiguresAreItsIntervals) {
  TempDir dir;
  Server server(dir);
  const json doc = run_crr(dir, {server.target(), "--rate", "2000", "--ramp-up", "1", "--sustain",
                                 "1", "--ramp-down", "1", "--criteria", "completed>=1900"});
  const json& s = doc["summary"];
  expect_client_invariant(s);
  // The schedule has exactly 2000/2 + 2000 + 2000/2 arrivals, the last due at 2.97 s; a loaded
  // host may reach the end of -d before the last few are started.
  EXPECT_LE(s["started"].get<double>(), 4000);
  EXPECT_GE(s["started"].get<double>(), 3800);
  const json& iv = doc["intervals"];
  ASSERT_EQ(iv.size(), 3u) << iv.dump();
  EXPECT_EQ(iv[0]["phase"], "ramp_up");
  EXPECT_EQ(iv[1]["phase"], "sustain");
  EXPECT_EQ(iv[2]["phase"], "ramp_down");
  EXPECT_LT(iv[0]["started"].get<double>(), 0.6 * iv[1]["started"].get<double>());
  EXPECT_EQ(s["sustain"]["completed"], iv[1]["completed"]);
  EXPECT_EQ(s["sustain"]["started"], iv[1]["started"]);
  EXPECT_EQ(s["phases"]["sustain_s"], 1.0);
  EXPECT_EQ(doc["verdict"]["criteria"][0]["measured"], s["sustain"]["completed"]);
  const RunResult r = run({connperf(), "crr", server.target(), "-d", "2", "--sustain", "1"},
                          dir.path(), 30s);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("-d: not with --ramp-up"), std::string::npos) << r.err;
  server.stop();
}

// --hold N: N connections opened before the measurement and held through it beside the crr
// load; the server accepted both, and the held ones are counted apart.
TEST(CrrIntegration, HeldConnectionsStayOpenBesideTheLoadAndAreCountedApart) {
  TempDir dir;
  Server server(dir);
  const json doc = run_crr(dir, {server.target(), "-n", "3000", "-c", "8", "--hold", "300",
                                 "--hold-interval", "100ms"});
  const json& s = doc["summary"];
  expect_client_invariant(s);
  EXPECT_EQ(s["completed"], 3000);
  EXPECT_EQ(s["held"]["established"], 300) << s["held"].dump();
  EXPECT_EQ(s["held"]["open"], 300);
  EXPECT_EQ(s["held"]["failed"], 0);
  EXPECT_EQ(s["held"]["lost"], 0);
  for (const auto& i : doc["intervals"]) EXPECT_EQ(i["held"]["open"], 300) << i.dump();
  const json srv = server.stop();
  EXPECT_EQ(srv["accepted"], 3300) << srv.dump();
}

TEST(CrrIntegration, BindRangeIsSeenAsFourSources) {
  TempDir dir;
  Server server(dir);
  const json c = run_crr(dir, {server.target(), "-n", "400", "-c", "8", "-t", "2", "--bind",
                               "127.0.0.2-127.0.0.5"})["summary"];
  const json s = server.stop();
  EXPECT_EQ(c["completed"], 400);
  ASSERT_EQ(s["peers"].size(), 4u) << s["peers"].dump();
  for (const char* a : {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"})
    EXPECT_EQ(s["peers"][a], 100) << a;
}

TEST(CrrIntegration, Ipv6Loopback) {
  TempDir dir;
  Server server(dir, "[::1]:0");
  const json c = run_crr(dir, {server.target("[::1]"), "-n", "1000"})["summary"];
  const json s = server.stop();
  EXPECT_EQ(c["completed"], 1000);
  EXPECT_EQ(s["rst"], 1000);
  EXPECT_EQ(s["listeners"][0]["address"].get<std::string>().rfind("[::1]:", 0), 0u);
}

TEST(CrrIntegration, SeveralListenersAndTargetsRoundRobin) {
  TempDir dir;
  Server server(dir, "127.0.0.1:0", "http", {"--listen", "127.0.0.1:0"});
  // Both listeners are reported; a run against the first one is counted under it.
  const json c = run_crr(dir, {server.target(), server.target(), "-n", "100"})["summary"];
  const json s = server.stop();
  EXPECT_EQ(c["completed"], 100);
  ASSERT_EQ(s["listeners"].size(), 2u);
  EXPECT_EQ(s["listeners"][0]["rst"], 100);
  EXPECT_EQ(s["listeners"][1]["accepted"], 0);
}

TEST(CrrIntegration, DurationRunEndsOnTimeWithInvariant) {
  TempDir dir;
  Server server(dir);
  const auto t0 = std::chrono::steady_clock::now();
  const json doc = run_crr(dir, {server.target(), "-d", "1.5", "-c", "32", "--interval", "0.5"});
  const auto took = std::chrono::steady_clock::now() - t0;
  const json s = server.stop();
  const json& c = doc["summary"];
  expect_client_invariant(c);
  expect_server_invariant(s);
  EXPECT_LT(took, 5s);
  EXPECT_GE(doc["intervals"].size(), 3u);
  EXPECT_GT(c["completed"].get<std::uint64_t>(), 100u);
  // The attempts in flight at the end finish within the grace time: nothing is aborted.
  EXPECT_EQ(c["aborted"], 0);
  EXPECT_EQ(s["rst"], c["completed"]);
}

TEST(CrrIntegration, OpenLoopRateIsHeld) {
  TempDir dir;
  Server server(dir);
  const json c = run_crr(dir, {server.target(), "--rate", "2000", "-n", "3000"})["summary"];
  server.stop();
  EXPECT_EQ(c["completed"], 3000);
  const double secs = c["seconds"].get<double>();
  EXPECT_GT(secs, 1.3);  // 3000 at 2000/s takes 1.5 s
  EXPECT_LT(secs, 2.5);
}

// crr --rate prints its latency rows labelled: "scheduled" from the scheduled start (JSON
// latency_us.total) and "service" from the request's send (latency_us.response).
TEST(CrrIntegration, OpenLoopSummaryLabelsTheLatencyFromTheScheduledStart) {
  TempDir dir;
  Server server(dir);
  const std::string path = dir.file("rate.json");
  const RunResult r = run({connperf(), "crr", server.target(), "--rate", "1000", "-n", "500",
                           "--json", path},
                          dir.path(), 60s);
  server.stop();
  ASSERT_EQ(r.code, 0) << r.err;
  const json lat = read_json(path)["summary"]["latency_us"];
  const std::vector<std::string> sched = latency_row_cells(r.out, "scheduled");
  const std::vector<std::string> service = latency_row_cells(r.out, "service");
  ASSERT_EQ(sched.size(), 6u) << r.out;
  ASSERT_EQ(service.size(), 6u) << r.out;
  EXPECT_EQ(sched[4], stats::format_us(lat["total"]["max"].get<std::uint64_t>())) << r.out;
  EXPECT_EQ(service[4], stats::format_us(lat["response"]["max"].get<std::uint64_t>())) << r.out;
  EXPECT_TRUE(latency_row_cells(r.out, "total").empty()) << r.out;
}

TEST(CrrIntegration, SigintStillWritesSummaryAndJson) {
  TempDir dir;
  Server server(dir);
  const std::string path = dir.file("int.json");
  Process crr({connperf(), "crr", server.target(), "-d", "30", "-q", "--json", path}, dir.path());
  std::this_thread::sleep_for(700ms);
  crr.signal(SIGINT);
  EXPECT_EQ(crr.wait(5s), 0);
  const json c = read_json(path)["summary"];
  const json s = server.stop();
  expect_client_invariant(c);
  EXPECT_GT(c["completed"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["rst"].get<std::uint64_t>(),
            c["completed"].get<std::uint64_t>() + c["aborted"].get<std::uint64_t>());
  EXPECT_NE(crr.out().find("completed"), std::string::npos);
}

// Bad input: one line on stderr, exit 2 (usage) or 1 (could not run), no hang.
void expect_one_line_error(const std::vector<std::string>& args, int code) {
  TempDir dir;
  std::vector<std::string> argv{connperf()};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = run(argv, dir.path(), 10s);
  EXPECT_EQ(r.code, code) << args.back() << ": " << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_EQ(r.err.rfind("connperf: ", 0), 0u) << r.err;
}

TEST(CrrIntegration, BadInputIsOneLineAndExitCode) {
  expect_one_line_error({"crr", "127.0.0.1:1", "--no-such-flag"}, 2);
  expect_one_line_error({"crr", "127.0.0.1"}, 2);
  expect_one_line_error({"crr", "1.2.3.4.5:80"}, 2);
  expect_one_line_error({"crr", "127.0.0.1:99999"}, 2);
  expect_one_line_error({"crr", "127.0.0.1:80", "-c", "0"}, 2);
  expect_one_line_error({"crr", "127.0.0.1:80", "--rate", "-1"}, 2);
  expect_one_line_error({"crr", "127.0.0.1:80", "-d", "abc"}, 2);
  expect_one_line_error({"crr", "127.0.0.1:80", "--bind", "127.0.0.9-127.0.0.2"}, 2);
  expect_one_line_error({"crr", "127.0.0.1:80", "--bind", "::1"}, 2);
  expect_one_line_error({"server", "--listen", "nonsense"}, 2);
  expect_one_line_error({"server", "--mode", "bogus"}, 2);
  expect_one_line_error({"frobnicate"}, 2);
  expect_one_line_error({}, 2);
}

TEST(CrrIntegration, PortInUseExitsOne) {
  TempDir dir;
  Server server(dir);
  expect_one_line_error({"server", "--listen", server.target(), "-d", "1"}, 1);
  server.stop();
}

}  // namespace
}  // namespace connperf::test

namespace connperf::test {
namespace {

// A peer that does not answer HTTP (server --mode crr says "200 Ok.") is a bad_response at
// once, not a timeout per connection: 200 attempts used to take over two minutes here.
TEST(CrrIntegration, ANonHttpReplyIsABadResponseAtOnce) {
  using namespace std::chrono_literals;
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", "crr"});
  const std::string path = dir.file("crr.json");
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run({connperf(), "crr", server.target(), "-n", "200", "-c", "8", "--timeout",
                           "5000", "-q", "--json", path},
                          dir.path(), 60s);
  ASSERT_EQ(r.code, 1) << r.err;  // nothing completed
  EXPECT_NE(r.err.find("nothing completed: 200 answered badly by"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  const nlohmann::json s = read_json(path)["summary"];
  EXPECT_EQ(s["errors"]["bad_response"], 200) << s["errors"].dump();
  EXPECT_EQ(s["errors"]["timeout"], 0);
  server.stop();
}

}  // namespace
}  // namespace connperf::test

// On a terminal the progress line moves between table rows (issue 20, defect 10): before the
// first row at 1.0 s it already said where the run was, and between rows it said something the
// last row did not. Run under script(1) so stderr is a tty.
namespace connperf::test {
namespace {

TEST(CrrIntegration, TheProgressLineMovesBetweenRowsOnATerminal) {
  if (!have_program("script")) GTEST_SKIP() << "script (util-linux) is not installed";
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http", "-t", "1"});
  const std::string command = connperf() + " crr " + server.target() +
                              " -c 1 --rate 200 -d 1.6 --json " + dir.file("r.json");
  const RunResult r = run({"script", "-qec", command, "/dev/null"}, dir.path(), 30s);
  server.stop();
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::vector<double> shown;
  const std::regex progress("\x1b\\[K([0-9]+\\.[0-9]) s of ");
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), progress), end; it != end; ++it)
    shown.push_back(std::stod((*it)[1]));
  ASSERT_FALSE(shown.empty()) << r.out;
  EXPECT_TRUE(std::any_of(shown.begin(), shown.end(), [](double t) { return t > 0 && t < 1; }))
      << r.out;  // before the first row
  EXPECT_TRUE(std::any_of(shown.begin(), shown.end(), [](double t) { return t > 1 && t < 1.6; }))
      << r.out;  // between the first row and the end
}

}  // namespace
}  // namespace connperf::test
