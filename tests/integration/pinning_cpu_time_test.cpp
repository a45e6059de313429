// --cpus (the workers pinned, a bad list refused before anything runs) and the CPU figures every
// result carries: the run's own user and system time in the summary and per interval, CPU per
// unit of work, the host's busy share.
#include <dirent.h>
#include <sched.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Cpus_allowed_list of each thread of `pid` ("0", "0-1", ...).
std::vector<std::string> thread_cpu_lists(pid_t pid) {
  std::vector<std::string> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string status = read_file(dir + "/" + e->d_name + "/status");
    const auto at = status.find("Cpus_allowed_list:");
    if (at == std::string::npos) continue;
    const auto start = status.find_first_not_of(" \t", at + 18);
    out.push_back(status.substr(start, status.find('\n', start) - start));
  }
  ::closedir(d);
  return out;
}

std::size_t allowed_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  return static_cast<std::size_t>(CPU_COUNT(&set));
}

// A CPU number this process may not run on (the first past the allowed set).
unsigned forbidden_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  unsigned c = 0;
  while (CPU_ISSET(c, &set)) ++c;
  return c;
}

std::size_t count_pinned_to_0(pid_t pid) {
  const auto lists = thread_cpu_lists(pid);
  return static_cast<std::size_t>(std::count(lists.begin(), lists.end(), "0"));
}

TEST(Cpus, ZeroPinsEveryWorkerThreadOfCrrAndTheServer) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "2", "--cpus", "0"});
  // "listening on" comes once the listeners are open; the workers start a moment later.
  EXPECT_TRUE(poll_until([&] { return count_pinned_to_0(server.process().pid()) == 2; }, 2s))
      << "the two epoll workers; the command's thread stays free: "
      << ::testing::PrintToString(thread_cpu_lists(server.process().pid()));
  const std::string path = dir.file("crr.json");
  Process crr({connperf(), "crr", server.target(), "-d", "2", "-t", "2", "-c", "8", "--cpus", "0",
               "-q", "--json", path},
              dir.path());
  EXPECT_TRUE(poll_until([&] { return count_pinned_to_0(crr.pid()) == 2; }, 2s))
      << ::testing::PrintToString(thread_cpu_lists(crr.pid()));
  ASSERT_EQ(crr.wait(20s), 0) << crr.err();
  EXPECT_EQ(read_json(path)["config"]["cpus"], json::array({0}));
  server.stop();
}

TEST(Cpus, TheBlockingServerModelsPinTheAcceptorAndEachConnection) {
  TempDir dir;
  for (const char* model : {"iterative", "thread"}) {
    ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--model", model, "--cpus", "0"},
                         model);
    EXPECT_TRUE(poll_until([&] { return count_pinned_to_0(server.process().pid()) >= 1; }, 2s))
        << model << ": the acceptor";
    const RunResult r = run({connperf(), "crr", server.target(), "-n", "50", "-c", "2", "-q"},
                            dir.path(), 20s);
    EXPECT_EQ(r.code, 0) << model << r.err;
    EXPECT_EQ(server.stop()["accepted"], 50) << model;
  }
}

TEST(Cpus, ABadListIsAUsageErrorBeforeAnything) {
  TempDir dir;
  const std::string target = "127.0.0.1:" + std::to_string(free_port());
  const std::string not_ours = std::to_string(forbidden_cpu());
  const std::vector<std::vector<std::string>> commands = {
      {"crr", target, "-d", "1"}, {"rr", target, "-d", "1"}, {"cc", target, "-n", "1"},
      {"server", "--listen", "127.0.0.1:0", "-d", "1"},
      {"proxy", "--listen", "127.0.0.1:0", "-d", "1"}};
  for (const auto& base : commands)
    for (const std::string bad : {"1-0", "x", "0,", "4096", not_ours.c_str()}) {
      std::vector<std::string> argv{connperf()};
      argv.insert(argv.end(), base.begin(), base.end());
      argv.insert(argv.end(), {"--cpus", bad});
      const RunResult r = run(argv, dir.path(), 10s);
      EXPECT_EQ(r.code, 2) << base[0] << " --cpus " << bad << ": " << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_NE(r.err.find("--cpus"), std::string::npos) << r.err;
      EXPECT_EQ(r.out, "") << "nothing ran";
    }
}

double cpu_seconds(const json& cpu) {
  return cpu["user_s"].get<double>() + cpu["sys_s"].get<double>();
}

void expect_host_share(const json& host) {
  for (const char* k : {"busy_pct", "steal_pct"}) {
    EXPECT_GE(host[k].get<double>(), 0) << k;
    EXPECT_LE(host[k].get<double>(), 100) << k;
  }
}

TEST(CpuTime, CrrReportsItsOwnPerIntervalAndInTotal) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1"});
  const std::string path = dir.file("crr.json");
  const RunResult r = run({connperf(), "crr", server.target(), "-d", "2", "--interval", "0.5",
                           "-c", "8", "--json", path},
                          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = read_json(path);
  const json& cpu = doc["summary"]["cpu"];
  const double total = cpu_seconds(cpu);
  EXPECT_GT(total, 0) << cpu.dump();
  EXPECT_LE(total, cpu["wall_s"].get<double>() * static_cast<double>(allowed_cpu_count()))
      << cpu.dump();
  EXPECT_EQ(cpu["usable_cpus"], 1) << "-t 1";
  EXPECT_NEAR(cpu["us_per_connection"].get<double>(),
              total * 1e6 / doc["summary"]["completed"].get<double>(), 0.01);
  double sum = 0;
  for (const json& i : doc["intervals"]) {
    sum += cpu_seconds(i["cpu"]);
    expect_host_share(i["host_cpu"]);
  }
  EXPECT_NEAR(sum, total, 0.05 + 0.05 * total) << "the intervals add up to the run";
  expect_host_share(doc["summary"]["host_cpu"]);
  EXPECT_NE(r.out.find("cpu time "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("us per connection"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("host CPUs "), std::string::npos) << r.out;
  const json s = server.stop();
  EXPECT_GT(cpu_seconds(s["cpu"]), 0) << s.dump();
  EXPECT_GT(s["cpu"]["us_per_request"].get<double>(), 0) << s.dump();
}

TEST(CpuTime, RrCountsPerRequest) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1"});
  const std::string path = dir.file("rr.json");
  const RunResult r = run({connperf(), "rr", server.target(), "-n", "5000", "-c", "4", "-q",
                           "--json", path},
                          dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json s = read_json(path)["summary"];
  EXPECT_GT(s["cpu"]["us_per_request"].get<double>(), 0) << s.dump();
  EXPECT_FALSE(s["cpu"].contains("us_per_connection"));
  server.stop();
}

}  // namespace
}  // namespace connperf::test
