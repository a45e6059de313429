// What every subcommand shares: exit codes and the errors that carry them, flag value parsing,
// stop-signal handling for the reporting thread, and JSON output.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "load/crr.h"
#include "loop/event_loop.h"
#include "loop/signals.h"
#include "stats/client_stats.h"
#include "cli/duration.h"
#include "cli/errors.h"
#include "diag/preflight.h"
#include "net/address.h"

namespace connperf::cli {

std::vector<load::Target> parse_targets(const std::vector<std::string>& specs);
std::vector<net::SockAddr> parse_binds(const std::vector<std::string>& specs);
std::vector<net::SockAddr> parse_listen(const std::vector<std::string>& specs);

using loop::StopSignals;

nlohmann::json document(std::string_view command, nlohmann::json config);
// Writes to FILE, or stdout for "-". Throws RunError when the file cannot be written.
void write_json(const std::string& path, const nlohmann::json& doc);

// At the end of a load run the work in flight may still finish, for a short grace time
// (at most 2 s, or the engine's timeout), so the counts match the target's; then, or at a
// second Ctrl-C, the engine stops and what is left is aborted.
template <typename Engine>
void finish_in_flight(Engine& engine, StopSignals& signals, std::uint64_t timeout_ns) {
  constexpr std::uint64_t kGraceNs = 2'000'000'000;
  engine.drain();
  const std::uint64_t end = loop::now_ns() + std::min(kGraceNs, timeout_ns);
  while (!engine.finished() && loop::now_ns() < end)
    if (signals.wait_until(std::min(end, loop::now_ns() + 2'000'000))) break;
  engine.stop();
}

// kErrorRate when --max-error-rate was given and errors/started exceeds it, else kOk.
int exit_code_for(const stats::ClientSnapshot& total, double max_error_rate);

// The plan with the targets and source addresses of `where` (the run's, or doctor's planned).
diag::Plan plan_over(diag::Plan plan, const load::Targets& where);

// Before a run: raises the open-file soft limit to the hard one (the run needs it), checks the
// plan against this host (diag::preflight) and prints each problem to stderr as one
// "warning: " line. `where` gives the plan its targets and source addresses.
void preflight(diag::Plan plan, const load::Targets& where);

// crr: new connections closed by --close, -c in flight.
void preflight_warnings(const load::CrrSpec& spec, double duration);

// rr, cc: `count` connections held open, split over `processes` (cc --processes; 0 for none).
void preflight_held(const load::Targets& spec, std::uint64_t count, unsigned processes);

}  // namespace connperf::cli
