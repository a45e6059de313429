// connperf rr: persistent connections against connperf server; totals equal the server's
// requests exactly, echo payloads are checked byte for byte, a stalled server gives timeouts.
#include <signal.h>

#include <algorithm>
#include <map>
#include <thread>

#include <fstream>

#include <gtest/gtest.h>

#include "harness.h"
#include "stats/printers.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class RrServer {
 public:
  RrServer(const TempDir& dir, const std::string& mode, std::vector<std::string> extra = {})
      : json_(dir.file("server.json")),
        proc_(args(mode, std::move(extra)), dir.path()),
        target_("127.0.0.1:" + std::to_string(proc_.wait_listening())) {}
  const std::string& target() const { return target_; }
  Process& process() { return proc_; }
  json stop() {
    proc_.signal(SIGTERM);
    EXPECT_EQ(proc_.wait(10s), 0) << proc_.err();
    doc_ = read_json(json_);
    return doc_["summary"];
  }
  const json& intervals() const { return doc_["intervals"]; }  // after stop()

 private:
  std::vector<std::string> args(const std::string& mode, std::vector<std::string> extra) {
    std::vector<std::string> a{connperf(), "server", "--listen", "127.0.0.1:0", "--mode", mode,
                               "-t",       "2",      "-q",       "--json",      json_};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  json doc_;
  std::string json_;
  Process proc_;
  std::string target_;
};

json run_rr(const TempDir& dir, std::vector<std::string> args, int expect = 0) {
  const std::string path = dir.file("rr.json");
  std::vector<std::string> argv{connperf(), "rr", "-q", "--json", path};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = run(argv, dir.path(), 60s);
  EXPECT_EQ(r.code, expect) << r.err;
  return read_json(path);
}

std::uint64_t u(const json& j) { return j.get<std::uint64_t>(); }

TEST(RrIntegration, EchoPayloadIsCheckedAndTotalsMatchTheServer) {
  TempDir dir;
  RrServer server(dir, "echo");
  const json doc = run_rr(dir, {server.target(), "-c", "20", "-t", "2", "--size", "3000", "-n",
                                "5000"});
  const json& c = doc["summary"];
  const json s = server.stop();
  EXPECT_EQ(doc["command"], "rr");
  EXPECT_EQ(c["requests"], 5000);
  EXPECT_EQ(c["error_total"], 0) << c["errors"].dump();
  // A 3000-byte request is one segment on loopback (MTU 64 KiB): one chunk, one server request.
  EXPECT_EQ(s["requests"], 5000);
  EXPECT_EQ(u(c["started"]), u(c["requests"]) + u(c["error_total"]) + u(c["aborted"]));
  EXPECT_GT(c["qps"].get<double>(), 0);
}

// 16 MiB echoes: the server stops reading while its output to us is full, so rr must read the
// echo while it is still sending, or both sides wait for each other until the timeout.
TEST(RrIntegration, EchoLargerThanTheSocketBuffersIsReadWhileSending) {
  TempDir dir;
  RrServer server(dir, "echo");
  const json c = run_rr(dir, {server.target(), "-c", "2", "--size", "16777216", "-n", "4",
                              "--timeout", "10000"})["summary"];
  server.stop();
  EXPECT_EQ(c["requests"], 4);
  EXPECT_EQ(c["error_total"], 0) << c["errors"].dump();
}

// -n counts requests: connections that fail while the last ones are under way start nothing.
TEST(RrIntegration, CountIsExactWhenEveryConnectionIsRefused) {
  TempDir dir;
  const json c =
      run_rr(dir, {"127.0.0.1:" + std::to_string(free_port()), "-c", "4", "-n", "10"}, 1)
          ["summary"];
  EXPECT_EQ(c["started"], 10);
  EXPECT_EQ(c["errors"]["refused"], 10);
  EXPECT_EQ(c["requests"], 0);
}

