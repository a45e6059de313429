#include "cli/common.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/live_stats.h"
#include "diag/host_limits.h"
#include "ranks/comm.h"
#include "loop/event_loop.h"
#include "load/connect.h"
#include "net/socket.h"

namespace connperf::cli {

std::vector<load::Target> parse_targets(const std::vector<std::string>& specs) {
  std::vector<load::Target> out;
  for (const auto& s : specs) {
    try {
      out.push_back({net::resolve_endpoint(s), s});
    } catch (const net::AddressError& e) {
      throw UsageError(e.what());
    }
  }
  if (out.size() > 65535) throw UsageError("too many targets (at most 65535)");
  return out;
}

std::vector<net::SockAddr> parse_binds(const std::vector<std::string>& specs) {
  std::vector<net::SockAddr> out;
  for (const auto& s : specs) {
    try {
      for (auto& a : net::parse_bind_spec(s)) out.push_back(a);
    } catch (const net::AddressError& e) {
      throw UsageError(std::string("--bind: ") + e.what());
    }
    if (out.size() > net::kMaxBindAddresses)
      throw UsageError("--bind: more than 65536 source addresses in total");
  }
  return out;
}

std::vector<net::SockAddr> parse_listen(const std::vector<std::string>& specs) {
  std::vector<net::SockAddr> out;
  for (const auto& s : specs) {
    try {
      out.push_back(net::resolve_endpoint(s));
    } catch (const net::AddressError& e) {
      throw UsageError(std::string("--listen: ") + e.what());
    }
  }
  return out;
}

int run_load(const std::function<run::Prepared()>& prepare, const TargetFlags& to,
             StopSignals& signals) {
  return run::run_prepared(
      [&] {
        if (!to.server_stats.empty() && ranks::world().size() > 1)
          throw UsageError("--server-stats does not run under mpirun yet");
        return with_server_stats(prepare(), to);
      },
      signals);
}

std::vector<unsigned> parse_sweep(const std::string& flag, const std::string& text) {
  std::vector<unsigned> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || ec != std::errc{} || end != item.data() + item.size() || n == 0)
      throw UsageError(flag + ": '" + text + "' is not a list of connection counts (e.g. 50,100)");
    out.push_back(n);
    start = comma + 1;
  }
  return out;
}

void check_sources(const load::Targets& spec) {
  if (const std::string why = load::unusable_source(spec); !why.empty()) throw RunError(why);
}

void preflight_warnings(const load::CrrSpec& spec, double duration) {
  const long files = net::raise_open_file_limit();
  if (files > 0 && spec.concurrency + 64 > static_cast<unsigned long>(files))
    fmt::print(stderr,
               "warning: {} connections in flight exceed the open-file limit ({}); expect "
               "EMFILE errors (lower -c or raise ulimit -n)\n",
               spec.concurrency, files);
  const auto [lo, hi] = diag::local_port_range();
  const double ports = static_cast<double>(hi - lo + 1) *
                       static_cast<double>(std::max<std::size_t>(1, spec.binds.size())) *
                       static_cast<double>(spec.targets.size());
  if (spec.close != load::CloseMode::Fin) return;
  // A FIN close leaves the client's side in TIME_WAIT for 60 s, holding its local port.
  const bool loopback_reuse =
      diag::read_sysctl("net/ipv4/tcp_tw_reuse").value_or(2) != 0 &&
      std::all_of(spec.targets.begin(), spec.targets.end(),
                  [](const load::Target& t) { return t.addr.is_loopback(); });
  const double carry = ports / 60.0;
  const bool too_fast = spec.rate > carry ||
                        (spec.count > 0 && static_cast<double>(spec.count) > ports) ||
                        (spec.rate == 0 && spec.count == 0 && duration > 1);
  if (too_fast && !loopback_reuse)
    fmt::print(stderr,
               "warning: --close fin leaves every connection in TIME_WAIT for 60 s; {} local "
               "ports carry about {:.0f} new connections/s. Use --close rst or more --bind "
               "addresses to avoid running out (addr_unavailable)\n",
               static_cast<long>(ports), carry);
}

void preflight_held(const load::Targets& spec, std::uint64_t count, unsigned processes) {
  const long files = net::raise_open_file_limit();
  const std::uint64_t per_process = (count + processes - 1) / processes;
  if (files > 0 && per_process + 64 > static_cast<std::uint64_t>(files))
    fmt::print(stderr,
               "warning: {} connections per process exceed the open-file limit ({}); expect "
               "EMFILE errors (use --processes to split them)\n",
               per_process, files);
  // connect() tries the ports of one parity first (the other half is left to bind()); once
  // that half is taken for a source address and target, every connect walks it in vain.
  const auto [lo, hi] = diag::local_port_range();
  const std::uint64_t pairs = std::max<std::size_t>(1, spec.binds.size()) * spec.targets.size();
  const std::uint64_t half = static_cast<std::uint64_t>(hi - lo + 1) / 2;
  if (count / pairs > half)
    fmt::print(stderr,
               "warning: {} connections per source address and target take more than half the "
               "local port range {}-{}; past about {} the kernel's port search makes connect() "
               "slow (add --bind addresses or widen net.ipv4.ip_local_port_range)\n",
               count / pairs, lo, hi, half);
}

}  // namespace connperf::cli
