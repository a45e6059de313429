#include "diag/states_report.h"

#include <fmt/format.h>

#include "stats/format.h"

namespace connperf::diag {

namespace {

// The states shown, in the order a connection lives through them.
constexpr TcpState kShown[] = {
    TcpState::Listen,   TcpState::SynSent,   TcpState::SynRecv,  TcpState::Established,
    TcpState::FinWait1, TcpState::FinWait2,  TcpState::TimeWait, TcpState::CloseWait,
    TcpState::LastAck,  TcpState::Closing,   TcpState::Close,
};

}  // namespace

nlohmann::json states_json(const StateCounts& c) {
  nlohmann::json j = nlohmann::json::object();
  for (TcpState s : kShown) j[to_string(s)] = c[s];
  return j;
}

std::string states_header() {
  std::string h = fmt::format("{:>7}", "time");
  for (TcpState s : kShown) h += fmt::format(" {:>11}", to_string(s));
  return h;
}

std::string states_line(double t, const StateCounts& c) {
  std::string line = fmt::format("{:>6.1f}s", t);
  for (TcpState s : kShown) line += fmt::format(" {:>11}", stats::format_count(c[s]));
  return line;
}

std::string states_block(const StateCounts& c, const std::string& scope) {
  std::string out = fmt::format("TCP sockets {}\n", scope);
  for (TcpState s : kShown)
    out += fmt::format("  {:<12}{:>10}\n", to_string(s), stats::format_count(c[s]));
  out += fmt::format("  {:<12}{:>10}\n", "total", stats::format_count(c.total()));
  return out;
}

}  // namespace connperf::diag
