// --search on crr and rr: the highest --rate whose step (a run of -d seconds at that rate)
// holds the error bound (default 0.001) and an optional p99 bound. load::RateSearch picks the
// rates; each step is a fresh engine run; a table of the steps, a headline with its bracket,
// summary.search in JSON, each step on the NDJSON stream. Runs on the command's thread, between
// engine runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "loop/clock.h"
#include "run/load_job.h"
#include "run/output.h"
#include "stats/client_stats.h"

namespace connperf::run {

// What one step did: the engine's totals after its in-flight work ended.
struct StepResult {
  double seconds = 0;  // the step's clock (-d, or less after a signal)
  stats::ClientSnapshot total;
  std::uint64_t aborted = 0;
};

// Runs engine `Engine` built from `spec` at its rate for `duration` seconds; returns true when
// a stop signal came.
template <typename Engine, typename Spec>
bool run_rate_step(Spec spec, double duration, StopSignals& signals, StepResult& out) {
  Engine engine(std::move(spec));
  const std::uint64_t t0 = engine.start();
  const bool stopped = signals.wait_until(t0 + loop::ns_from_seconds(duration));
  out.seconds = loop::seconds_from_ns(loop::now_ns() - t0);
  finish_in_flight(engine, signals, engine.spec().timeout_ns);
  engine.join();
  engine.snapshot(out.total);
  out.aborted = engine.aborted();
  return stopped;
}

struct SearchPlan {
  std::string command;  // crr or rr
  std::string unit;     // "connections/s", "requests/s"
  nlohmann::json config;
  double first_rate = 1000;
  double duration = 5;  // each step's seconds
  double max_error_rate = 0.001;
  std::uint64_t max_p99_us = 0;  // 0 = no bound
  double precision = 0.05;
  unsigned max_steps = 30;
  std::function<bool(double rate, StepResult&)> step;  // true: stopped by a signal
};

// kOk when some rate held, kErrorRate when none did.
int run_search(const SearchPlan& plan, const OutputSettings& out);

// crr's and rr's search plan with its steps: each runs `Engine` on a copy of `spec` at the
// step's rate.
template <typename Engine, typename Spec>
SearchPlan with_rate_steps(SearchPlan plan, Spec spec, StopSignals& signals) {
  const double duration = plan.duration;
  plan.step = [spec = std::move(spec), &signals, duration](double r, StepResult& result) {
    Spec s = spec;
    s.rate = r;
    return run_rate_step<Engine>(std::move(s), duration, signals, result);
  };
  return plan;
}

}  // namespace connperf::run
