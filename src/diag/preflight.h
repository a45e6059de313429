// The one preflight: a planned run checked against the host's limits (open files, local ports
// and TIME_WAIT, conntrack), as pure functions over a plan and HostLimits, so `doctor` and the
// run-time warnings of crr, rr, cc and models give the same verdict. Prints nothing: callers do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "diag/host_limits.h"

namespace connperf::diag {

// File descriptors a process keeps beside its connections (listeners, epoll, eventfds, stdio,
// JSON files): a process holds at most its open-file limit minus this many connections.
inline constexpr std::uint64_t kOpenFileHeadroom = 64;

// The kernel's tcp_tw_reuse (net/ipv4/tcp_ipv4.c, tcp_twsk_unique): 1 lets connect() take a
// TIME_WAIT port, 2 (the default, assumed when unreadable) only for loopback traffic, 0 never.
bool tw_reuse_applies(std::optional<long> tw_reuse, bool loopback) noexcept;

struct Plan {
  std::uint64_t connections = 0;  // open at once (crr, rr -c; cc -n); 0 when not planned (doctor)
  unsigned processes = 0;         // cc --processes; 0: one process and no flag to split it
  bool held = false;              // connections stay open (rr, cc): each keeps its local port
  bool fin = false;               // new connections close by FIN (crr --close fin), else RST
  double rate = 0;                // new connections/s; 0: as fast as they go
  std::uint64_t count = 0;        // new connections in all; 0: until the duration ends
  double duration_s = 0;
  std::uint64_t sources = 1, targets = 1;  // --bind addresses (1 when none), HOST:PORTs
  bool loopback = false;                   // every target is a loopback address
};

// The tuple arithmetic of a plan that opens new connections (rate, close, TIME_WAIT reuse).
TuplePlan tuple_plan(const Plan& plan, const HostLimits& host);

struct ConntrackBudget {
  long hold_s;            // the TIME_WAIT (FIN) or CLOSE (RST) timeout of a tracked entry
  std::uint64_t needed;   // entries the plan's rate leaves
  long room;              // nf_conntrack_max - nf_conntrack_count (negative: over)
};
// nullopt when nf_conntrack is not loaded.
std::optional<ConntrackBudget> conntrack_budget(const Plan& plan, const HostLimits& host);

enum class Severity {
  Problem,  // the planned run hits a limit (doctor: "cannot:", exit 1; a run: "warning:")
  Advice,   // worth changing on this host, not fatal (doctor: "advice:"; a run: silent)
};
struct Finding {
  Severity severity;
  std::string text;  // one line, without the "warning: " prefix
};

// Everything the plan and the host's limits give, problems of the plan and advice on the host.
std::vector<Finding> preflight(const Plan& plan, const HostLimits& host);

}  // namespace connperf::diag
