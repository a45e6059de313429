// --log-connections end to end: a record per connection (crr and rr, every Nth with
// --log-sample), the records' causes against the summary's counts, TCP_INFO on loopback, CSV,
// drops under a writer that cannot write (a FIFO nobody reads), and bad input before any
// connection.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;

std::uint64_t summary_count(const nlohmann::json& s, const std::string& key) {
  return s.value(key, std::uint64_t{0});
}

// A run of `args` (a subcommand, its target and flags) against a server of its own, logged to
// `log` (NDJSON or CSV by its name): its exit, summary and, for NDJSON, records.
struct LoggedRun {
  RunResult result;
  nlohmann::json summary;
  std::vector<nlohmann::json> records;
};

LoggedRun run_logged(const TempDir& dir, const std::string& log, std::vector<std::string> args) {
  std::vector<std::string> argv = {connperf()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"-q", "--log-connections", dir.file(log), "--json", dir.file("r.json")});
  LoggedRun out{run(argv, dir.path()), nullptr, {}};
  out.summary = read_json(dir.file("r.json"))["summary"];
  if (log.find(".csv") == std::string::npos) out.records = read_ndjson(dir.file(log));
  return out;
}

// The records by how they ended, against the summary: completed, aborted, each error cause.
void expect_causes_match(const std::vector<nlohmann::json>& records, const nlohmann::json& s) {
  std::map<std::string, std::uint64_t> by_end;
  for (const auto& r : records) ++by_end[r["end"].get<std::string>()];
  EXPECT_EQ(by_end["completed"], summary_count(s, "completed"));
  EXPECT_EQ(by_end["aborted"], summary_count(s, "aborted"));
  for (const auto& [cause, n] : s["errors"].items())
    EXPECT_EQ(by_end[cause], n.get<std::uint64_t>()) << cause;
}

TEST(ConnLogIntegration, CrrRecordPerConnection) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const auto [r, s, records] = run_logged(
      dir, "crr.ndjson", {"crr", server.target(), "-n", "3000", "-c", "8", "-t", "2", "--tcp-info"});
  ASSERT_EQ(r.code, 0) << r.err;
  server.stop();
  EXPECT_EQ(records.size(), s["started"].get<std::uint64_t>());
  EXPECT_EQ(s["log_records"], records.size());
  EXPECT_EQ(s["log_dropped"], 0);
  expect_causes_match(records, s);
  for (const auto& rec : records) {
    ASSERT_EQ(rec["end"], "completed") << rec;
    EXPECT_EQ(rec["target"], server.target());
    EXPECT_EQ(rec["source"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << rec;
    EXPECT_EQ(rec["requests"], 1);
    EXPECT_LE(rec["connect_us"].get<std::uint64_t>(), rec["ttfb_us"].get<std::uint64_t>());
    EXPECT_LE(rec["ttfb_us"].get<std::uint64_t>(), rec["ttlb_us"].get<std::uint64_t>());
    EXPECT_GT(rec["rtt_us"].get<std::uint64_t>(), 0u) << rec;  // loopback: small, not zero
    EXPECT_LT(rec["rtt_us"].get<std::uint64_t>(), 1'000'000u) << rec;
    EXPECT_EQ(rec["total_retrans"], 0) << rec;
    EXPECT_GT(rec["snd_cwnd"].get<std::uint64_t>(), 0u) << rec;
  }
}

// Each worker logs its 1st connection and every Nth after it: one worker, ceil(n / N).
TEST(ConnLogIntegration, SampleLogsEveryNth) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const auto [r, s, records] = run_logged(
      dir, "s.ndjson", {"crr", server.target(), "-n", "1000", "-c", "4", "--log-sample", "7"});
  ASSERT_EQ(r.code, 0) << r.err;
  server.stop();
  EXPECT_EQ(records.size(), (1000u + 6) / 7);
  EXPECT_EQ(s["log_records"], (1000u + 6) / 7);
}

