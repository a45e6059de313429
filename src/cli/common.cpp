#include "cli/common.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "diag/host_limits.h"
#include "diag/preflight.h"
#include "ranks/comm.h"
#include "run/server_stats.h"
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
        return run::with_server_stats(prepare(), to.server_stats);
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

diag::Plan plan_over(diag::Plan plan, const load::Targets& where) {
  plan.sources = std::max<std::size_t>(1, where.binds.size());
  plan.targets = std::max<std::size_t>(1, where.targets.size());
  plan.loopback = !where.targets.empty() &&
                  std::all_of(where.targets.begin(), where.targets.end(),
                              [](const load::Target& t) { return t.addr.is_loopback(); });
  return plan;
}

void preflight(diag::Plan plan, const load::Targets& where) {
  net::raise_open_file_limit();
  const diag::HostLimits host = diag::read_host_limits();
  for (const diag::Finding& f : diag::preflight(plan_over(plan, where), host))
    if (f.severity == diag::Severity::Problem) fmt::print(stderr, "warning: {}\n", f.text);
}

void preflight_warnings(const load::CrrSpec& spec, double duration) {
  diag::Plan plan;
  plan.connections = spec.concurrency;
  plan.fin = spec.close == load::CloseMode::Fin;
  plan.rate = spec.rate;
  plan.count = spec.count;
  plan.duration_s = duration;
  preflight(plan, spec);
}

void preflight_held(const load::Targets& spec, std::uint64_t count, unsigned processes) {
  diag::Plan plan;
  plan.connections = count;
  plan.processes = processes;
  plan.held = true;
  preflight(plan, spec);
}

}  // namespace connperf::cli
