// --search on crr and rr: the highest --rate whose step (a run of -d seconds at that rate)
// holds --max-error-rate (default 0.001) and an optional --max-p99. load::RateSearch picks the
// rates; each step is a fresh engine run; a table of the steps, a headline with its bracket,
// summary.search in JSON. Runs on the main thread, between engine runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/flags.h"
#include "run/load_job.h"
#include "loop/clock.h"
#include "stats/client_stats.h"

namespace connperf::cli {

struct SearchFlags {
  bool on = false;
  std::string max_p99;  // a duration; "" = no bound
  double precision = 0.05;
  unsigned max_steps = 30;
};
void add_search_flags(CLI::App& c, SearchFlags& o);

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
  run::finish_in_flight(engine, signals, engine.spec().timeout_ns);
  engine.join();
  engine.snapshot(out.total);
  out.aborted = engine.aborted();
  return stopped;
}

struct SearchRun {
  std::string command;  // crr or rr
  std::string unit;     // "connections/s", "requests/s"
  nlohmann::json config;
  double first_rate = 1000;
  double duration = 5;
  double max_error_rate = 0.001;
  std::function<bool(double rate, StepResult&)> step;  // true: stopped by a signal
};

// kOk when some rate held, kErrorRate when none did.
int run_search(const SearchRun& run, const SearchFlags& flags, const OutputFlags& out);

// crr's and rr's search: each step runs `Engine` on a copy of `spec` at the step's rate. `run`
// comes with its command, unit, config and duration; `rate` is --rate (the first step).
template <typename Engine, typename Spec>
int search_rates(SearchRun run, Spec spec, const RunFlags& flags, double rate,
                 const SearchFlags& search, const OutputFlags& out, StopSignals& signals) {
  if (flags.count) throw UsageError("--search: steps are timed by -d, not counted by -n");
  run.first_rate = rate > 0 ? rate : 1000;
  run.max_error_rate = flags.max_error_rate >= 0 ? flags.max_error_rate : 0.001;
  const double duration = run.duration;
  run.step = [&spec, &signals, duration](double r, StepResult& result) {
    Spec s = spec;
    s.rate = r;
    return run_rate_step<Engine>(std::move(s), duration, signals, result);
  };
  return run_search(run, search, out);
}

}  // namespace connperf::cli
