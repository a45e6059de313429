// connperf lab: namespaces with a device under test (conntrack + nftables) between client and
// server. Root only; every test makes its own lab under a unique name and removes it.
#include <unistd.h>

#include <atomic>
#include <set>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* kServerAddr = "198.19.0.2";

std::string unique_name() {
  static std::atomic<int> n{0};
  return "t" + std::to_string(::getpid() % 100000) + "x" + std::to_string(n++);
}

// A lab that exists for the test's lifetime.
class Lab {
 public:
  Lab(const TempDir& dir, std::vector<std::string> options) : dir_(dir), name_(unique_name()) {
    std::vector<std::string> argv = {connperf(), "lab", "up", "--name", name_};
    argv.insert(argv.end(), options.begin(), options.end());
    const RunResult r = run(argv, dir.path(), 30s);
    EXPECT_EQ(r.code, 0) << r.err;
  }
  ~Lab() { run({connperf(), "lab", "down", "--name", name_}, dir_.path(), 30s); }
  const std::string& name() const { return name_; }
  std::string ns(const std::string& side) const { return name_ + "-" + side; }
  json status() const {
    const std::string path = dir_.file("status-" + name_ + ".json");
    const RunResult r = run({connperf(), "lab", "status", "--name", name_, "--json", path},
                            dir_.path(), 30s);
    EXPECT_EQ(r.code, 0) << r.err;
    return read_json(path)["summary"];
  }

 private:
  const TempDir& dir_;
  std::string name_;
};

// connperf server in the lab's server namespace.
std::vector<std::string> lab_server_args(const Lab& lab) {
  return {"--netns", lab.ns("server"), "--listen", std::string(kServerAddr) + ":8080", "-t", "1"};
}

json run_in_client(const TempDir& dir, const Lab& lab, std::vector<std::string> args) {
  const std::string path = dir.file("client-" + lab.name() + ".json");
  std::vector<std::string> argv = {connperf()};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const std::string& a : {std::string("--netns"), lab.ns("client"), std::string("-q"),
                               std::string("--json"), path})
    argv.push_back(a);
  const RunResult r = run(argv, dir.path(), 60s);
  EXPECT_EQ(r.code, 0) << r.err;
  return read_json(path)["summary"];
}

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

// Every key, nested ones as "a.b"; arrays by their first element.
void key_paths(const json& j, const std::string& at, std::set<std::string>& out) {
  if (j.is_array() && !j.empty()) return key_paths(j.front(), at, out);
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    out.insert(at + k);
    key_paths(v, at + k + ".", out);
  }
}

bool namespace_exists(const std::string& ns) { return ::access(("/run/netns/" + ns).c_str(), F_OK) == 0; }

class LabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "lab needs root";
  }
  TempDir dir;
};

TEST_F(LabTest, UpMakesThreeNamespacesAndDownLeavesNothing) {
  std::string name;
  {
    Lab lab(dir, {"--sources", "3", "--nat", "--loss", "1"});
    name = lab.name();
    for (const char* side : {"client", "dut", "server"}) EXPECT_TRUE(namespace_exists(lab.ns(side)));
    const json s = lab.status();
    EXPECT_EQ(s["namespaces"].size(), 3u);
    EXPECT_EQ(s["dut"]["entries"], 0);
    // issue 20, defect 5: the DUT says what it was built with
    EXPECT_EQ(s["settings"], json({{"sources", 3}, {"nat", true}, {"loss_pct", 1.0}, {"limit", 0},
                                   {"reject_pct", 0.0}}));
    // up again with other options: the same three, rebuilt
    const RunResult again = run({connperf(), "lab", "up", "--name", name}, dir.path(), 30s);
    EXPECT_EQ(again.code, 0) << again.err;
  }
  for (const char* side : {"client", "dut", "server"})
    EXPECT_FALSE(namespace_exists(name + "-" + side)) << side;
  const RunResult links = run({"/usr/sbin/ip", "-o", "link", "show"}, dir.path());
  EXPECT_EQ(links.out.find(name + "-"), std::string::npos) << links.out;
  const RunResult status = run({connperf(), "lab", "status", "--name", name}, dir.path());
  EXPECT_EQ(status.code, 1);
  const RunResult bad = run({connperf(), "lab", "up", "--name", "Bad_Name"}, dir.path());
  EXPECT_EQ(bad.code, 2);  // a usage error, found as the flags are parsed
  EXPECT_NE(bad.err.find("--name"), std::string::npos) << bad.err;
}

