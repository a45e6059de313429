// --log-connections: the record of one connection (ConnRecord), the bounded single-producer,
// single-consumer ring a worker hands its records through (ConnRing), the worker's side of it
// (ConnLogger: sampling, drops) and the set of rings of one run (ConnLog). A worker never waits
// for the writer: a full ring drops the record and counts it. ConnLogger and ConnRing::push are
// the worker's thread's; ConnRing::pop is the writer's; dropped() any thread.
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
};
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

// One connection. Latencies in µs, kNoLatency when the phase did not happen.
struct ConnRecord {
  std::uint64_t start_ns = 0;  // since the run's start (t0): the attempt's (scheduled) start
  std::uint64_t end_ns = 0;    // since t0: when it ended
  sockaddr_in6 source{};       // sin6_family AF_INET: a sockaddr_in; AF_UNSPEC: unknown
  std::uint32_t connect_us = kNoLatency;
  std::uint32_t tls_us = kNoLatency;
  std::uint32_t ttfb_us = kNoLatency;
  std::uint32_t ttlb_us = kNoLatency;
  std::uint32_t requests = 0;  // completed on it
  std::int16_t sys_errno = 0;  // for `other`
  std::uint16_t target = 0;    // index into the spec's targets
  std::uint8_t end = 0;        // ErrorKind or ConnEnd
  std::uint8_t worker = 0;
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
  bool push(const ConnRecord& r) noexcept;       // producer
  std::size_t pop(ConnRecord* out, std::size_t max) noexcept;  // consumer; how many
  std::uint64_t dropped() const noexcept { return dropped_.get(); }

 private:
  std::vector<ConnRecord> buf_;
  std::size_t mask_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // written by the producer
  std::uint64_t tail_cache_ = 0;                    // producer's last view of tail_
  Counter dropped_;                                 // producer
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // written by the consumer
};

// The rings of one run, one per worker, what the workers are asked to log and where it goes.
class ConnLog {
 public:
  ConnLog(std::string path, unsigned workers, std::uint32_t sample, bool tcp_info,
          std::size_t ring_capacity = 8192);
  const std::string& path() const noexcept { return path_; }
  ConnRing& ring(unsigned worker) noexcept { return *rings_[worker]; }
  unsigned workers() const noexcept { return static_cast<unsigned>(rings_.size()); }
  std::uint32_t sample() const noexcept { return sample_; }
  bool tcp_info() const noexcept { return tcp_info_; }
  std::uint64_t dropped() const noexcept;  // over the rings

 private:
  std::string path_;
  std::vector<std::unique_ptr<ConnRing>> rings_;
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
