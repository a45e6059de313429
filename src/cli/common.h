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
// "50,100,150" → {50, 100, 150}: --sweep's connection counts. Throws UsageError naming `flag`.
std::vector<unsigned> parse_sweep(const std::string& flag, const std::string& text);

using loop::StopSignals;

// --bind addresses that cannot be bound end the run before it starts. Throws RunError.
void check_sources(const load::Targets& spec);

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
