// --log-connections: the record of one connection (ConnRecord), the bounded single-producer,
// single-consumer ring a worker hands its records through (ConnRing), the worker's side of it
// (ConnLogger: sampling, drops) and the set of rings of one run (ConnLog), the client's (crr,
// rr, cc) and the server's. A worker never waits for the writer: a full ring drops the record
// and counts it. ConnLogger and ConnRing::push are the worker's thread's (or process's: rings
// made `shared` live in memory a forked child shares); ConnRing::pop is the writer's; dropped()
// any thread.
#pragma once

#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stats/client_stats.h"
#include "stats/counter.h"

namespace connperf::stats {

// How a connection ended: a summary error cause (ErrorKind, same order and names), or one of
// these beyond them.
enum class ConnEnd : std::uint8_t {
  Completed = static_cast<std::uint8_t>(ErrorKind::Count),  // crr: its response came in full
  Aborted,     // still in flight when the run stopped (the summary's `aborted`)
  Closed,      // rr: closed by us after its last request completed (the run ended, or the
               // response asked for the close); cc: closed by the ramp-down
  PeerClosed,  // rr: the peer closed it while idle (no request lost, no error counted)
  Lost,        // cc: established, then ended during the hold (the summary's `lost`)
  Survived,    // cc: still held when the run ended (the summary's `survived`)
  // server: the counter the connection ended in (the summary's names)
  Rst,             // the peer reset it
  Fin,             // the peer closed it (its FIN)
  ClosedByServer,  // closed by the server (idle timeout, a closing reply, the stop)
  ServerErrors,    // "errors": a bad request refused, a failed send or accept path
};
// server: why, beyond the counter it ended in (none when the counter says it all).
enum class EndDetail : std::uint8_t {
  None,
  IdleTimeout,      // closed_by_server: nothing came, or nothing was taken, for --idle-timeout
  Stopped,          // closed_by_server: still open when the server stopped
  Drained,          // closed_by_server: after our FIN at the drain
  ConnectionClose,  // closed_by_server: the request asked for the close (Connection: close)
  BadRequest,       // errors: answered 400
  NotImplemented,   // errors: answered 501 (a transfer coding other than chunked)
  TlsFailed,        // the TLS handshake failed (the summary's tls_failed)
};
const char* to_string(EndDetail d) noexcept;  // "idle_timeout", …; "" for None
inline constexpr std::uint8_t to_end(ErrorKind k) noexcept { return static_cast<std::uint8_t>(k); }
inline constexpr std::uint8_t to_end(ConnEnd e) noexcept { return static_cast<std::uint8_t>(e); }
const char* conn_end_name(std::uint8_t end) noexcept;  // "refused", …, "completed", "aborted"

inline constexpr std::uint32_t kNoLatency = UINT32_MAX;
// A latency for a record: ns to µs, kept below kNoLatency.
constexpr std::uint32_t record_us(std::uint64_t ns) noexcept {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(ns / 1000, kNoLatency - 1));
}

// What getsockopt(TCP_INFO) said just before the close (--tcp-info).
struct TcpInfoFields {
  std::uint32_t rtt_us = 0;
  std::uint32_t rttvar_us = 0;
  std::uint32_t total_retrans = 0;
  std::uint32_t snd_cwnd = 0;
  std::uint32_t lost = 0;
  std::uint8_t retransmits = 0;  // retransmissions of the segment in flight now
  std::uint8_t state = 0;        // TCP_ESTABLISHED, …
  bool valid = false;
};

// Reads TCP_INFO of `fd` into `out` (valid stays false when it fails).
void read_tcp_info(int fd, TcpInfoFields& out) noexcept;

// One connection. Latencies in µs, kNoLatency when the phase did not happen. A server's record
// (the server's rings) reads: start_ns and end_ns monotonic (the writer makes them relative),
// source the peer, local its local address, tls_us accept to handshake done, ttfb_us accept to
// the first request byte, ttlb_us that byte to the replies it earned handed to the kernel,
// target the listener.
struct ConnRecord {
  std::uint64_t start_ns = 0;  // since the run's start (t0): the attempt's (scheduled) start
  std::uint64_t end_ns = 0;    // since t0: when it ended
  sockaddr_in6 source{};       // sin6_family AF_INET: a sockaddr_in; AF_UNSPEC: unknown
  sockaddr_in6 local{};        // server: the connection's local address; client: unused
  std::uint32_t connect_us = kNoLatency;
  std::uint32_t tls_us = kNoLatency;
  std::uint32_t ttfb_us = kNoLatency;
  std::uint32_t ttlb_us = kNoLatency;
  std::uint32_t requests = 0;  // completed on it
  std::int16_t sys_errno = 0;  // for `other`
  std::uint16_t target = 0;    // index into the spec's targets
  std::uint8_t end = 0;        // ErrorKind or ConnEnd
  std::uint8_t worker = 0;
  EndDetail detail = EndDetail::None;  // server
  TcpInfoFields tcp;
};

