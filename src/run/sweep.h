// The sweep engine behind `rr --sweep` and `models`: one step per connection count, each a
// fresh engine that opens its connections during the warm-up and then runs on the step's clock.
// Runs on the reporting thread; the engines' workers do the load.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loop/signals.h"
#include "run/output.h"
#include "load/crr.h"
#include "load/rr.h"

namespace connperf::run {

using loop::StopSignals;


struct SweepPlan {
  std::vector<unsigned> counts;
  double warmup = 1;    // seconds before each step's clock
  double duration = 5;  // seconds each step is measured
  std::string progress_label;  // shown on the status line (a model's name), may be empty
  std::size_t first_step = 0;  // where these steps start in a longer run (models: the model's)
  std::size_t all_steps = 0;   // the whole run's steps; 0 = these counts
};

// Called at the end of each step while its connections are still open (the step's JSON may gain
// fields), then once the step's engine is stopped.
struct SweepHooks {
  std::function<void(nlohmann::json& step)> before_stop;
  std::function<void(const nlohmann::json& step)> after_step;
};

// Runs the steps in order with rr (qps) or crr (cps, -c = the count) and returns summary.steps[]:
// {connections, open_connections (rr), requests|completed, qps|cps, error_rate, errors,
// latency_us.response}. Stops early at a signal: the step it cut has "interrupted": true.
// The status line goes to `out`; rows and steps are the hooks' to write.
nlohmann::json sweep_rr(const load::RrSpec& base, const SweepPlan& plan, StopSignals& signals,
                        Output& out, const SweepHooks& hooks = {});
nlohmann::json sweep_crr(const load::CrrSpec& base, const SweepPlan& plan, StopSignals& signals,
                         Output& out, const SweepHooks& hooks = {});

// Whether a signal cut the steps short (their last step is marked).
bool interrupted(const nlohmann::json& steps);

// The closing table: its header and one row per step (qps or cps as the step has; a cut step
// says so).
std::string sweep_header();
std::string sweep_row(const nlohmann::json& step);

}  // namespace connperf::run