// Through the device the cross-check still holds exactly, the DUT let every connection through,
// and an RST close leaves the tracked entries in CLOSE, a FIN close in TIME_WAIT.
TEST_F(LabTest, CrrThroughTheDutMatchesAndTheCloseDecidesTheConntrackState) {
  Lab lab(dir, {"--sources", "2"});
  ServerProcess server(dir, lab_server_args(lab));
  const std::string target = std::string(kServerAddr) + ":8080";
  const json rst = run_in_client(dir, lab, {"crr", target, "-n", "400", "-c", "8", "--bind",
                                            "198.18.0.10-198.18.0.11"});
  EXPECT_EQ(rst["completed"], 400);
  const json after_rst = lab.status()["dut"];
  EXPECT_GE(after_rst["new"].get<int>(), 400);
  EXPECT_GE(after_rst["close"].get<int>(), 390);  // some may have expired already (10 s)
  EXPECT_EQ(after_rst["time_wait"], 0);
  const json fin = run_in_client(dir, lab, {"crr", target, "-n", "300", "-c", "8", "--close",
                                            "fin", "--bind", "198.18.0.10-198.18.0.11"});
  EXPECT_EQ(fin["completed"], 300);
  EXPECT_GE(lab.status()["dut"]["time_wait"].get<int>(), 300);
  const json s = server.stop();
  EXPECT_EQ(s["rst"], 400);
  EXPECT_EQ(s["accepted"], 700);
  EXPECT_EQ(s["peers"].size(), 2u);
  expect_server_invariant(s);
}

TEST_F(LabTest, NatShowsTheServerOnlyTheDutsAddress) {
  Lab lab(dir, {"--sources", "3", "--nat"});
  ServerProcess server(dir, lab_server_args(lab));
  const json c = run_in_client(dir, lab, {"crr", std::string(kServerAddr) + ":8080", "-n", "90",
                                          "--bind", "198.18.0.10-198.18.0.12"});
  EXPECT_EQ(c["completed"], 90);
  const json s = server.stop();
  EXPECT_EQ(s["peers"], json({{"198.19.0.1", 90}}));
}

