// Counters of one listener in one server worker (DESIGN.md section 3), written only by that
// worker's thread and sampled by the reporter; ListenerSnapshot is the plain copy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "stats/counter.h"

namespace connperf::stats {

// --tls: failed handshakes are also counted by the alert that ended them, by its description
// code: the alerts that end handshakes (sent by a server that refuses a ClientHello, or by a
// client that refuses the server's certificate), then one slot for any other code. A short
// list: the blocking models keep a ListenerStats per connection slot in shared memory.
inline constexpr std::array<std::uint8_t, 17> kTlsAlertCodes{
    10,  // unexpected message
    20,  // bad record mac
    22,  // record overflow
    40,  // handshake failure
    42,  // bad certificate
    45,  // certificate expired
    46,  // certificate unknown
    47,  // illegal parameter
    48,  // unknown CA
    50,  // decode error
    51,  // decrypt error
    70,  // protocol version
    71,  // insufficient security
    80,  // internal error
    109,  // missing extension
    112,  // unrecognized name
    120,  // no application protocol
};
inline constexpr std::size_t kAlertSlots = kTlsAlertCodes.size() + 1;
constexpr std::size_t alert_slot(int code) noexcept {
  for (std::size_t i = 0; i < kTlsAlertCodes.size(); ++i)
    if (kTlsAlertCodes[i] == code) return i;
  return kTlsAlertCodes.size();
}

struct ListenerSnapshot {
  std::uint64_t accepted = 0;
  std::uint64_t requests = 0;
  std::uint64_t rst = 0;
  std::uint64_t fin = 0;
  std::uint64_t closed_by_server = 0;
  std::uint64_t errors = 0;
  // --tls: handshakes done, full and resumed, and failed (the connection then ends as rst, fin
  // or errors, by how it failed: these three are not closing counters).
  std::uint64_t tls_full = 0;
  std::uint64_t tls_resumed = 0;
  std::uint64_t tls_failed = 0;
  // Of tls_failed, by alert slot (alert_slot): the alert the server sent, the one it received.
  std::array<std::uint64_t, kAlertSlots> alerts_sent{};
  std::array<std::uint64_t, kAlertSlots> alerts_received{};
  // --body: requests for a size the server was not given (answered 404; also in `requests`).
  std::uint64_t not_found = 0;

  // Open now: every accepted connection ends in exactly one of the four closing counters. A
  // gauge of totals since the start: an interval's difference has none (the connections it
  // closed may have been accepted before it), so it never goes below 0 there either.
  std::uint64_t active() const noexcept {
    const std::uint64_t closed = rst + fin + closed_by_server + errors;
    return accepted > closed ? accepted - closed : 0;
  }
  ListenerSnapshot& operator+=(const ListenerSnapshot& o) noexcept;
  ListenerSnapshot& operator-=(const ListenerSnapshot& earlier) noexcept;
};

struct ListenerStats {
  Counter accepted;
  Counter requests;
  Counter rst;
  Counter fin;
  Counter closed_by_server;
  Counter errors;
  Counter tls_full;
  Counter tls_resumed;
  Counter tls_failed;
  std::array<Counter, kAlertSlots> alerts_sent;
  std::array<Counter, kAlertSlots> alerts_received;
  Counter not_found;

  void snapshot(ListenerSnapshot& out) const noexcept;
};

}  // namespace connperf::stats
