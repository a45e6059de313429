#include "cli/common.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "diag/host_limits.h"
#include "diag/preflight.h"
#include "loop/event_loop.h"
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

nlohmann::json document(std::string_view command, nlohmann::json config) {
  return {{"tool", "connperf"},
          {"version", CONNPERF_VERSION},
          {"command", command},
          {"config", std::move(config)},
          {"intervals", nlohmann::json::array()},
          {"summary", nlohmann::json::object()}};
}

void write_json(const std::string& path, const nlohmann::json& doc) {
  if (path == "-") {
    std::cout << doc.dump(2) << std::endl;
    return;
  }
  std::ofstream out(path);
  out << doc.dump(2) << '\n';
  if (!out) throw RunError("cannot write JSON to " + path);
}


int exit_code_for(const stats::ClientSnapshot& total, double max_error_rate) {
  if (max_error_rate < 0 || total.started == 0) return kOk;
  const double rate =
      static_cast<double>(total.error_total()) / static_cast<double>(total.started);
  return rate > max_error_rate ? kErrorRate : kOk;
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
