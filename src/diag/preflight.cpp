#include "diag/preflight.h"

#include <algorithm>

#include <fmt/format.h>

#include "stats/format.h"

namespace connperf::diag {

namespace {

using Findings = std::vector<Finding>;

std::string n(std::uint64_t v) { return stats::format_count(v); }
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }
std::uint64_t port_count(const HostLimits& h) {
  return static_cast<std::uint64_t>(std::max(1, h.port_hi - h.port_lo + 1));
}

void host_advice(const HostLimits& h, Findings& out) {
  const std::uint64_t ports = port_count(h);
  if (ports < 10'000)
    out.push_back({Severity::Advice,
                   fmt::format("only {} local ports: widen net.ipv4.ip_local_port_range "
                               "(e.g. sysctl -w net.ipv4.ip_local_port_range='1024 65535')",
                               ports)});
  if (h.somaxconn && *h.somaxconn < 4096)
    out.push_back({Severity::Advice,
                   fmt::format("net.core.somaxconn is {}: a server's accept queue holds at "
                               "most that; raise it to 4096 or more",
                               *h.somaxconn)});
  if (h.files_hard < 65536)
    out.push_back({Severity::Advice,
                   fmt::format("RLIMIT_NOFILE hard limit {}: at most about {} connections per "
                               "process (ulimit -Hn, or limits.conf)",
                               n(h.files_hard),
                               n(h.files_hard - std::min(h.files_hard, kOpenFileHeadroom)))});
}

// A run raises its soft open-file limit to the hard one, so the hard limit is what it gets.
void open_files(const Plan& p, const HostLimits& h, Findings& out) {
  const std::uint64_t limit = h.files_hard;
  if (p.connections == 0 || limit == 0) return;
  const std::uint64_t per = ceil_div(p.connections, std::max(1u, p.processes));
  if (per + kOpenFileHeadroom <= limit) return;
  out.push_back({Severity::Problem,
                 p.processes > 0
                     ? fmt::format("{} connections per process exceed the open-file limit ({}); "
                                   "expect EMFILE errors (use --processes to split them)",
                                   per, limit)
                     : fmt::format("{} connections exceed the open-file limit ({}); expect "
                                   "EMFILE errors (fewer connections, or raise the hard limit: "
                                   "ulimit -Hn)",
                                   per, limit)});
}

// connect() tries the ports of one parity first (the other half is left to bind()); once that
// half is taken for a source address and target, every connect walks it in vain. Each held
// connection keeps one tuple: a budget of `connections` tuples over half the range.
void held_ports(const Plan& p, const HostLimits& h, Findings& out) {
  TuplePlan t;
  t.rate = static_cast<double>(p.connections);
  t.ports = port_count(h) / 2;
  t.sources = p.sources;
  t.targets = p.targets;
  if (tuple_budget(t).fits()) return;
  out.push_back({Severity::Problem,
                 fmt::format("{} connections per source address and target take more than half "
                             "the local port range {}-{}; past about {} the kernel's port search "
                             "makes connect() slow (add --bind addresses or widen "
                             "net.ipv4.ip_local_port_range)",
                             ceil_div(p.connections, p.sources * p.targets), h.port_lo,
                             h.port_hi, t.ports)});
}

std::string over_rate(const Plan& p, const TuplePlan& t, const TupleBudget& b) {
  const std::uint64_t sources_needed = ceil_div(b.needed, std::max<std::uint64_t>(1, t.ports * t.targets));
  return fmt::format(
      "{} new connections/s need {} tuples but only {} are available: lower --rate to {}, "
      "{}use {} --bind source addresses, or widen net.ipv4.ip_local_port_range",
      n(static_cast<std::uint64_t>(p.rate)), n(b.needed), n(b.available),
      n(static_cast<std::uint64_t>(b.max_rate)), p.fin ? "use --close rst, " : "",
      sources_needed);
}

// New connections: each holds its (source, port, target) tuple for tuple_budget's hold time.
void churn_ports(const Plan& p, const HostLimits& h, Findings& out) {
  const TuplePlan t = tuple_plan(p, h);
  const TupleBudget b = tuple_budget(t);
  if (p.count > 0 && p.count <= b.available) return;  // never more tuples than connections
  if (p.rate > 0) {
    if (!b.fits()) out.push_back({Severity::Problem, over_rate(p, t, b)});
    return;
  }
  // As fast as they go: only a 60 s hold is sure to run out (470/s on Linux's default range).
  const bool long_run = p.count > b.available || (p.count == 0 && p.duration_s > 1);
  if (b.hold_s > 1 && long_run)
    out.push_back({Severity::Problem,
                   fmt::format("--close fin leaves every connection in TIME_WAIT for 60 s; {} "
                               "local ports carry about {:.0f} new connections/s. Use --close "
                               "rst or more --bind addresses to avoid running out "
                               "(addr_unavailable)",
                               b.available, b.max_rate)});
}

// Tracking costs entries only where something uses it: count > 0 in this namespace.
void conntrack(const Plan& p, const HostLimits& h, Findings& out) {
  const std::optional<ConntrackBudget> c = conntrack_budget(p, h);
  if (!c || p.rate <= 0) return;
  if (c->room >= 0 && c->needed <= static_cast<std::uint64_t>(c->room)) return;
  std::string why = fmt::format(
      "the run leaves {} conntrack entries but nf_conntrack_max leaves room for {}: raise "
      "net.netfilter.nf_conntrack_max or lower --rate",
      n(c->needed), c->room);
  if (h.conntrack_count.value_or(0) > 0)
    out.push_back({Severity::Problem, std::move(why)});
  else
    out.push_back({Severity::Advice, std::move(why) + " (if connection tracking is in use here)"});
}

}  // namespace

bool tw_reuse_applies(std::optional<long> tw_reuse, bool loopback) noexcept {
  const long v = tw_reuse.value_or(2);
  return v == 1 || (v == 2 && loopback);
}

TuplePlan tuple_plan(const Plan& plan, const HostLimits& host) {
  TuplePlan t;
  t.rate = plan.rate;
  t.fin = plan.fin;
  t.tw_reuse = tw_reuse_applies(host.tw_reuse, plan.loopback);
  t.ports = port_count(host);
  t.sources = std::max<std::uint64_t>(1, plan.sources);
  t.targets = std::max<std::uint64_t>(1, plan.targets);
  return t;
}

std::optional<ConntrackBudget> conntrack_budget(const Plan& plan, const HostLimits& host) {
  if (!host.conntrack_max) return std::nullopt;
  ConntrackBudget c{};
  c.hold_s = plan.fin ? host.conntrack_time_wait_s.value_or(120)
                      : host.conntrack_close_s.value_or(10);
  c.needed = conntrack_needed(plan.rate, plan.fin, c.hold_s, c.hold_s);
  c.room = *host.conntrack_max - host.conntrack_count.value_or(0);
  return c;
}

std::vector<Finding> preflight(const Plan& plan, const HostLimits& host) {
  Plan p = plan;
  p.sources = std::max<std::uint64_t>(1, p.sources);
  p.targets = std::max<std::uint64_t>(1, p.targets);
  Findings out;
  host_advice(host, out);
  open_files(p, host, out);
  if (p.held) {
    held_ports(p, host, out);
    return out;
  }
  churn_ports(p, host, out);
  conntrack(p, host, out);
  return out;
}

}  // namespace connperf::diag
