#include "cli/common.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "ranks/comm.h"
#include "run/server_stats.h"
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

void check_modes(const Modes& m) {
  if (m.search && m.sweep) throw UsageError("--search and --sweep: one at a time");
  const char* stepped = m.search ? "--search" : m.sweep ? "--sweep" : nullptr;
  if (m.lab && stepped) throw UsageError(fmt::format("lab run: {} does not run here", stepped));
  if (m.lab && m.server_stats)
    throw UsageError("lab run: no --server-stats here: lab run reconciles with its own server");
  if (m.server_stats && stepped)
    throw UsageError(fmt::format("--server-stats: not with {}", stepped));
  if (m.hold && stepped)
    throw UsageError(fmt::format("--hold: not with {} yet", stepped));
  if (m.phases && stepped)
    throw UsageError(fmt::format("--ramp-up/--sustain/--ramp-down: not with {} (each step is one "
                                 "run at one load)", stepped));
  if (m.criteria && stepped)
    throw UsageError(fmt::format("--criteria judges one run, not {} (its bounds: --max-error-rate, "
                                 "--max-p99)", stepped));
  if (m.hdr_log && stepped)
    throw UsageError(fmt::format("--hdr-log: not with {} yet (it logs the intervals of one run)",
                                 stepped));
  if (m.conn_log && stepped)
    throw UsageError(fmt::format("--log-connections: not with {} yet (it logs one run)", stepped));
  if (m.ranks && stepped) throw UsageError(fmt::format("{} does not run under mpirun yet", stepped));
  if (m.ranks && m.server_stats) throw UsageError("--server-stats does not run under mpirun yet");
}

int run_load(const std::function<run::Prepared()>& prepare, const TargetFlags& to,
             StopSignals& signals) {
  return run::run_prepared(
      [&] { return run::with_server_stats(prepare(), to.server_stats); },
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

nlohmann::json read_result(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw RunError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception&) {
    throw UsageError(path + ": not a connperf result document (not JSON)");
  }
}

}  // namespace connperf::cli