TEST(RrIntegration, HttpRequestsEqualTheServersCount) {
  TempDir dir;
  RrServer server(dir, "http");
  const json c = run_rr(dir, {server.target(), "-c", "10", "-n", "4000"})["summary"];
  const json s = server.stop();
  EXPECT_EQ(c["requests"], 4000);
  EXPECT_EQ(s["requests"], 4000);
  EXPECT_EQ(s["accepted"], 10);  // persistent: one connection each, never replaced
}

TEST(RrIntegration, DurationRunKeepsTheInvariantAndMatchesTheServer) {
  TempDir dir;
  RrServer server(dir, "crr");
  const json c = run_rr(dir, {server.target(), "-c", "16", "-d", "1", "--request", "raw"})["summary"];
  const json s = server.stop();
  EXPECT_EQ(u(c["started"]), u(c["requests"]) + u(c["error_total"]) + u(c["aborted"]));
  EXPECT_EQ(c["aborted"], 0);
  EXPECT_EQ(s["requests"], c["requests"]);
  EXPECT_GT(u(c["requests"]), 1000u);
}

TEST(RrIntegration, StalledServerGivesTimeoutsNotAHang) {
  TempDir dir;
  RrServer server(dir, "echo");
  const std::string path = dir.file("rr.json");
  Process rr({connperf(), "rr", server.target(), "-c", "4", "-d", "2", "--size", "10",
              "--timeout", "300", "-q", "--json", path},
             dir.path());
  std::this_thread::sleep_for(500ms);
  server.process().signal(SIGSTOP);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(rr.wait(10s), 0) << rr.err();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);  // ends on time
  server.process().signal(SIGCONT);
  const json c = read_json(path)["summary"];
  EXPECT_GT(u(c["errors"]["timeout"]), 0u) << c["errors"].dump();
  EXPECT_EQ(u(c["started"]), u(c["requests"]) + u(c["error_total"]) + u(c["aborted"]));
  server.stop();
}

TEST(RrIntegration, OpenLoopRateIsHeld) {
  TempDir dir;
  RrServer server(dir, "echo");
  const json c = run_rr(dir, {server.target(), "-c", "10", "--rate", "2000", "-n", "3000",
                              "--size", "8"})["summary"];
  server.stop();
  EXPECT_EQ(c["requests"], 3000);
  EXPECT_GT(c["seconds"].get<double>(), 1.3);  // 3000 at 2000/s take 1.5 s
  EXPECT_LT(c["seconds"].get<double>(), 2.5);
}

TEST(RrIntegration, WrongEchoIsABadResponse) {
  TempDir dir;
  RrServer server(dir, "upper");  // upper-cases the payload: not an echo
  const json c =
      run_rr(dir, {server.target(), "-c", "2", "-n", "20", "--size", "100"}, 1)["summary"];
  server.stop();
  EXPECT_EQ(c["requests"], 0);
  EXPECT_EQ(c["errors"]["bad_response"], 20);
}

