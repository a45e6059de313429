// The suite's pure parts: the command line each test runs (phases, its rate, its criteria), and
// the KPIs it hands over (the sustain phase's when the run had phases).
#include "run/suite.h"

#include <gtest/gtest.h>

namespace connperf::run {
namespace {

using nlohmann::json;

const SuiteTest& named(const std::vector<SuiteTest>& tests, const std::string& name) {
  for (const SuiteTest& t : tests)
    if (t.name == name) return t;
  throw std::runtime_error(name);
}

TEST(Suite, TestsFollowTheRfcsOrderAndEachRunsItsOwnLoad) {
  const auto tests = rfc9411_tests(500, 32);
  ASSERT_EQ(tests.size(), 4u);
  EXPECT_EQ(tests[0].section, "7.2");
  EXPECT_EQ(tests[3].section, "7.5");
  const SuiteSettings s{"1", "5", "2", "1", "100ms"};
  EXPECT_EQ(test_args(named(tests, "cps"), s, 4200),
            (Args{"crr", "--close", "fin", "--ramp-up", "1", "--sustain", "5", "--ramp-down", "2",
                  "--rate", "4200", "--criteria", "rfc9411"}));
  EXPECT_EQ(test_args(named(tests, "throughput"), s, 0),
            (Args{"rr", "-c", "32", "--ramp-up", "1", "--sustain", "5", "--ramp-down", "2",
                  "--criteria", "rfc9411"}));
  // cc opens its connections at the rate given, else over the ramp-up, then holds for sustain.
  const SuiteTest& cc = named(tests, "concurrency");
  EXPECT_EQ(test_args(cc, s, 0),
            (Args{"cc", "-n", "500", "--keepalive", "1", "--request", "http", "--ramp", "500",
                  "--hold", "5", "--criteria", "rfc9411,lost<0.001%"}));
  EXPECT_EQ(test_args(cc, s, 2000)[8], "2000");
  EXPECT_EQ(named(tests, "latency").share_of, "cps");
  EXPECT_TRUE(named(tests, "cps").search);
}

TEST(Suite, KpisAreTheSustainPhasesWhenTheRunHadPhases) {
  const auto tests = rfc9411_tests(500, 32);
  const json crr = {{"summary",
                     {{"cps", 900.0},
                      {"started", 10000},
                      {"sustain",
                       {{"cps", 1000.0}, {"started", 5000}, {"completed", 4999},
                        {"error_total", 1},
                        {"latency_us",
                         {{"ttfb", {{"count", 4999}, {"mean", 80.5}, {"p50", 70}, {"p99", 300},
                                    {"max", 900}}},
                          {"tls", {{"count", 0}}}}}}}}}};
  const json k = test_kpis(named(tests, "cps"), crr);
  EXPECT_EQ(k["rate"], 1000.0);
  EXPECT_EQ(k["unit"], "connections");
  EXPECT_EQ(k["completed"], 4999);
  EXPECT_DOUBLE_EQ(k["error_rate"].get<double>(), 1.0 / 5000);
  EXPECT_EQ(k["latency_us"]["ttfb"]["p99"], 300);
  EXPECT_FALSE(k["latency_us"].contains("tls"));  // nothing measured: left out
  const json cc = {{"summary", {{"established", 500}, {"survived", 499}, {"lost", 1}}}};
  const json c = test_kpis(named(tests, "concurrency"), cc);
  EXPECT_EQ(c["established"], 500);
  EXPECT_EQ(c["lost"], 1);
  EXPECT_TRUE(c["time_to_reach_s"].is_null());  // no figure
  // A cc run that never had them all open says so with a null: its KPI is null, not an error.
  const json never = {{"summary", {{"established", 5}, {"time_to_reach_s", nullptr}}}};
  EXPECT_TRUE(test_kpis(named(tests, "concurrency"), never)["time_to_reach_s"].is_null());
  EXPECT_TRUE(test_kpis(named(tests, "cps"), json::object()).empty());
}

}  // namespace
}  // namespace connperf::run
