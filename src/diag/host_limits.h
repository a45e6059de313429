// The host's (this network namespace's) limits on a connection-rate run, read from /proc/sys,
// getrlimit and the CPU set, and the tuple budget of a planned run as pure arithmetic.
// diag/preflight.h judges a plan with them, for `doctor` and for the warnings before a crr, rr,
// cc or models run alike; never on a worker's path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace connperf::diag {

// An integer /proc/sys file (e.g. "net/core/somaxconn"), nullopt when absent or unreadable.
std::optional<long> read_sysctl(const std::string& name);
std::pair<int, int> local_port_range();  // net.ipv4.ip_local_port_range, default 32768-60999

struct HostLimits {
  int port_lo = 32768, port_hi = 60999;
  std::optional<long> tw_reuse, fin_timeout, somaxconn, syn_backlog;
  std::optional<long> conntrack_max, conntrack_count;  // when nf_conntrack is loaded
  std::optional<long> conntrack_time_wait_s, conntrack_close_s;
  std::uint64_t files_soft = 0, files_hard = 0;  // RLIMIT_NOFILE
  unsigned cpus = 1;
};
HostLimits read_host_limits();

// A planned crr-style run: `rate` new connections/s closed by FIN or RST, from `sources`
// addresses to `targets` HOST:PORTs, `ports` local ports per pair.
struct TuplePlan {
  double rate = 0;
  bool fin = false;
  bool tw_reuse = false;  // TIME_WAIT ports are reused for new connects (tcp_tw_reuse applies)
  std::uint64_t ports = 0, sources = 1, targets = 1;
};
struct TupleBudget {
  double hold_s;            // how long each connection holds its (source, port, target) tuple
  std::uint64_t needed;     // rate × hold_s
  std::uint64_t available;  // ports × sources × targets
  double max_rate;          // available / hold_s
  bool fits() const noexcept { return needed <= available; }
};
// FIN close: the client's side sits in TIME_WAIT for 60 s (fixed in Linux), unless tcp_tw_reuse
// lets connect() take a TIME_WAIT port older than 1 s. RST close: a tuple is held while the
// connection lives, counted as 1 s.
TupleBudget tuple_budget(const TuplePlan& plan);

// Conntrack entries a run leaves: rate × the TIME_WAIT (FIN) or CLOSE (RST) timeout.
std::uint64_t conntrack_needed(double rate, bool fin, long time_wait_s, long close_s);

}  // namespace connperf::diag
