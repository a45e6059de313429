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
#include "net/address.h"

namespace connperf::cli {

std::vector<load::Target> parse_targets(const std::vector<std::string>& specs);
std::vector<net::SockAddr> parse_binds(const std::vector<std::string>& specs);
std::vector<net::SockAddr> parse_listen(const std::vector<std::string>& specs);
// "50,100,150" → {50, 100, 150}: --sweep's connection counts. Throws UsageError naming `flag`.
std::vector<unsigned> parse_sweep(const std::string& flag, const std::string& text);

using loop::StopSignals;

// What a load run is asked to be beside a plain run. check_modes refuses, as a UsageError, the
// ones that do not go together — every such rule is here.
struct Modes {
  bool search = false;        // --search
  bool sweep = false;         // rr --sweep
  bool server_stats = false;  // --server-stats
  bool lab = false;           // inside `lab run`
  bool ranks = false;         // under an MPI launcher, more than one rank
  bool criteria = false;      // --criteria
  bool phases = false;        // --ramp-up, --sustain, --ramp-down
  bool hold = false;          // crr --hold
  bool hdr_log = false;       // --hdr-log
  bool conn_log = false;      // --log-connections
};
void check_modes(const Modes& m);

// A result document from FILE (report, merge, compare): RunError when it cannot be read,
// UsageError when it is not JSON.
nlohmann::json read_result(const std::string& path);

}  // namespace connperf::cli
