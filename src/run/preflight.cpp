#include "run/preflight.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "diag/host_limits.h"
#include "load/connect.h"
#include "net/socket.h"
#include "run/errors.h"

namespace connperf::run {

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

void preflight_crr(const load::CrrSpec& spec, double duration) {
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

}  // namespace connperf::run
