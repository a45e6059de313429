#include "diag/host_limits.h"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>
#include <tuple>

namespace connperf::diag {

std::optional<long> read_sysctl(const std::string& name) {
  std::ifstream in("/proc/sys/" + name);
  long v = 0;
  in >> v;
  if (!in) return std::nullopt;
  return v;
}

std::pair<int, int> local_port_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 32768, hi = 60999;
  in >> lo >> hi;
  return {lo, hi};
}

HostLimits read_host_limits() {
  HostLimits h;
  std::tie(h.port_lo, h.port_hi) = local_port_range();
  h.tw_reuse = read_sysctl("net/ipv4/tcp_tw_reuse");
  h.fin_timeout = read_sysctl("net/ipv4/tcp_fin_timeout");
  h.somaxconn = read_sysctl("net/core/somaxconn");
  h.syn_backlog = read_sysctl("net/ipv4/tcp_max_syn_backlog");
  h.conntrack_max = read_sysctl("net/netfilter/nf_conntrack_max");
  h.conntrack_count = read_sysctl("net/netfilter/nf_conntrack_count");
  h.conntrack_time_wait_s = read_sysctl("net/netfilter/nf_conntrack_tcp_timeout_time_wait");
  h.conntrack_close_s = read_sysctl("net/netfilter/nf_conntrack_tcp_timeout_close");
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0) {
    h.files_soft = r.rlim_cur;
    h.files_hard = r.rlim_max;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  h.cpus = ::sched_getaffinity(0, sizeof set, &set) == 0
               ? static_cast<unsigned>(CPU_COUNT(&set))
               : std::max(1u, std::thread::hardware_concurrency());
  return h;
}

TupleBudget tuple_budget(const TuplePlan& p) {
  constexpr double kTimeWaitS = 60;  // TCP_TIMEWAIT_LEN
  TupleBudget b{};
  b.hold_s = p.fin && !p.tw_reuse ? kTimeWaitS : 1;
  b.needed = static_cast<std::uint64_t>(std::ceil(p.rate * b.hold_s));
  b.available = p.ports * p.sources * p.targets;
  b.max_rate = static_cast<double>(b.available) / b.hold_s;
  return b;
}

std::uint64_t conntrack_needed(double rate, bool fin, long time_wait_s, long close_s) {
  const double hold_s = static_cast<double>(fin ? time_wait_s : close_s);
  return static_cast<std::uint64_t>(std::ceil(rate * hold_s));
}

}  // namespace connperf::diag