// The device refuses new connections past 100 tracked: cc counts them as refused, and the
// table never holds more than the limit.
TEST_F(LabTest, ALimitRefusesConnectionsPastItAndTheClientCountsThem) {
  Lab lab(dir, {"--limit", "100"});
  ServerProcess server(dir, lab_server_args(lab));
  const json c = run_in_client(dir, lab, {"cc", std::string(kServerAddr) + ":8080", "-n", "300",
                                          "--hold", "1"});
  EXPECT_EQ(c["established"], 100);
  EXPECT_EQ(c["errors"]["refused"], 200) << c["errors"].dump();
  const json dut = lab.status()["dut"];
  EXPECT_LE(dut["entries"].get<int>(), 100);  // a refused SYN is never confirmed
  EXPECT_EQ(dut["refused"], 200);
  EXPECT_EQ(dut["new"], 100);
  // issue 20, defect 5: refused connections are connections, not "packets dropped or reset"
  const RunResult text = run({connperf(), "lab", "status", "--name", lab.name()}, dir.path(), 30s);
  EXPECT_NE(text.out.find("200 connections refused (limit)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("device     conntrack, limit 100"), std::string::npos) << text.out;
  server.stop();
}

// CPS under held load (RFC 9411's concurrent capacity beside the connection rate): the held
// connections fill the device's table, so every new connection is refused by the device, counted
// by cause apart from the held ones.
TEST_F(LabTest, HeldConnectionsFillTheTableAndTheLoadIsRefused) {
  Lab lab(dir, {"--limit", "100"});
  ServerProcess server(dir, lab_server_args(lab));
  const std::string path = dir.file("held.json");
  const RunResult r = run({connperf(), "crr", std::string(kServerAddr) + ":8080", "-n", "50",
                           "--hold", "100", "--netns", lab.ns("client"), "-q", "--json", path},
                          dir.path(), 60s);
  EXPECT_EQ(r.code, 1) << r.err;  // nothing of the load completed
  const json s = read_json(path)["summary"];
  EXPECT_EQ(s["held"]["established"], 100) << s.dump();
  EXPECT_EQ(s["held"]["failed"], 0);
  EXPECT_EQ(s["errors"]["refused"], 50) << s["errors"].dump();
  EXPECT_EQ(lab.status()["dut"]["refused"], 50);
  server.stop();
}

// A killed `lab run` leaves nothing of its own: down still removes all.
TEST_F(LabTest, DownAfterAKilledRunLeavesNothing) {
  std::string name;
  {
    Lab lab(dir, {});
    name = lab.name();
    Process running({connperf(), "lab", "run", "--name", name, "--", "crr", "-d", "20", "-c", "4"},
                    dir.path());
    EXPECT_TRUE(poll_until([&] { return running.out().find("1.0s") != std::string::npos; }, 10s));
    running.signal(SIGKILL);
    EXPECT_EQ(running.wait(5s), 128 + SIGKILL);
  }
  for (const char* side : {"client", "dut", "server"})
    EXPECT_FALSE(namespace_exists(name + "-" + side)) << side;
}

// lab run: server and load in one process, the DUT sampled per interval; the reconciliation
// finds nothing missing on a clean device.
// --calibrate: the same load on the direct path first (its table printed, no DUT, no file),
// then through the DUT; the document carries the direct run's summary and the ratio, and the
// DUT counted only the second run.
TEST_F(LabTest, CalibrateRunsTheDirectPathFirstAndGivesTheRatio) {
  Lab lab(dir, {});
  const std::string path = dir.file("cal.json");
  const RunResult r = run({connperf(), "lab", "run", "--name", lab.name(), "--calibrate", "--",
                           "crr", "-n", "400", "-c", "8", "--json", path},
                          dir.path(), 60s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("calibration: the same load on the direct path"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("calibration: through the DUT"), std::string::npos) << r.out;
  const json doc = read_json(path);
  EXPECT_EQ(doc["calibration"]["summary"]["completed"], 400) << doc["calibration"].dump();
  EXPECT_EQ(doc["summary"]["completed"], 400);
  EXPECT_GT(doc["calibration"]["ratio"].get<double>(), 0);
  EXPECT_EQ(doc["dut"]["summary"]["new"], 400);  // the direct run never crossed the DUT
  const RunResult named = run({connperf(), "lab", "run", "--name", lab.name(), "--calibrate", "--",
                               "crr", "198.19.0.2:8080", "-n", "1"}, dir.path(), 30s);
  EXPECT_EQ(named.code, 2) << named.err;
}

TEST_F(LabTest, RunReconcilesClientDutAndServer) {
  Lab lab(dir, {"--sources", "2"});
  const std::string path = dir.file("run.json");
  const RunResult r = run({connperf(), "lab", "run", "--name", lab.name(), "--server-args", "-t 1",
                           "--", "crr", "-n", "600", "-c", "8", "--bind",
                           "198.18.0.10-198.18.0.11", "--interval", "0.02", "--json", path},
                          dir.path(), 60s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("through the DUT"), std::string::npos) << r.out;
  const json doc = read_json(path);
  const json& rec = doc["reconciliation"];
  EXPECT_EQ(rec["client"]["completed"], 600);
  EXPECT_EQ(rec["server"]["rst"], 600);
  EXPECT_EQ(rec["server"]["accepted"], 600);
  EXPECT_EQ(rec["dut"]["new"], 600);
  EXPECT_EQ(rec["lab"], lab.name());
  EXPECT_EQ(rec["differences"]["started_not_accepted"], 0);
  EXPECT_EQ(rec["differences"]["completed_not_closed_at_server"], 0);
  ASSERT_FALSE(doc["dut"]["intervals"].empty());
  // One DUT shape: lab status, every interval (and its "t"), the summary and the reconciliation.
  const std::set<std::string> status_keys = keys(lab.status()["dut"]);
  EXPECT_EQ(status_keys.size(), 11u);
  for (const json& i : doc["dut"]["intervals"]) {
    std::set<std::string> k = keys(i);
    EXPECT_EQ(k.erase("t"), 1u);
    EXPECT_EQ(k, status_keys) << i.dump();
  }
  EXPECT_EQ(keys(doc["dut"]["summary"]), status_keys);
  EXPECT_EQ(keys(rec["dut"]), status_keys);
  EXPECT_EQ(doc["dut"]["summary"]["new"], 600);
  EXPECT_EQ(doc["config"]["lab"]["server"], "198.19.0.2:8080");
  EXPECT_EQ(doc["server"]["peers"].size(), 2u);  // the server's summary, with its peers
}

// --tls through the lab (issue 21): the lab's server serves TLS (--server-args), crr makes its
// handshakes through the DUT; both sides count the same handshakes and the counts reconcile.
TEST_F(LabTest, TlsRunsThroughTheLab) {
  Lab lab(dir, {});
  const std::string path = dir.file("tls.json");
  const RunResult r = run({connperf(), "lab", "run", "--name", lab.name(), "--server-args",
                           "-t 1 --tls", "--", "crr", "-n", "200", "-c", "4", "--tls",
                           "--resume", "0.5", "-q", "--json", path},
                          dir.path(), 60s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("tls handshakes  full"), std::string::npos) << r.out;
  const json doc = read_json(path);
  const json& t = doc["summary"]["tls"];
  EXPECT_EQ(doc["summary"]["completed"], 200);
  EXPECT_EQ(t["full"].get<int>() + t["resumed"].get<int>(), 200) << t.dump();
  EXPECT_GT(t["resumed"].get<int>(), 50) << t.dump();
  EXPECT_EQ(t["version"], "TLSv1.3");
  EXPECT_EQ(doc["server"]["tls"]["full"], t["full"]) << doc["server"].dump();
  EXPECT_EQ(doc["server"]["tls"]["resumed"], t["resumed"]);
  EXPECT_EQ(doc["reconciliation"]["server"]["rst"], 200);
  EXPECT_EQ(doc["reconciliation"]["dut"]["new"], 200);
  EXPECT_EQ(doc["reconciliation"]["differences"]["completed_not_closed_at_server"], 0);
  EXPECT_EQ(doc["reconciliation"]["differences"]["handshakes_not_counted_at_server"], 0);
  EXPECT_EQ(doc["reconciliation"]["server"]["tls"]["resumed"], t["resumed"]);
}

// 3 % of packets lost in the device: retransmissions and timeouts, yet every count adds up on
// both sides and the run ends on time.
TEST_F(LabTest, LossKeepsBothSidesInvariantsAndTheRunEndsOnTime) {
  Lab lab(dir, {"--loss", "3"});
  const std::string path = dir.file("loss.json");
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run({connperf(), "lab", "run", "--name", lab.name(), "--", "crr", "-d", "2",
                           "-c", "16", "--timeout", "1000", "-q", "--json", path},
                          dir.path(), 60s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s + 2s + 3s);  // -d, grace, server drain
  const json doc = read_json(path);
  const json& c = doc["summary"];
  EXPECT_EQ(c["started"].get<int>(), c["completed"].get<int>() + c["error_total"].get<int>() +
                                         c["aborted"].get<int>());
  EXPECT_GT(doc["dut"]["summary"]["rule_drops"].get<int>(), 0);
  EXPECT_GT(doc["reconciliation"]["dut"]["lost"].get<int>(), 0);
  EXPECT_EQ(doc["reconciliation"]["dut"]["refused"], 0);
  expect_server_invariant(doc["server"]);
  // issue 20: the settings are in the result (5); `active` is the server's gauge, never a
  // difference gone below zero (2); every DUT sample's states add up (3).
  EXPECT_EQ(doc["config"]["lab"]["dut"]["loss_pct"], 3.0);
  const auto accepted = doc["server"]["accepted"].get<std::uint64_t>();
  for (const json& i : doc["intervals"])  // (a lost RST may leave more open than -c 16)
    EXPECT_LE(i["server"]["active"].get<std::uint64_t>(), accepted) << i.dump();
  for (const json& d : doc["dut"]["intervals"])
    EXPECT_LE(d["established"].get<int>() + d["close"].get<int>() + d["time_wait"].get<int>() +
                  d["other"].get<int>(),
              d["entries"].get<int>())
        << d.dump();
}

// issue 20, defect 4: at a constant rate through a clean device, each row's client, DUT and
// server columns are one time window (the DUT read in-process beside the others), and the
// result says how far apart they were read.
TEST_F(LabTest, RunReadsClientDutAndServerAtTheSameTick) {
  Lab lab(dir, {});
  const std::string path = dir.file("tick.json");
  const RunResult r = run({connperf(), "lab", "run", "--name", lab.name(), "--", "crr", "-d", "2",
                           "--rate", "1000", "-c", "32", "--json", path},
                          dir.path(), 60s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("lab " + lab.name() + ": conntrack\n"), std::string::npos) << r.out;
  const json doc = read_json(path);
  ASSERT_GE(doc["intervals"].size(), 2u);
  ASSERT_EQ(doc["intervals"].size(), doc["dut"]["intervals"].size());
  for (std::size_t k = 0; k < 2; ++k) {  // the full one-second rows
    const json& i = doc["intervals"][k];
    const int started = i["started"].get<int>();
    EXPECT_NEAR(doc["dut"]["intervals"][k]["new"].get<int>(), started, 10) << i.dump();
    EXPECT_NEAR(i["server"]["accepted"].get<int>(), started, 10) << i.dump();
    EXPECT_LT(i["skew_us"]["server"].get<int>(), 5000) << i.dump();
    EXPECT_LT(i["skew_us"]["dut"].get<int>(), 5000) << i.dump();
    EXPECT_TRUE(i["skew_us"].contains("dut_table")) << i.dump();
  }
  EXPECT_TRUE(doc["dut"]["skew_us_max"].contains("dut_table"));
  EXPECT_EQ(doc["config"]["lab"]["dut"]["loss_pct"], 0.0);
}

// One reconciliation: lab run's is --server-stats' (the same keys, nested ones too), with the
// lab's name and the DUT's figures beside it.
TEST_F(LabTest, RunAndServerStatsReconcileWithTheSameKeys) {
  Lab lab(dir, {});
  std::vector<std::string> server_args = lab_server_args(lab);
  server_args.insert(server_args.end(), {"--stats-listen", std::string(kServerAddr) + ":9100"});
  ServerProcess server(dir, server_args);
  const RunResult live = run({connperf(), "crr", std::string(kServerAddr) + ":8080", "-n", "100",
                              "--netns", lab.ns("client"), "-q", "--server-stats",
                              "http://" + std::string(kServerAddr) + ":9100", "--json",
                              dir.file("live.json")},
                             dir.path(), 60s);
  ASSERT_EQ(live.code, 0) << live.err;
  const RunResult labrun = run({connperf(), "lab", "run", "--name", lab.name(), "--server-args",
                                "-t 1 --listen " + std::string(kServerAddr) + ":8081", "--",
                                "crr", "-n", "100", "-q", "--json", dir.file("lab.json")},
                               dir.path(), 60s);
  ASSERT_EQ(labrun.code, 0) << labrun.err;
  server.stop();
  json a = read_json(dir.file("live.json"))["reconciliation"];
  json b = read_json(dir.file("lab.json"))["reconciliation"];
  EXPECT_EQ(a.erase("server_stats"), 1u) << a.dump();
  EXPECT_EQ(b.erase("lab"), 1u) << b.dump();
  EXPECT_EQ(b.erase("dut"), 1u) << b.dump();
  std::set<std::string> live_keys, lab_keys;
  key_paths(a, "", live_keys);
  key_paths(b, "", lab_keys);
  EXPECT_EQ(lab_keys, live_keys) << a.dump() << "\n" << b.dump();
  EXPECT_EQ(a["differences"], b["differences"]);  // 100 each, nothing lost: both all zero
}

// One search, two bounds, through a device that resets 1% of new connections at random: no rate
// is free of errors (NDR 0), every rate the host carries stays within a 5% bound (PDR), and the
// PDR is no more than the most any step carried.
TEST_F(LabTest, SearchFindsNoNdrBelowAPdrThroughARejectingDevice) {
  Lab lab(dir, {"--reject", "1"});
  ServerProcess server(dir, lab_server_args(lab));
  const std::string path = dir.file("search.json");
  const RunResult r = run({connperf(), "crr", std::string(kServerAddr) + ":8080", "--netns",
                           lab.ns("client"), "--search", "-d", "500ms", "--rate", "2000",
                           "--max-error-rate", "0.05", "--max-p99", "0", "--search-steps", "5",
                           "-q", "--json", path},
                          dir.path(), 60s);
  server.stop();
  EXPECT_EQ(r.code, 0) << r.err;
  const json s = read_json(path)["summary"]["search"];
  EXPECT_EQ(s["ndr"]["rate"], 0) << s.dump();
  EXPECT_GT(s["pdr"]["rate"].get<double>(), s["ndr"]["rate"].get<double>());
  // A step holds only when it carried >= 90 % of its rate (its errors are within the bound: a
  // held step's completions may fall short of its rate by the rejected share), so the PDR is at
  // most the maximum carried / 0.9, never more.
  EXPECT_LE(s["pdr"]["rate"].get<double>(), s["max_achieved"].get<double>() / 0.9 + 1)
      << s.dump();
}

// The suite through a lab: the server in the server namespace, each load in the client
// namespace through the DUT (which tracked every connection the loads made).
TEST_F(LabTest, SuiteRunsThroughTheLab) {
  Lab lab(dir, {});
  const std::string path = dir.file("suite.json");
  const RunResult r = run({connperf(), "suite", "rfc9411", "--lab", lab.name(), "--tests",
                           "cps,concurrency", "--ramp-up", "1", "--sustain", "1", "--ramp-down",
                           "1", "--search-step", "500ms", "--connections", "200", "-q", "--json",
                           path},
                          dir.path(), 120s);
  ASSERT_TRUE(r.code == 0 || r.code == 3) << r.err;
  const json doc = read_json(path);
  EXPECT_EQ(doc["config"]["lab"], lab.name());
  ASSERT_EQ(doc["tests"].size(), 2u);
  std::uint64_t started = 0;
  for (const json& t : doc["tests"]) {
    EXPECT_NE(t["command_line"].get<std::string>().find("--netns " + lab.ns("client")),
              std::string::npos);
    const json& s = t["result"]["summary"];
    started += s.contains("attempted") ? s["attempted"].get<std::uint64_t>()
                                       : s["started"].get<std::uint64_t>();
  }
  EXPECT_EQ(doc["tests"][1]["result"]["summary"]["survived"], 200);
  // the probe (3) and the search's steps crossed the DUT too
  EXPECT_GT(lab.status()["dut"]["new"].get<std::uint64_t>(), started);
}

}  // namespace
}  // namespace connperf::test
