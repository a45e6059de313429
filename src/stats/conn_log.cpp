#include "stats/conn_log.h"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace connperf::stats {

const char* conn_end_name(std::uint8_t end) noexcept {
  if (end < kErrorKinds) return to_string(static_cast<ErrorKind>(end));
  switch (static_cast<ConnEnd>(end)) {
    case ConnEnd::Completed: return "completed";
    case ConnEnd::Aborted: return "aborted";
    case ConnEnd::Closed: return "closed";
    case ConnEnd::PeerClosed: return "peer_closed";
    case ConnEnd::Lost: return "lost";
    case ConnEnd::Survived: return "survived";
  }
  return "other";
}

ConnRecord conn_record(std::uint64_t t0, std::uint64_t start, std::uint64_t t_est,
                       std::uint64_t now, std::uint16_t target, std::uint8_t end,
                       int sys_errno) noexcept {
  ConnRecord r;
  r.start_ns = start > t0 ? start - t0 : 0;
  r.end_ns = now > t0 ? now - t0 : 0;
  r.target = target;
  r.end = end;
  r.sys_errno = static_cast<std::int16_t>(sys_errno);
  if (t_est) r.connect_us = record_us(t_est - start);
  return r;
}

ConnRing::ConnRing(std::size_t capacity)
    : buf_(std::bit_ceil(std::max<std::size_t>(capacity, 2))), mask_(buf_.size() - 1) {}

bool ConnRing::push(const ConnRecord& r) noexcept {
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - tail_cache_ > mask_) {
    tail_cache_ = tail_.load(std::memory_order_acquire);
    if (head - tail_cache_ > mask_) {
      dropped_.add();
      return false;
    }
  }
  buf_[head & mask_] = r;
  head_.store(head + 1, std::memory_order_release);
  return true;
}

std::size_t ConnRing::pop(ConnRecord* out, std::size_t max) noexcept {
  const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  const std::uint64_t head = head_.load(std::memory_order_acquire);
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(head - tail, max));
  for (std::size_t i = 0; i < n; ++i) out[i] = buf_[(tail + i) & mask_];
  tail_.store(tail + n, std::memory_order_release);
  return n;
}

ConnLog::ConnLog(std::string path, unsigned workers, std::uint32_t sample, bool tcp_info,
                 std::size_t ring_capacity)
    : path_(std::move(path)), sample_(std::max<std::uint32_t>(sample, 1)), tcp_info_(tcp_info) {
  for (unsigned i = 0; i < workers; ++i)
    rings_.push_back(std::make_unique<ConnRing>(ring_capacity));
}

std::uint64_t ConnLog::dropped() const noexcept {
  std::uint64_t n = 0;
  for (const auto& r : rings_) n += r->dropped();
  return n;
}

ConnLogger::ConnLogger(ConnLog* log, unsigned worker, std::size_t slots) {
  if (log == nullptr || worker >= log->workers()) return;
  ring_ = &log->ring(worker);
  sources_.resize(slots);
  sample_ = log->sample();
  countdown_ = 1;  // the first connection is logged
  worker_ = static_cast<std::uint8_t>(worker);
  tcp_info_ = log->tcp_info();
}

void ConnLogger::opened(std::uint32_t slot, int fd) {
  if (slot >= sources_.size()) sources_.resize(slot + 1);  // cc's slots grow as it holds more
  sockaddr_in6& out = sources_[slot];
  socklen_t len = sizeof out;
  if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&out), &len) != 0)
    out.sin6_family = AF_UNSPEC;
}

namespace {

void read_tcp_info(int fd, TcpInfoFields& out) noexcept {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return;
  out = {ti.tcpi_rtt, ti.tcpi_rttvar, ti.tcpi_total_retrans, ti.tcpi_snd_cwnd, ti.tcpi_lost,
         ti.tcpi_retransmits, ti.tcpi_state, true};
}

}  // namespace

void ConnLogger::put(std::uint32_t slot, int fd, ConnRecord& r) noexcept {
  r.worker = worker_;
  if (slot != kNoSlot) r.source = sources_[slot];
  if (tcp_info_ && fd >= 0) read_tcp_info(fd, r.tcp);
  ring_->push(r);
}

}  // namespace connperf::stats
