// The host's (the calling thread's network namespace's) TCP MIB counters that explain why
// connections failed, from /proc/net/snmp and /proc/net/netstat: a pure parser of their text,
// a reader, differences, and the one limiter the differences point at when one is clear.
// Read by the reporting thread only (never on a worker's path).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace connperf::diag {

// By their /proc names (the JSON keys of intervals[].kernel and summary.kernel).
inline constexpr std::array<const char*, 11> kTcpMibNames = {
    "ActiveOpens",     "PassiveOpens", "AttemptFails", "EstabResets",    "OutRsts",
    "RetransSegs",     "ListenOverflows", "ListenDrops", "TCPTimeouts", "TCPAbortOnData",
    "TCPSynRetrans"};
enum class TcpMibKey : std::size_t {
  ActiveOpens, PassiveOpens, AttemptFails, EstabResets, OutRsts, RetransSegs, ListenOverflows,
  ListenDrops, TCPTimeouts, TCPAbortOnData, TCPSynRetrans,
};

struct TcpMib {
  std::array<std::uint64_t, kTcpMibNames.size()> v{};
  std::uint64_t operator[](TcpMibKey k) const noexcept { return v[static_cast<std::size_t>(k)]; }
  // This (later) minus an earlier reading; a counter that went back (a wrap) counts 0.
  TcpMib operator-(const TcpMib& earlier) const noexcept;
};

// Takes the counters of the "Tcp:" and "TcpExt:" tables (a header line of names followed by a
// line of values with the same prefix) in `text`, the content of /proc/net/snmp or
// /proc/net/netstat. Returns how many of kTcpMibNames were found.
std::size_t parse_tcp_mib(std::string_view text, TcpMib& into);

// /proc/thread-self/net/{snmp,netstat}: the namespace of the calling thread (after --netns).
// nullopt when neither file can be read.
std::optional<TcpMib> read_tcp_mib();

nlohmann::json tcp_mib_json(const TcpMib& delta);
// The failure counters that moved, for an interval line: "ListenOverflows +12 TCPSynRetrans +3"
// ("" when none did). ActiveOpens, PassiveOpens, OutRsts, EstabResets and TCPAbortOnData move
// with every connection or every RST close (SO_LINGER 0) and are left out.
std::string tcp_mib_moved(const TcpMib& delta);
// A block for the summary: every counter's difference over the run.
std::string tcp_mib_text(const TcpMib& delta);
// The likely limiter when the differences point at one ("ListenOverflows +12,345: the server's
// accept queue overflowed — raise --backlog / net.core.somaxconn"), else nullopt.
std::optional<std::string> likely_limiter(const TcpMib& delta);

}  // namespace connperf::diag
