// Counters of one proxy worker thread, written only by that thread and sampled by the reporter.
// Indexed by ProxyCount so snapshots, sums and differences are one loop each.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stats/counter.h"

namespace connperf::stats {

enum class ProxyCount : std::uint8_t {
  Accepted,          // client connections accepted (denied ones included)
  Denied,            // closed at once with 403: the client is outside --allow
  Closed,            // client connections ended, for any reason
  Requests,          // HTTP requests forwarded to an upstream
  Responses,         // upstream responses relayed to the client in full
  Tunnels,           // CONNECT tunnels established
  BytesUp,           // bytes written toward upstreams (heads included)
  BytesDown,         // bytes written toward clients
  UpstreamConnects,  // upstream connections established
  UpstreamReused,    // requests sent on an upstream connection kept from before
  ClientResets,      // a client reset or broke its connection mid-exchange
  UpstreamResets,    // an upstream reset or closed before its response ended
  // Replies the proxy made itself, by status.
  S400,
  S403,
  S405,
  S414,
  S431,
  S501,
  S502,
  S504,
  kCount
};
inline constexpr std::size_t kProxyCounts = static_cast<std::size_t>(ProxyCount::kCount);
inline constexpr std::size_t kFirstStatus = static_cast<std::size_t>(ProxyCount::S400);
inline constexpr int kProxyStatuses[] = {400, 403, 405, 414, 431, 501, 502, 504};

// JSON key of each count ("accepted", ..., then the statuses as "400", ...).
std::string_view proxy_count_name(std::size_t index) noexcept;
// The counter of a status the proxy replies with; S502 for one it does not know.
ProxyCount proxy_status_count(int status) noexcept;

struct ProxySnapshot {
  std::array<std::uint64_t, kProxyCounts> v{};

  std::uint64_t operator[](ProxyCount c) const noexcept { return v[static_cast<std::size_t>(c)]; }
  std::uint64_t active() const noexcept {
    return (*this)[ProxyCount::Accepted] - (*this)[ProxyCount::Closed];
  }
  std::uint64_t error_replies() const noexcept;
  ProxySnapshot& operator+=(const ProxySnapshot& o) noexcept;
  ProxySnapshot& operator-=(const ProxySnapshot& earlier) noexcept;
};

struct ProxyStats {
  std::array<Counter, kProxyCounts> c;

  void add(ProxyCount which, std::uint64_t n = 1) noexcept {
    c[static_cast<std::size_t>(which)].add(n);
  }
  void snapshot(ProxySnapshot& out) const noexcept;
};

}  // namespace connperf::stats