// Half the attempts go to a port nobody listens on: refused records, with their source port,
// as many as the summary counts.
TEST(ConnLogIntegration, CausesMatchTheSummary) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::string closed = "127.0.0.1:" + std::to_string(free_port());
  const auto [r, s, records] =
      run_logged(dir, "c.ndjson", {"crr", server.target(), closed, "-d", "1", "-c", "8"});
  server.stop();
  EXPECT_EQ(records.size(), s["started"].get<std::uint64_t>()) << r.err;
  EXPECT_GT(s["errors"]["refused"].get<std::uint64_t>(), 0u);
  EXPECT_GT(s["completed"].get<std::uint64_t>(), 0u);
  expect_causes_match(records, s);
  for (const auto& rec : records)
    if (rec["end"] == "refused") {
      EXPECT_EQ(rec["target"], closed);
      EXPECT_EQ(rec["errno"], "ECONNREFUSED") << rec;
    }
}

TEST(ConnLogIntegration, CsvHasAHeaderAndARowPerConnection) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const LoggedRun run =
      run_logged(dir, "c.csv", {"crr", server.target(), "-n", "500", "-c", "4", "--tcp-info"});
  ASSERT_EQ(run.result.code, 0) << run.result.err;
  server.stop();
  std::stringstream in(read_file(dir.file("c.csv")));
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("start_us,time,worker,source,target,phase,connect_us,", 0), 0u) << header;
  EXPECT_NE(header.find(",end,errno,rtt_us,"), std::string::npos) << header;
  const auto columns = std::count(header.begin(), header.end(), ',');
  std::size_t rows = 0;
  for (std::string line; std::getline(in, line); ++rows) {
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), columns) << line;
    EXPECT_NE(line.find(",completed,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 500u);
}

// rr: a record per connection, its requests summing to the run's.
TEST(ConnLogIntegration, RrRecordPerConnection) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const auto [r, s, records] = run_logged(
      dir, "rr.ndjson", {"rr", server.target(), "-c", "6", "-t", "2", "-d", "1", "--tcp-info"});
  ASSERT_EQ(r.code, 0) << r.err;
  server.stop();
  ASSERT_EQ(records.size(), 6u);
  std::uint64_t requests = 0;
  for (const auto& rec : records) {
    requests += rec["requests"].get<std::uint64_t>();
    EXPECT_TRUE(rec["end"] == "closed" || rec["end"] == "aborted") << rec;
    EXPECT_GT(rec["rtt_us"].get<std::uint64_t>(), 0u) << rec;
    EXPECT_TRUE(rec.contains("connect_us")) << rec;
  }
  EXPECT_EQ(requests, s["requests"].get<std::uint64_t>());
}

// cc: a record per attempt, held ones `survived`, refused ones by their cause, as the summary
// counts them.
TEST(ConnLogIntegration, CcRecordPerAttempt) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::string closed = "127.0.0.1:" + std::to_string(free_port());
  const auto [r, s, records] = run_logged(
      dir, "cc.ndjson", {"cc", server.target(), closed, "-n", "40", "-t", "2", "--hold", "0.3"});
  server.stop();
  ASSERT_EQ(records.size(), s["attempted"].get<std::uint64_t>()) << r.err;
  std::map<std::string, std::uint64_t> by_end;
  for (const auto& rec : records) ++by_end[rec["end"].get<std::string>()];
  EXPECT_EQ(by_end["survived"], s["survived"].get<std::uint64_t>());
  EXPECT_EQ(by_end["survived"], 20u);
  EXPECT_EQ(by_end["refused"], s["errors"]["refused"].get<std::uint64_t>());
  EXPECT_EQ(by_end["lost"], s["lost"].get<std::uint64_t>());
}

// cc --processes 2: the worker processes' records reach the one file through rings in shared
// memory, every attempt's, each worker (of every process) by its own number.
TEST(ConnLogIntegration, CcProcessesShareTheFile) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::string closed = "127.0.0.1:" + std::to_string(free_port());
  const auto [r, s, records] =
      run_logged(dir, "ccp.ndjson", {"cc", server.target(), closed, "-n", "300", "-t", "2",
                                     "--processes", "2", "--hold", "0.2"});
  server.stop();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(records.size(), s["attempted"].get<std::uint64_t>());
  EXPECT_EQ(s["log_records"], 300);
  EXPECT_EQ(s["log_dropped"], 0);
  std::map<std::string, std::uint64_t> by_end;
  std::map<unsigned, std::uint64_t> by_worker;
  for (const auto& rec : records) {
    ++by_end[rec["end"].get<std::string>()];
    ++by_worker[rec["worker"].get<unsigned>()];
  }
  EXPECT_EQ(by_end["survived"], s["survived"].get<std::uint64_t>());
  EXPECT_EQ(by_end["refused"], s["errors"]["refused"].get<std::uint64_t>());
  EXPECT_EQ(by_worker.size(), 4u);  // 2 processes of 2 workers
}

