// TCP socket-state census via NETLINK_SOCK_DIAG (inet_diag), the kernel interface ss uses.
// Owns the netlink dump for `connperf states`: counting per state, port/family filtering.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace connperf::diag {

// Kernel numbering (include/net/tcp_states.h).
enum class TcpState : std::uint8_t {
  Established = 1,
  SynSent,
  SynRecv,
  FinWait1,
  FinWait2,
  TimeWait,
  Close,
  CloseWait,
  LastAck,
  Listen,
  Closing,
  NewSynRecv
};
inline constexpr std::size_t kTcpStates = 14;  // index = kernel state number

// "ESTABLISHED", "SYN_SENT", ..., "NEW_SYN_RECV"; "UNKNOWN" for values outside the enum.
const char* to_string(TcpState s) noexcept;

struct StateCounts {
  std::array<std::uint64_t, kTcpStates> by_state{};
  std::uint64_t operator[](TcpState s) const noexcept {
    return by_state[static_cast<std::size_t>(s)];
  }
  std::uint64_t total() const noexcept;
};

// All set fields must match (they are ANDed).
struct StateFilter {
  std::optional<std::uint16_t> port;         // local OR remote port equals this
  std::optional<std::uint16_t> local_port;   // only local port
  std::optional<std::uint16_t> remote_port;  // only remote port
  bool ipv4 = true;
  bool ipv6 = true;
};

// Throws std::system_error when the netlink socket cannot be opened or answers with an error.
// NEW_SYN_RECV minisockets are counted as SYN_RECV, as ss shows them.
StateCounts count_tcp_states(const StateFilter& filter = {});

// TIME_WAIT sockets whose local (server) or remote (client) port is one of `ports`; nullopt
// when sock_diag cannot be asked.
std::optional<std::uint64_t> time_wait_on_ports(const std::vector<std::uint16_t>& ports,
                                                bool local);

}  // namespace connperf::diag
