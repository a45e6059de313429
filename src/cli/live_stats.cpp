#include "cli/live_stats.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>


namespace connperf::cli {

std::unique_ptr<server::StatsEndpoint> open_stats_endpoint(const std::string& spec,
                                                           server::Pages pages) {
  if (spec.empty()) return nullptr;
  net::SockAddr addr;
  try {
    const bool port_only =
        std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; });
    addr = net::resolve_endpoint(port_only ? "127.0.0.1:" + spec : spec);
  } catch (const net::AddressError& e) {
    throw UsageError(fmt::format("--stats-listen: {}", e.what()));
  }
  std::unique_ptr<server::StatsEndpoint> ep;
  try {
    ep = std::make_unique<server::StatsEndpoint>(addr, std::move(pages));
  } catch (const loop::ListenError& e) {
    throw RunError(fmt::format("--stats-listen: {}", e.what()));
  }
  const std::string at = ep->address().to_string();
  fmt::print(stderr, "stats on http://{}/metrics and http://{}/stats\n", at, at);
  return ep;
}

}  // namespace connperf::cli
