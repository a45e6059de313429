// run/cpu_usage: the CPUs a run could use, read from its config, and the decorator's figures
// around a job that keeps one CPU busy (the warning) or idles (none).
#include "run/cpu_usage.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "loop/clock.h"
#include "loop/cpus.h"

namespace connperf::run {
namespace {

using nlohmann::json;

// Spins until this thread has had `ns` of CPU (on a loaded host that takes longer than `ns`).
void spin_for(std::uint64_t ns) {
  auto cpu_ns = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * loop::kSec + static_cast<std::uint64_t>(ts.tv_nsec);
  };
  const std::uint64_t until = cpu_ns() + ns;
  volatile std::uint64_t sink = 0;
  while (cpu_ns() < until) sink = sink + 1;
}

// A crr-like job: the summary counts `completed`; each interval spins or sleeps `busy` long.
class SpinningJob final : public Job {
 public:
  explicit SpinningJob(bool busy) : busy_(busy) {}
  std::uint64_t start() override { return loop::now_ns(); }
  void interval(double t, double, json& j, std::string&) override {
    if (busy_) spin_for(200 * loop::kMs);
    else std::this_thread::sleep_for(std::chrono::milliseconds(200));
    j = {{"t", t}};
  }
  std::uint64_t stop(StopSignals&, bool) override { return loop::now_ns(); }
  void summary(double, std::string& text, json& j) override {
    text = "done\n";
    j = {{"completed", 1000}};
  }

 private:
  bool busy_;
};

TEST(CpuUsage, UsableCpusAreTheWorkersBoundedByTheListOrTheAllowedSet) {
  const auto allowed = static_cast<unsigned>(loop::allowed_cpus().size());
  EXPECT_EQ(usable_cpus({{"threads", 1}}), 1u);
  EXPECT_EQ(usable_cpus({{"threads", 64}}), allowed);
  EXPECT_EQ(usable_cpus({{"threads", 4}, {"cpus", {0}}}), 1u);
  EXPECT_EQ(usable_cpus({{"threads", 1}, {"processes", 2}, {"cpus", {0, 1, 2}}}), 2u);
  EXPECT_EQ(usable_cpus({{"threads", 1}, {"model", "thread"}, {"cpus", {0, 1}}}), 2u)
      << "a thread per connection: as many as the list";
  EXPECT_EQ(usable_cpus(json::object()), allowed) << "states: no workers said";
  EXPECT_EQ(usable_cpus(json()), allowed) << "a plan without a config";
}

TEST(CpuUsage, ABusyRunShowsItsTimePerIntervalAndWarns) {
  SpinningJob inner(true);
  CpuUsageJob job(inner, "crr", {{"threads", 1}, {"cpus", {0}}}, ranks::world());
  job.start();
  json i1, summary;
  std::string line, text;
  job.interval(0.2, 0.2, i1, line);
  EXPECT_EQ(i1["t"], 0.2) << "the job's own object, added to";
  const double in_interval = i1["cpu"]["user_s"].get<double>() + i1["cpu"]["sys_s"].get<double>();
  EXPECT_GE(in_interval, 0.19);
  EXPECT_LT(in_interval, 0.5);
  EXPECT_GE(i1["host_cpu"]["busy_pct"].get<double>(), 0);
  EXPECT_LE(i1["host_cpu"]["busy_pct"].get<double>(), 100);
  job.summary(0.2, text, summary);
  const json& cpu = summary["cpu"];
  EXPECT_EQ(summary["completed"], 1000) << "the job's summary, added to";
  EXPECT_EQ(cpu["usable_cpus"], 1);
  // Busy all along, but a loaded host (other builds) may not have given us the whole CPU.
  const bool limited = cpu["usable_pct"].get<double>() >= kSaturatedPct;
  EXPECT_EQ(cpu["limited"], limited) << cpu.dump();
  EXPECT_NEAR(cpu["us_per_connection"].get<double>(),
              (cpu["user_s"].get<double>() + cpu["sys_s"].get<double>()) * 1e6 / 1000, 1e-6);
  EXPECT_TRUE(text.starts_with("done\n\ncpu time ")) << text;
  EXPECT_NE(text.find("us per connection"), std::string::npos) << text;
  EXPECT_EQ(text.find("warning: connperf used") != std::string::npos, limited) << text;
}

TEST(CpuUsage, TheWarningNamesWhoMayBeTheLimit) {
  EXPECT_EQ(limit_warning("crr", 97.4, 2),
            "warning: connperf used 97% of the usable CPUs (2): the generator may be the limit, "
            "not the target (more -t, other --cpus, or another host)\n");
  EXPECT_NE(limit_warning("server", 99, 1).find("this server may be the limit, not the clients"),
            std::string::npos);
}

TEST(CpuUsage, AnIdleRunDoesNotWarn) {
  SpinningJob inner(false);
  CpuUsageJob job(inner, "server", {{"threads", 1}}, ranks::world());
  job.start();
  json j, summary;
  std::string line, text;
  job.interval(0.2, 0.2, j, line);
  job.summary(0.2, text, summary);
  EXPECT_LT(summary["cpu"]["usable_pct"].get<double>(), 50) << summary.dump();
  EXPECT_EQ(summary["cpu"]["limited"], false);
  EXPECT_EQ(text.find("warning"), std::string::npos) << text;
  EXPECT_FALSE(summary["cpu"].contains("us_per_request")) << "the server's summary counts none";
}

}  // namespace
}  // namespace connperf::run
