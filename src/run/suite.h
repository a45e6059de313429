// `connperf suite rfc9411`: RFC 9411's tests in order, each a load a user could type by hand —
// first a search for the maximum where the RFC asks for one (--search, NDR and PDR), then the
// test itself at that load, in phases, judged by the RFC's validation criteria. One result
// document (command "suite", tests[] with each test's KPIs, verdict and whole result) and, with
// -o, one HTML page. Command's thread only; the loads run through the driver and the search.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/driver.h"
#include "run/output.h"
#include "run/search.h"

namespace connperf::run {

using Args = std::vector<std::string>;  // a load's subcommand and flags, as typed

struct SuiteTest {
  std::string name{};   // "cps", "throughput", "latency", "concurrency"
  std::string section{};  // the RFC's section: "7.2"
  std::string title{};
  Args load{};          // the test's load, without target, rate and phases
  bool search = false;  // find the highest rate first (--search), then run at it
  std::string share_of{};// run at `share` of that earlier test's rate (the latency test)
  double share = 0;
  bool share_needed = true;  // false: without that test, the test picks its own rate
  bool phased = true;  // --ramp-up/--sustain/--ramp-down (cc: its ramp and hold instead)
  std::string criteria = "rfc9411";  // its --criteria
};

struct SuiteSettings {
  std::string ramp_up = "2", sustain = "6", ramp_down = "2";
  std::string search_step = "2";  // each search step's seconds
  std::string max_p99 = "100ms";  // a search step whose p99 is above it queues: it fails
};

struct SuitePlan {
  std::string suite = "rfc9411";
  std::vector<SuiteTest> tests;
  SuiteSettings settings;  // phases, search steps
  nlohmann::json config;
  std::string html;  // -o FILE: the report page; "" = none
  // A test's load placed where it runs: with the target (and the lab's namespace, threads).
  std::function<Args(const Args& load)> place;
  // What a placed command line runs (the command layer parses it as its subcommand does): a run
  // ready to drive, or a search plan. Throw UsageError or RunError.
  std::function<Prepared(const Args& args)> prepare;
  std::function<SearchPlan(const Args& args)> search;
};

// RFC 9411's cleartext tests (7.2 to 7.5), or with `tls` their HTTPS twins (7.6 to 7.9), with
// `connections` held in the concurrency test and `rr_connections` busy in the throughput test.
std::vector<SuiteTest> rfc9411_tests(unsigned connections, unsigned rr_connections,
                                     bool tls = false);

// The flags a test's load runs with (phases, its rate), the KPIs a test hands over, read from its
// result document. Pure.
Args test_args(const SuiteTest& t, const SuiteSettings& p, double rate);
nlohmann::json test_kpis(const SuiteTest& t, const nlohmann::json& result);

// kOk when every test passed, kErrorRate when one failed; a signal ends the suite after the test
// it cut (the document says `interrupted`).
int run_suite(const SuitePlan& plan, const OutputSettings& out, StopSignals& signals);

}  // namespace connperf::run