// A record's common part: start and end (monotonic ns) made relative to the run's t0, target, end
// and errno; `t_est` (0: never established) gives connect_us from `start`.
ConnRecord conn_record(std::uint64_t t0, std::uint64_t start, std::uint64_t t_est,
                       std::uint64_t now, std::uint16_t target, std::uint8_t end,
                       int sys_errno) noexcept;

// A bounded SPSC ring of records (capacity a power of two). push never blocks: when full it
// counts a drop.
class ConnRing {
 public:
  explicit ConnRing(std::size_t capacity);
  // On `capacity` (a power of two) records at `buf`, owned by the caller.
  ConnRing(ConnRecord* buf, std::size_t capacity) noexcept;
  bool push(const ConnRecord& r) noexcept;       // producer
  std::size_t pop(ConnRecord* out, std::size_t max) noexcept;  // consumer; how many
  std::uint64_t dropped() const noexcept { return dropped_.get(); }

 private:
  std::vector<ConnRecord> own_;
  ConnRecord* buf_;
  std::size_t mask_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // written by the producer
  std::uint64_t tail_cache_ = 0;                    // producer's last view of tail_
  Counter dropped_;                                 // producer
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // written by the consumer
};

// The rings of one run, one per worker, what the workers are asked to log and where it goes.
// The rings live in one anonymous mapping (pages are touched as records come): `shared` maps
// it MAP_SHARED, so processes forked after it push into the rings the writer reads.
class ConnLog {
 public:
  static constexpr std::size_t kRingCapacity = 8192;
  ConnLog(std::string path, unsigned workers, std::uint32_t sample, bool tcp_info,
          std::size_t ring_capacity = kRingCapacity, bool shared = false);
  ~ConnLog();
  ConnLog(const ConnLog&) = delete;
  ConnLog& operator=(const ConnLog&) = delete;
  // Replaces the rings (before any worker or the writer starts): an engine that knows its
  // workers only once built (the server: its threads, or its connection slots).
  void make_rings(unsigned workers, std::size_t capacity, bool shared);
  // A view of `count` of the rings from `first` (cc --processes: a forked worker process's
  // share of rings made `shared`); its workers log as workers first... of the whole. The view
  // owns nothing: the rings stay this log's, which must outlive it.
  std::shared_ptr<ConnLog> slice(unsigned first, unsigned count) const;
  unsigned first_worker() const noexcept { return first_; }
  const std::string& path() const noexcept { return path_; }
  ConnRing& ring(unsigned worker) noexcept { return rings_[worker]; }
  unsigned workers() const noexcept { return workers_; }
  std::uint32_t sample() const noexcept { return sample_; }
  bool tcp_info() const noexcept { return tcp_info_; }
  std::uint64_t dropped() const noexcept;  // over the rings

 private:
  void free_rings() noexcept;

  std::string path_;
  ConnRing* rings_ = nullptr;  // in map_, followed by their records
  unsigned workers_ = 0;
  unsigned first_ = 0;  // a slice's first worker
  void* map_ = nullptr;
  std::size_t map_bytes_ = 0;
  std::uint32_t sample_;
  bool tcp_info_;
};

// A worker's side: whether each new connection is logged (its 1st, then every sample-th, counted
// per worker), its source address taken when it connects (so a refused one has it too), and the
// hand-over with TCP_INFO read before the close. Off (no log) pick() is a load and a branch.
class ConnLogger {
 public:
  ConnLogger() = default;
  // `slots`: the worker's connection slots (the index passed to opened and put).
  ConnLogger(ConnLog* log, unsigned worker, std::size_t slots);
  bool on() const noexcept { return ring_ != nullptr; }
  bool tcp_info() const noexcept { return tcp_info_; }
  bool pick() noexcept {  // the next connection: logged?
    if (ring_ == nullptr || --countdown_ != 0) return false;
    countdown_ = sample_;
    return true;
  }
  void opened(std::uint32_t slot, int fd);  // connect() was called on `fd` (-1: no socket)
  // The record of slot `slot` (kNoSlot: an attempt that never had a socket), `fd` still open
  // (or -1). Drops it, counted, when the ring is full.
  void put(std::uint32_t slot, int fd, ConnRecord& r) noexcept;
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;

 private:
  ConnRing* ring_ = nullptr;
  std::vector<sockaddr_in6> sources_;
  std::uint32_t sample_ = 1;
  std::uint32_t countdown_ = 1;
  std::uint8_t worker_ = 0;
  bool tcp_info_ = false;
};

}  // namespace connperf::stats
