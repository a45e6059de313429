// Counters and latency histograms of one load worker (crr), written only by that worker's thread
// and sampled by the reporter; ClientSnapshot is the plain copy that printers and JSON use.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "net/error.h"
#include "stats/counter.h"
#include "stats/histogram.h"

namespace connperf::stats {

// Why an attempt ended without completing (DESIGN.md section 3).
enum class ErrorKind : std::uint8_t {
  Refused,
  Timeout,
  Reset,
  Unreachable,
  AddrUnavailable,
  ClosedEarly,
  BadResponse,  // the reply did not frame as the configured protocol
  TlsFailed,    // --tls: the handshake or a record failed (an alert, a protocol error)
  TlsVerify,    // --tls --verify: the server's certificate did not verify
  NotTls,       // --tls: the server answered in plaintext
  Status,       // --object: a status other than 200 (a size the server lacks: 404)
  BodyShort,    // --object: a body shorter than the size asked for
  BodyLong,     // --object: a body longer than the size asked for
  Other,        // broken down further by errno
  Count,
};
inline constexpr std::size_t kErrorKinds = static_cast<std::size_t>(ErrorKind::Count);
inline constexpr int kMaxErrno = 134;  // errno values tracked one by one under `other`
inline constexpr std::size_t kMaxObjectSizes = 16;  // --object: sizes counted one by one

// --object: per size asked for (by its index in the list), what completed and its body bytes.
struct ObjectCounts {
  std::uint64_t size = 0;  // 0: no such size
  std::uint64_t completed = 0;
  std::uint64_t body_bytes = 0;
};

inline constexpr int kTlsAlerts = 256;  // --tls: the peer's alerts, by description code

const char* to_string(ErrorKind kind) noexcept;
ErrorKind error_kind(net::Err err) noexcept;

struct ClientSnapshot {
  std::uint64_t started = 0;
  std::uint64_t completed = 0;
  std::uint64_t in_flight = 0;
  // Response body bytes of what completed (goodput, RFC 9411), in total and per --object size.
  std::uint64_t body_bytes = 0;
  std::array<ObjectCounts, kMaxObjectSizes> objects{};
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::array<std::uint64_t, kMaxErrno> other_errno{};
  Histogram connect_us;
  Histogram response_us;
  Histogram total_us;
  // RFC 9411's time to first and to last byte: crr from the connect() call, rr from the
  // request's send (rr's ttlb is its response_us and is not kept twice).
  Histogram ttfb_us;
  Histogram ttlb_us;
  // --tls: handshakes done, full and resumed, and their time (connect to handshake done).
  std::uint64_t tls_full = 0;
  std::uint64_t tls_resumed = 0;
  Histogram tls_us;
  std::array<std::uint64_t, kTlsAlerts> tls_alerts{};  // failed handshakes by the peer's alert

  std::uint64_t error_total() const noexcept;
  ClientSnapshot& operator+=(const ClientSnapshot& o) noexcept;
  // Interval figures: this (later) minus an earlier snapshot of the same source. in_flight keeps
  // the later value.
  ClientSnapshot& operator-=(const ClientSnapshot& earlier) noexcept;
};

class ClientStats {
 public:
  void started() noexcept { started_.add(); }
  void completed() noexcept { completed_.add(); }
  void body(std::uint64_t bytes) noexcept { body_bytes_.add(bytes); }
  // --object: the sizes, once before the run; then per completion its size's index and bytes.
  void set_object_sizes(const std::vector<std::uint64_t>& sizes) noexcept;
  void object_done(std::size_t index, std::uint64_t bytes) noexcept {
    object_completed_[index].add();
    object_bytes_[index].add(bytes);
  }
  void error(ErrorKind kind, int sys_errno) noexcept;
  void set_in_flight(std::uint64_t n) noexcept { in_flight_.store(n, std::memory_order_relaxed); }
  Histogram& connect_us() noexcept { return connect_us_; }
  Histogram& response_us() noexcept { return response_us_; }
  Histogram& total_us() noexcept { return total_us_; }
  Histogram& tls_us() noexcept { return tls_us_; }
  Histogram& ttfb_us() noexcept { return ttfb_us_; }
  Histogram& ttlb_us() noexcept { return ttlb_us_; }
  void handshake_done(bool resumed) noexcept { (resumed ? tls_resumed_ : tls_full_).add(); }
  // A handshake failed on the peer's alert (besides its error, tls_failed).
  void tls_alert(int alert) noexcept {
    if (alert >= 0 && alert < kTlsAlerts) tls_alerts_[static_cast<std::size_t>(alert)].add();
  }

  void snapshot(ClientSnapshot& out) const noexcept;  // any thread

 private:
  Counter started_;
  Counter completed_;
  Counter body_bytes_;
  std::array<std::uint64_t, kMaxObjectSizes> object_size_{};
  std::array<Counter, kMaxObjectSizes> object_completed_;
  std::array<Counter, kMaxObjectSizes> object_bytes_;
  std::atomic<std::uint64_t> in_flight_{0};
  std::array<Counter, kErrorKinds> errors_;
  std::array<Counter, kMaxErrno> other_errno_;
  Histogram connect_us_;
  Histogram response_us_;
  Histogram total_us_;
  Histogram ttfb_us_;
  Histogram ttlb_us_;
  Counter tls_full_;
  Counter tls_resumed_;
  Histogram tls_us_;
  std::array<Counter, kTlsAlerts> tls_alerts_;
};

}  // namespace connperf::stats
