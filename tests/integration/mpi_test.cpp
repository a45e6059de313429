// crr, rr and cc as ranks of one MPI job (mpirun on loopback), and `connperf merge`: the job's
// totals are exact and equal the server's, shares and --bind subsets are per rank, failures end
// the job with one line and never hang. MPI's own traffic stays on lo.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

bool mpi_ready() {
  std::ifstream module(connperf().substr(0, connperf().find_last_of('/') + 1) + "connperf_mpi.so");
  return have_program("mpirun") && module.good();
}

#define REQUIRE_MPI() \
  if (!mpi_ready()) GTEST_SKIP() << "no mpirun or no MPI module in this build"

std::vector<std::string> mpirun(int ranks, std::vector<std::string> args) {
  // detect_leaks=0: under the ASan build, LeakSanitizer would report what libmpi keeps at exit.
  std::vector<std::string> argv{"/usr/bin/env", "ASAN_OPTIONS=detect_leaks=0",
                                "OMPI_MCA_btl=self,tcp",
                                "OMPI_MCA_btl_tcp_if_include=lo", "OMPI_MCA_oob_tcp_if_include=lo",
                                "mpirun", "--allow-run-as-root", "--oversubscribe", "-np",
                                std::to_string(ranks), connperf()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ServerProcess server(const TempDir& dir, const std::string& mode = "http") {
  return ServerProcess(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--mode", mode});
}

std::uint64_t sum_of(const json& rows, const char* key) {
  std::uint64_t n = 0;
  for (const auto& r : rows) n += r[key].get<std::uint64_t>();
  return n;
}

int count_lines_with(const std::string& text, const std::string& what) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(what) != std::string::npos;
  return n;
}

TEST(MpiIntegration, ThreeRanksCompleteTheJobsCountExactlyInEqualShares) {
  REQUIRE_MPI();
  TempDir dir;
  ServerProcess srv = server(dir);
  const std::string path = dir.file("job.json");
  const RunResult r = run(mpirun(3, {"crr", "-q", "--json", path, srv.target(), "-n", "30000",
                                     "-c", "30"}),
                          dir.path(), 120s);
  ASSERT_EQ(r.code, 0) << r.err;
  // Rank 0 alone prints the summary (-q: no interval lines); the other ranks print nothing.
  EXPECT_EQ(count_lines_with(r.out, "completed           30,000"), 1) << r.out;
  EXPECT_EQ(count_lines_with(r.out, "3 ranks:"), 1) << r.out;
  EXPECT_EQ(r.err, "");
  const json doc = read_json(path);
  const json s = srv.stop();
  const json& c = doc["summary"];
  EXPECT_EQ(doc["ranks"], 3);
  EXPECT_EQ(c["started"], 30000);
  EXPECT_EQ(c["completed"], 30000);
  EXPECT_EQ(c["aborted"], 0);
  EXPECT_EQ(s["rst"], 30000);
  EXPECT_EQ(s["accepted"], 30000);
  EXPECT_EQ(c["histograms"]["total"]["count"], 30000);
  ASSERT_EQ(c["per_rank"].size(), 3u) << c.dump();
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(c["per_rank"][i]["rank"], i);
    EXPECT_EQ(c["per_rank"][i]["started"], 10000);
    EXPECT_EQ(c["per_rank"][i]["completed"], 10000);
    EXPECT_FALSE(c["per_rank"][i]["host"].get<std::string>().empty());
  }
  std::uint64_t interval_started = 0;
  for (const auto& i : doc["intervals"]) interval_started += i["started"].get<std::uint64_t>();
  // The intervals are the job's: more than one rank's share (a last interval shorter than a
  // quarter of --interval is not reported, so they may sum to less than the total).
  EXPECT_GT(interval_started, 10000u);
  EXPECT_LE(interval_started, 30000u);
}

// --log-connections under mpirun: each rank writes its own file (FILE with .rankR before the
// extension), a record per connection it started; the summary sums them over the ranks.
TEST(MpiIntegration, EachRankLogsItsOwnConnections) {
  REQUIRE_MPI();
  TempDir dir;
  ServerProcess srv = server(dir);
  const std::string path = dir.file("job.json");
  const RunResult r = run(mpirun(2, {"crr", "-q", "--json", path, srv.target(), "-n", "2001",
                                     "-c", "4", "--log-connections", dir.file("conn.ndjson")}),
                          dir.path(), 120s);
  ASSERT_EQ(r.code, 0) << r.err;
  srv.stop();
  const json doc = read_json(path);
  const json& c = doc["summary"];
  EXPECT_EQ(c["log_records"], 2001);
  EXPECT_EQ(c["log_dropped"], 0);
  ASSERT_EQ(c["per_rank"].size(), 2u) << c.dump();
  for (unsigned i = 0; i < 2; ++i) {
    const std::string text = read_file(dir.file("conn.rank" + std::to_string(i) + ".ndjson"));
    const auto lines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
    EXPECT_EQ(lines, c["per_rank"][i]["started"].get<std::uint64_t>()) << i;
    EXPECT_EQ(c["per_rank"][i]["log_records"], lines) << i;
  }
  EXPECT_FALSE(std::ifstream(dir.file("conn.ndjson")).good());
}

TEST(MpiIntegration, BindSetsSplitIntoDisjointPerRankSubsets) {
  REQUIRE_MPI();
  TempDir dir;
  ServerProcess srv = server(dir);
  const std::string path = dir.file("job.json");
  const RunResult r = run(mpirun(3, {"crr", "-q", "--json", path, srv.target(), "-n", "3000",
                                     "-c", "6", "--bind", "127.0.0.2-127.0.0.7"}),
                          dir.path(), 120s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json c = read_json(path)["summary"];
  const json s = srv.stop();
  EXPECT_EQ(c["completed"], 3000);
  ASSERT_EQ(s["peers"].size(), 6u) << s["peers"].dump();
  std::set<std::string> used;
  for (const auto& row : c["per_rank"]) {
    ASSERT_EQ(row["sources"].size(), 2u) << row.dump();
    std::uint64_t seen_by_server = 0;
    for (const auto& a : row["sources"]) {
      EXPECT_TRUE(used.insert(a.get<std::string>()).second) << a << " used by two ranks";
      seen_by_server += s["peers"].value(a.get<std::string>(), std::uint64_t{0});
    }
    EXPECT_EQ(seen_by_server, row["completed"].get<std::uint64_t>()) << row.dump();
  }
  EXPECT_EQ(used.size(), 6u);
}

TEST(MpiIntegration, RrAndCcUnderTwoRanksHaveExactTotals) {
  REQUIRE_MPI();
  TempDir dir;
  {
    ServerProcess srv = server(dir);
    const std::string path = dir.file("rr.json");
    const RunResult r = run(mpirun(2, {"rr", "-q", "--json", path, srv.target(), "-n", "4001",
                                       "-c", "4"}),
                            dir.path(), 120s);
    ASSERT_EQ(r.code, 0) << r.err;
    const json c = read_json(path)["summary"];
    const json s = srv.stop();
    EXPECT_EQ(c["requests"], 4001);
    EXPECT_EQ(s["requests"], 4001);
    EXPECT_EQ(sum_of(c["per_rank"], "completed"), 4001u);
    EXPECT_EQ(c["per_rank"][0]["completed"], 2001);
  }
  ServerProcess srv = server(dir, "echo");
  const std::string path = dir.file("cc.json");
  const RunResult r = run(mpirun(2, {"cc", "-q", "--json", path, srv.target(), "-n", "301",
                                     "--hold", "0.2"}),
                          dir.path(), 120s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json c = read_json(path)["summary"];
  const json s = srv.stop();
  EXPECT_EQ(c["attempted"], 301);
  EXPECT_EQ(c["established"], 301);
  EXPECT_EQ(c["survived"], 301);
  EXPECT_EQ(s["accepted"], 301);
  EXPECT_EQ(sum_of(c["per_rank"], "completed"), 301u);
}

// --tls under two ranks: summary.tls is the job's (handshakes summed over the ranks, the names
// negotiated), and equals the server's count of full and resumed handshakes.
TEST(MpiIntegration, TlsHandshakesOfTheRanksAddUp) {
  REQUIRE_MPI();
  TempDir dir;
  ServerProcess srv(dir, {"--listen", "127.0.0.1:0", "-t", "1", "--tls"});
  const std::string path = dir.file("tls.json");
  const RunResult r = run(mpirun(2, {"crr", "-q", "--json", path, srv.target(), "-n", "400",
                                     "-c", "4", "--tls", "--tls-version", "1.2", "--resume",
                                     "0.5"}),
                          dir.path(), 120s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("tls handshakes  full"), std::string::npos) << r.out;
  const json c = read_json(path)["summary"];
  const json s = srv.stop();
  EXPECT_EQ(c["completed"], 400);
  const json& t = c["tls"];
  EXPECT_EQ(t["full"].get<int>() + t["resumed"].get<int>(), 400) << t.dump();
  EXPECT_GT(t["resumed"].get<int>(), 100) << t.dump();
  EXPECT_EQ(t["version"], "TLSv1.2");
  EXPECT_EQ(t["group"], "x25519");
  EXPECT_FALSE(t["cipher"].get<std::string>().empty());
  EXPECT_EQ(c["latency_us"]["tls"]["count"], 400);
  EXPECT_EQ(s["tls"]["full"], t["full"]);
  EXPECT_EQ(s["tls"]["resumed"], t["resumed"]);
}

TEST(MpiIntegration, ARankThatCannotBindEndsTheJobWithOneLine) {
  REQUIRE_MPI();
  TempDir dir;
  // Rank 1 gets 192.0.2.1 (TEST-NET-1): not an address of this host, so it cannot bind it.
  const RunResult r = run(mpirun(2, {"crr", "-q", "127.0.0.1:9", "-n", "10", "--bind",
                                     "127.0.0.2", "--bind", "192.0.2.1"}),
                          dir.path(), 60s);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(count_lines_with(r.err, "connperf:"), 1) << r.err;
  EXPECT_NE(r.err.find("connperf: rank 1 on "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--bind 192.0.2.1: cannot bind (EADDRNOTAVAIL"), std::string::npos)
      << r.err;
}

// The ranks started by the mpirun with pid `parent` (Open MPI starts local ranks as its children).
std::vector<pid_t> children(pid_t parent) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos || line.find("(connperf)") == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(pid);
  }
  if (d) ::closedir(d);
  return out;
}

TEST(MpiIntegration, CtrlCToMpirunStopsEveryRankAndTheSummaryIsExact) {
  REQUIRE_MPI();
  TempDir dir;
  ServerProcess srv = server(dir);
  const std::string path = dir.file("job.json");
  Process job(mpirun(2, {"crr", "--json", path, srv.target(), "-d", "60", "-c", "4"}),
              dir.path());
  ASSERT_TRUE(poll_until([&] { return job.out().find("1.0s") != std::string::npos; }, 30s))
      << job.err();
  job.signal(SIGINT);
  EXPECT_NE(job.wait(30s), -1) << "mpirun still ran 30 s after Ctrl-C: " << job.err();
  const json doc = read_json(path);
  const json& c = doc["summary"];
  const json s = srv.stop();
  EXPECT_EQ(doc["ranks"], 2);
  EXPECT_GT(c["completed"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(c["started"].get<std::uint64_t>(),
            c["completed"].get<std::uint64_t>() + c["error_total"].get<std::uint64_t>() +
                c["aborted"].get<std::uint64_t>());
  // What the server saw end by a reset is what completed, plus any attempt cut off.
  EXPECT_GE(s["rst"].get<std::uint64_t>() + s["active"].get<std::uint64_t>(),
            c["completed"].get<std::uint64_t>());
  EXPECT_NE(job.out().find("completed"), std::string::npos);  // rank 0 printed the summary
}

TEST(MpiIntegration, AKilledRankEndsTheJobWithAMessageNotAHang) {
  REQUIRE_MPI();
  TempDir dir;
  ServerProcess srv = server(dir);
  Process job(mpirun(2, {"crr", "-q", srv.target(), "-d", "60", "-c", "2"}), dir.path());
  std::vector<pid_t> ranks;
  ASSERT_TRUE(poll_until([&] { return (ranks = children(job.pid())).size() == 2; }, 30s));
  std::this_thread::sleep_for(500ms);
  ::kill(ranks.back(), SIGKILL);
  const int code = job.wait(30s);
  EXPECT_NE(code, -1) << "mpirun still ran 30 s after a rank was killed";
  EXPECT_NE(code, 0);
  EXPECT_NE(job.err().find("signal 9"), std::string::npos) << job.err();
  srv.stop();
}

TEST(MpiIntegration, APlainRunNeitherLinksNorLoadsMpi) {
  TempDir dir;
  const RunResult ldd = run({"/usr/bin/ldd", connperf()}, dir.path(), 30s);
  EXPECT_EQ(ldd.out.find("libmpi"), std::string::npos) << ldd.out;
  // A copy without the MPI module next to it, started as if by a launcher: it says so, exit 1.
  const std::string copy = dir.file("connperf");
  ASSERT_EQ(run({"/bin/cp", connperf(), copy}, dir.path()).code, 0);
  const RunResult r = run({"/usr/bin/env", "OMPI_COMM_WORLD_SIZE=2", copy, "crr", "-q",
                           "127.0.0.1:9", "-n", "1"},
                          dir.path(), 30s);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("the MPI module cannot be loaded"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines_with(r.err, "connperf:"), 1) << r.err;
}

TEST(MergeIntegration, ThreeSingleRunsMergeToSummedTotalsAndTheMergedHistogram) {
  TempDir dir;
  ServerProcess srv = server(dir);
  std::vector<std::string> argv{connperf(), "merge", "--json", dir.file("merged.json")};
  std::uint64_t completed = 0, samples = 0;
  std::vector<json> parts;
  for (int i = 0; i < 3; ++i) {
    const std::string path = dir.file("part" + std::to_string(i) + ".json");
    const RunResult r = run({connperf(), "crr", "-q", "--json", path, srv.target(), "-n",
                             std::to_string(500 * (i + 1)), "-c", "4"},
                            dir.path(), 60s);
    ASSERT_EQ(r.code, 0) << r.err;
    parts.push_back(read_json(path));
    completed += parts.back()["summary"]["completed"].get<std::uint64_t>();
    samples += parts.back()["summary"]["histograms"]["total"]["count"].get<std::uint64_t>();
    argv.push_back(path);
  }
  const RunResult r = run(argv, dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json m = read_json(dir.file("merged.json"));
  EXPECT_EQ(m["command"], "crr");
  EXPECT_EQ(m["summary"]["completed"], 3000);
  EXPECT_EQ(completed, 3000u);
  EXPECT_EQ(m["summary"]["histograms"]["total"]["count"], samples);
  // The merged p99 lies within the parts' p99s' range and equals the histograms' p99.
  std::uint64_t max_p99 = 0;
  for (const auto& p : parts)
    max_p99 = std::max(max_p99, p["summary"]["latency_us"]["total"]["p99"].get<std::uint64_t>());
  EXPECT_LE(m["summary"]["latency_us"]["total"]["p99"].get<std::uint64_t>(), max_p99);
  EXPECT_NE(r.out.find("3 crr results merged"), std::string::npos) << r.out;
  srv.stop();

  // Another subcommand's result: refused, exit 2, one line.
  json other = parts[0];
  other["command"] = "rr";
  const std::string other_path = dir.file("rr.json");
  std::ofstream(other_path) << other.dump();
  const RunResult bad = run({connperf(), "merge", argv[4], other_path}, dir.path(), 30s);
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(count_lines_with(bad.err, "connperf:"), 1) << bad.err;
  EXPECT_NE(bad.err.find("cannot merge a 'rr' result"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace connperf::test
