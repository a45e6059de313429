// The driver with a job of its own making: the verbs come in their order, the run ends by itself,
// by -d or at once, the document gets every interval, the summary and the job's sections, and
// the kernel counters wrap the job when asked.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "loop/clock.h"
#include "run/driver.h"
#include "../../scratch_file.h"

namespace connperf::run {
namespace {

class FakeJob final : public Job {
 public:
  explicit FakeJob(int end_after_ticks) : end_after_(end_after_ticks) {}
  std::uint64_t start() override {
    verbs.push_back("start");
    return t0_ = loop::now_ns();
  }
  bool reached_end() override { return end_after_ >= 0 && ticks_ >= end_after_; }
  void interval(double t, double, nlohmann::json& j, std::string& line) override {
    ++ticks_;
    j = {{"t", t}, {"n", ticks_}};
    line = "tick";
  }
  std::uint64_t stop(StopSignals&, bool signalled) override {
    verbs.push_back(signalled ? "stop signalled" : "stop");
    return loop::now_ns();
  }
  bool reports_last_interval() const override { return false; }
  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    verbs.push_back("summary");
    text = "done\n";
    j = {{"ticks", ticks_}, {"elapsed", elapsed}};
  }
  void add_sections(nlohmann::json& doc) override {
    verbs.push_back("add_sections");
    doc["extra"] = true;
  }
  int exit_code() const override { return kErrorRate; }

  std::vector<std::string> verbs;

 private:
  int end_after_;
  int ticks_ = 0;
  std::uint64_t t0_ = 0;
};

nlohmann::json read_doc(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

Plan quiet_plan(const std::string& json, double duration) {
  Plan p;
  p.command = "fake";
  p.duration = duration;
  p.out.interval = 0.01;
  p.out.quiet = true;
  p.out.json = json;
  return p;
}

TEST(Driver, AJobThatEndsByItselfGetsEveryVerbInOrderAndItsDocument) {
  FakeJob job(3);
  StopSignals signals;
  const Plan plan = quiet_plan(test::scratch_file("ends.json"), 0);
  EXPECT_EQ(drive(job, plan, signals), kErrorRate);
  EXPECT_EQ(job.verbs,
            (std::vector<std::string>{"start", "stop", "summary", "add_sections"}));
  const nlohmann::json doc = read_doc(plan.out.json);
  EXPECT_EQ(doc["command"], "fake");
  EXPECT_EQ(doc["intervals"].size(), 3u);
  EXPECT_EQ(doc["summary"]["ticks"], 3);
  EXPECT_EQ(doc["extra"], true);
}

TEST(Driver, TheDurationEndsARunThatWouldNot) {
  FakeJob job(-1);
  StopSignals signals;
  const Plan plan = quiet_plan(test::scratch_file("duration.json"), 0.1);
  const std::uint64_t t0 = loop::now_ns();
  drive(job, plan, signals);
  const double took = loop::seconds_from_ns(loop::now_ns() - t0);
  EXPECT_GE(took, 0.1);
  EXPECT_LT(took, 5.0);
  const nlohmann::json doc = read_doc(plan.out.json);
  EXPECT_GE(doc["intervals"].size(), 5u);
  EXPECT_LE(doc["intervals"].size(), 10u);
  EXPECT_GE(doc["summary"]["elapsed"].get<double>(), 0.1);
}

TEST(Driver, KernelCountersWrapTheJobWhenAsked) {
  FakeJob job(2);
  StopSignals signals;
  Plan plan = quiet_plan(test::scratch_file("kernel.json"), 0);
  plan.out.kernel_counters = true;
  drive(job, plan, signals);
  const nlohmann::json doc = read_doc(plan.out.json);
  ASSERT_EQ(doc["intervals"].size(), 2u);
  EXPECT_TRUE(doc["intervals"][0].contains("kernel"));
  EXPECT_TRUE(doc["summary"].contains("kernel"));
  EXPECT_TRUE(doc["summary"].contains("kernel_limiter"));
}

}  // namespace
}  // namespace connperf::run