// Ctrl-C: the records of every attempt are written before the summary, none lost.
TEST(ConnLogIntegration, InterruptedRunLosesNothing) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::string log = dir.file("i.ndjson"), js = dir.file("i.json");
  Process crr({connperf(), "crr", server.target(), "-d", "30", "-c", "8", "-t", "2", "-q",
               "--log-connections", log, "--json", js},
              dir.path());
  ASSERT_TRUE(poll_until([&] { return read_file(log).size() > 10'000; }, 10s, 20ms));
  crr.signal(SIGINT);
  ASSERT_EQ(crr.wait(10s), 0) << crr.err();
  server.stop();
  const nlohmann::json s = read_json(js)["summary"];
  EXPECT_EQ(s["log_dropped"], 0);
  const auto records = read_ndjson(log);
  EXPECT_EQ(records.size(), s["started"].get<std::uint64_t>());
  expect_causes_match(records, s);
}

// A FIFO that is open but never read: the writer stalls, the workers drop (counted), the run
// ends on time, and every attempt is either a whole line in the FIFO or counted as dropped.
TEST(ConnLogIntegration, BlockedWriterDropsAndCounts) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::string fifo = dir.file("log.fifo"), js = dir.file("f.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run({connperf(), "crr", server.target(), "-d", "1", "-c", "8", "-t", "2",
                           "-q", "--log-connections", fifo, "--json", js},
                          dir.path(), 20s);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(r.code, 0) << r.err;
  server.stop();
  EXPECT_LT(took, 4s);  // 1 s of load, the grace for what is in flight, 0.5 s of a stalled writer
  std::string data;
  char buf[65536];
  for (ssize_t n; (n = ::read(reader, buf, sizeof buf)) > 0;)
    data.append(buf, static_cast<std::size_t>(n));
  ::close(reader);
  const auto lines = static_cast<std::uint64_t>(std::count(data.begin(), data.end(), '\n'));
  const nlohmann::json s = read_json(js)["summary"];
  EXPECT_GT(s["log_dropped"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["log_records"].get<std::uint64_t>(), lines);
  EXPECT_EQ(lines + s["log_dropped"].get<std::uint64_t>(), s["started"].get<std::uint64_t>());
}

TEST(ConnLogIntegration, BadInputEndsTheRunBeforeAnyConnection) {
  TempDir dir;
  ServerProcess server(dir, {"--mode", "http"});
  const std::vector<std::vector<std::string>> bad = {
      {"crr", "--log-connections", dir.file("no-such-dir/x.ndjson")},
      {"rr", "--log-connections", dir.file("no-such-dir/x.csv")},
      {"crr", "--log-connections", dir.file("fifo-without-reader")},
      {"crr", "--log-sample", "10"},
      {"rr", "--tcp-info"},
      {"crr", "--log-connections", dir.file("x.ndjson"), "--log-sample", "0"}};
  ASSERT_EQ(::mkfifo(dir.file("fifo-without-reader").c_str(), 0600), 0);
  for (const auto& extra : bad) {
    std::vector<std::string> argv = {connperf(), extra[0], server.target(), "-d", "1"};
    argv.insert(argv.end(), extra.begin() + 1, extra.end());
    const RunResult r = run(argv, dir.path(), 10s);
    EXPECT_EQ(r.code, 2) << extra[1] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(server.stop()["accepted"], 0);
  const RunResult sweep = run({connperf(), "rr", server.target(), "--sweep", "1,2",
                               "--log-connections", dir.file("s.ndjson")},
                              dir.path(), 10s);
  EXPECT_EQ(sweep.code, 2) << sweep.err;
}

}  // namespace
}  // namespace connperf::test