// A server that stalls every 100th response for 200 ms: with --rate the requests scheduled on
// the stalled connection wait too, and their latency (from the scheduled send) shows it; the
// closed loop only ever sees the one slow response per stall.
TEST(RrIntegration, OpenLoopLatencyIncludesTheQueueBehindAStall) {
  TempDir dir;
  Process peer({"python3", peers_dir() + "/slow_every_nth.py", "--every", "100", "--delay", "0.2"},
               dir.path());
  const std::string target = "127.0.0.1:" + std::to_string(peer.wait_listening());
  const json open = run_rr(dir, {target, "-c", "4", "--rate", "400", "-n", "2000", "--size",
                                 "16"})["summary"];
  const json closed = run_rr(dir, {target, "-c", "4", "-n", "2000", "--size", "16"})["summary"];
  peer.signal(SIGTERM);
  peer.wait(5s);
  EXPECT_EQ(open["requests"], 2000);
  EXPECT_EQ(closed["requests"], 2000);
  const auto open_p99 = open["latency_us"]["total"]["p99"].get<std::uint64_t>();
  const auto closed_p99 = closed["latency_us"]["total"]["p99"].get<std::uint64_t>();
  EXPECT_GE(open_p99, 100'000u) << open["latency_us"].dump();
  EXPECT_LT(closed_p99, 100'000u) << closed["latency_us"].dump();
  EXPECT_GE(open["latency_us"]["total"]["p999"].get<std::uint64_t>(), 150'000u);
}

// Phases on rr's open loop: each connection's schedule ramps with the rate (1,000 requests in the
// 1 s ramp at 2,000/s, 2,000 in the sustain second, never more than the schedule's 3,000), the
// intervals say their phase and summary.sustain is the sustain interval's.
TEST(RrIntegration, PhasesRampEachConnectionsSchedule) {
  TempDir dir;
  RrServer server(dir, "http");
  const json doc = run_rr(dir, {server.target(), "-c", "4", "--rate", "2000", "--ramp-up", "1",
                                "--sustain", "1"});
  const json& iv = doc["intervals"];
  ASSERT_EQ(iv.size(), 2u) << iv.dump();
  EXPECT_EQ(iv[0]["phase"], "ramp_up");
  EXPECT_EQ(iv[1]["phase"], "sustain");
  EXPECT_LT(iv[0]["requests"].get<double>(), 0.6 * iv[1]["requests"].get<double>()) << iv.dump();
  EXPECT_LE(doc["summary"]["started"].get<double>(), 3000);
  EXPECT_GE(doc["summary"]["started"].get<double>(), 2700);  // a loaded host lags the schedule
  EXPECT_EQ(doc["summary"]["sustain"]["requests"], iv[1]["requests"]);
  server.stop();
}

// RFC 9411's time to first and last byte: a peer that holds every reply 20 ms shows in ttfb,
// once per request (rr, from the send) and per connection (crr, from the connect() call), and
// the last byte never comes before the first.
TEST(RrIntegration, TimeToFirstByteCountsTheServersDelay) {
  TempDir dir;
  Process peer({"python3", peers_dir() + "/slow_every_nth.py", "--every", "1", "--delay", "0.02"},
               dir.path());
  const std::string target = "127.0.0.1:" + std::to_string(peer.wait_listening());
  const json rr = run_rr(dir, {target, "-c", "2", "-n", "40", "--size", "16"})["summary"];
  const std::string path = dir.file("crr.json");
  const RunResult r = run({connperf(), "crr", target, "-n", "20", "-c", "2", "--request", "raw",
                           "-q", "--json", path}, dir.path(), 60s);
  EXPECT_EQ(r.code, 0) << r.err;
  const json crr = read_json(path)["summary"];
  peer.signal(SIGTERM);
  peer.wait(5s);
  for (const json* s : {&rr, &crr}) {
    const json& l = (*s)["latency_us"];
    EXPECT_EQ(l["ttfb"]["count"], (*s)["completed"]) << l.dump();
    EXPECT_EQ(l["ttlb"]["count"], (*s)["completed"]) << l.dump();
    EXPECT_GE(u(l["ttfb"]["p50"]), 20'000u) << l.dump();
    EXPECT_LE(u(l["ttfb"]["p50"]), u(l["ttlb"]["p50"])) << l.dump();
    EXPECT_LE(u(l["ttfb"]["max"]), u(l["ttlb"]["max"])) << l.dump();
  }
  EXPECT_EQ(rr["latency_us"]["ttlb"], rr["latency_us"]["response"]);
}

// compare: the same peer made slower (each reply 5 ms late) is a regression (exit 1) in rate and
// latency; the same thing twice is not (exit 0, at a tolerance wider than this host's noise); a
// crr result against an rr one, or a file that is no result, is a usage error.
TEST(RrIntegration, CompareFindsARealRegressionAndNotTheSameRunTwice) {
  TempDir dir;
  auto run_against = [&](const char* every, const char* delay, const std::string& name) {
    Process peer({"python3", peers_dir() + "/slow_every_nth.py", "--every", every, "--delay",
                  delay}, dir.path());
    const std::string target = "127.0.0.1:" + std::to_string(peer.wait_listening());
    const std::string path = dir.file(name);
    const RunResult r = run({connperf(), "rr", target, "-c", "4", "-d", "2", "--interval", "0.25",
                             "--size", "16", "-q", "--json", path}, dir.path(), 60s);
    EXPECT_EQ(r.code, 0) << r.err;
    peer.signal(SIGTERM);
    peer.wait(5s);
    return path;
  };
  const std::string fast = run_against("1000000000", "0", "fast.json");
  const std::string fast2 = run_against("1000000000", "0", "fast2.json");
  const std::string slow = run_against("1", "0.005", "slow.json");
  const std::string out = dir.file("cmp.json");
  const RunResult worse = run({connperf(), "compare", fast, slow, "--json", out}, dir.path(), 30s);
  EXPECT_EQ(worse.code, 1) << worse.out << worse.err;
  const json c = read_json(out)["summary"];
  EXPECT_EQ(c["regressed"], true);
  EXPECT_EQ(c["metrics"][0]["metric"], "qps");
  EXPECT_EQ(c["metrics"][0]["verdict"], "worse") << c.dump();
  EXPECT_EQ(c["metrics"][1]["verdict"], "worse") << c.dump();  // p50.response
  const RunResult same = run({connperf(), "compare", fast, fast2, "--tolerance", "60%"},
                             dir.path(), 30s);
  EXPECT_EQ(same.code, 0) << same.out;
  EXPECT_NE(same.out.find("no regression beyond 60%"), std::string::npos) << same.out;
  // Several runs a side: their spread is the noise, no tolerance needed for the same thing.
  const RunResult rounds = run({connperf(), "compare", fast + "," + fast2, fast2 + "," + fast},
                               dir.path(), 30s);
  EXPECT_EQ(rounds.code, 0) << rounds.out << rounds.err;
  EXPECT_NE(rounds.out.find("overlap"), std::string::npos) << rounds.out;
  EXPECT_EQ(run({connperf(), "compare", fast + "," + fast2, slow}, dir.path(), 30s).code, 1);
  const std::string notes = dir.file("notes.txt");
  std::ofstream(notes) << "not json";
  EXPECT_EQ(run({connperf(), "compare", fast, notes}, dir.path(), 30s).code, 2);
  EXPECT_EQ(run({connperf(), "compare", fast, slow, "--metric", "cps"}, dir.path(), 30s).code, 2);
}

// The printed summary of an open-loop run shows the latency from the scheduled send, labelled,
// as the JSON's latency_us.total does; the service time (from the actual send) is a second,
// labelled row. With the server stopped for 1 s of a 3 s run, the service time's p99 stays
// small while the latency from the schedule is most of a second: the table showed the former.
TEST(RrIntegration, OpenLoopSummaryPrintsLatencyFromTheScheduledSend) {
  TempDir dir;
  RrServer server(dir, "http");
  const std::string path = dir.file("rate.json");
  Process rr({connperf(), "rr", server.target(), "-c", "2", "--rate", "500", "-d", "3",
              "--timeout", "5000", "--json", path},
             dir.path());
  std::this_thread::sleep_for(1s);
  server.process().signal(SIGSTOP);
  std::this_thread::sleep_for(1s);
  server.process().signal(SIGCONT);
  ASSERT_EQ(rr.wait(30s), 0) << rr.err();
  server.stop();
  const json lat = read_json(path)["summary"]["latency_us"];
  const auto sched_p99 = lat["total"]["p99"].get<std::uint64_t>();
  const auto service_p99 = lat["response"]["p99"].get<std::uint64_t>();
  ASSERT_GE(sched_p99, 300'000u) << lat.dump();
  const std::vector<std::string> sched = latency_row_cells(rr.out(), "scheduled");
  const std::vector<std::string> service = latency_row_cells(rr.out(), "service");
  ASSERT_EQ(sched.size(), 6u) << rr.out();
  ASSERT_EQ(service.size(), 6u) << rr.out();
  EXPECT_EQ(sched[2], stats::format_us(sched_p99)) << rr.out();
  EXPECT_EQ(service[2], stats::format_us(service_p99)) << rr.out();
  EXPECT_NE(rr.out().find("scheduled: from the scheduled send"), std::string::npos) << rr.out();
  EXPECT_TRUE(latency_row_cells(rr.out(), "response").empty()) << "an unlabelled row: " << rr.out();
}

// Ctrl-C in the middle of a step ends the sweep there: the cut step is marked, not passed off
// as a full one, and so is the result; the later steps are not run.
TEST(RrIntegration, ASweepCutByCtrlCMarksTheCutStepAndTheResult) {
  TempDir dir;
  RrServer server(dir, "http");
  const std::string path = dir.file("sweep.json");
  Process rr({connperf(), "rr", server.target(), "--sweep", "4,8,12", "-d", "5", "--warmup",
              "0.2", "-q", "--json", path},
             dir.path());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  rr.signal(SIGINT);
  ASSERT_EQ(rr.wait(std::chrono::seconds(20)), 0) << rr.err();
  server.stop();
  const json doc = read_json(path);
  const json& steps = doc["summary"]["steps"];
  ASSERT_EQ(steps.size(), 1u) << doc.dump();
  EXPECT_TRUE(steps[0]["interrupted"].get<bool>());
  EXPECT_LT(steps[0]["seconds"].get<double>(), 4.0);
  EXPECT_TRUE(doc["summary"]["interrupted"].get<bool>());
  EXPECT_EQ(doc["config"]["sweep"], json::array({4, 8, 12}));  // a list, as models has it
  EXPECT_TRUE(doc["config"]["warmup"].is_number());
  EXPECT_TRUE(doc["config"].contains("targets"));
  EXPECT_TRUE(doc["config"].contains("timeout_ms"));
}

TEST(RrIntegration, SweepRunsOneStepPerCountWithThoseConnectionsOpen) {
  TempDir dir;
  RrServer server(dir, "http", {"--interval", "0.1"});
  const std::string csv = dir.file("steps.csv");
  const json doc = run_rr(dir, {server.target(), "--sweep", "5,20,60", "-d", "0.6", "--warmup",
                                "0.3", "--csv", csv});
  const json s = server.stop();
  const json& steps = doc["summary"]["steps"];
  ASSERT_EQ(steps.size(), 3u);
  const unsigned want[] = {5, 20, 60};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(steps[i]["connections"], want[i]);
    EXPECT_EQ(steps[i]["open_connections"], want[i]);  // all open while the step's clock ran
    EXPECT_GT(steps[i]["qps"].get<double>(), 0);
    EXPECT_EQ(steps[i]["error_rate"], 0.0);
    EXPECT_TRUE(steps[i]["latency_us"]["response"].contains("p999"));
  }
  EXPECT_EQ(s["accepted"], 85);  // persistent: each step's connections, once
  // The server saw each step's connections open at once: some 0.1 s interval has exactly N
  // active, and none has more than the largest step.
  std::map<std::uint64_t, int> seen;
  for (const json& iv : server.intervals()) ++seen[iv["active"].get<std::uint64_t>()];
  for (unsigned n : want) EXPECT_GE(seen[n], 2) << n << " connections never stayed open on the server";
  EXPECT_LE(seen.rbegin()->first, 60u);
  const std::string text = read_file(csv);
  EXPECT_EQ(text.rfind("connections,open_connections,qps,error_rate,p50_us,p99_us,p999_us\n", 0), 0u);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
}

}  // namespace
}  // namespace connperf::test
