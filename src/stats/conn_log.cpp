#include "stats/conn_log.h"

#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

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
    case ConnEnd::Rst: return "rst";
    case ConnEnd::Fin: return "fin";
    case ConnEnd::ClosedByServer: return "closed_by_server";
    case ConnEnd::ServerErrors: return "errors";
  }
  return "other";
}

const char* to_string(EndDetail d) noexcept {
  switch (d) {
    case EndDetail::None: return "";
    case EndDetail::IdleTimeout: return "idle_timeout";
    case EndDetail::Stopped: return "stopped";
    case EndDetail::Drained: return "drained";
    case EndDetail::ConnectionClose: return "connection_close";
    case EndDetail::BadRequest: return "bad_request";
    case EndDetail::NotImplemented: return "not_implemented";
    case EndDetail::TlsFailed: return "tls_failed";
  }
  return "";
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
    : own_(std::bit_ceil(std::max<std::size_t>(capacity, 2))),
      buf_(own_.data()),
      mask_(own_.size() - 1) {}

ConnRing::ConnRing(ConnRecord* buf, std::size_t capacity) noexcept
    : buf_(buf), mask_(capacity - 1) {}

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
  if (n == 0) return 0;  // an idle ring's line stays the producer's (the server has many)
  for (std::size_t i = 0; i < n; ++i) out[i] = buf_[(tail + i) & mask_];
  tail_.store(tail + n, std::memory_order_release);
  return n;
}

ConnLog::ConnLog(std::string path, unsigned workers, std::uint32_t sample, bool tcp_info,
                 std::size_t ring_capacity, bool shared)
    : path_(std::move(path)), sample_(std::max<std::uint32_t>(sample, 1)), tcp_info_(tcp_info) {
  make_rings(workers, ring_capacity, shared);
}

ConnLog::~ConnLog() { free_rings(); }

void ConnLog::free_rings() noexcept {
  if (map_) {  // a slice's rings are its parent's
    for (unsigned i = 0; i < workers_; ++i) rings_[i].~ConnRing();
    ::munmap(map_, map_bytes_);
  }
  map_ = nullptr;
  rings_ = nullptr;
  workers_ = 0;
}

// The rings first, then each ring's records; the kernel's zeroed pages are valid empty records.
void ConnLog::make_rings(unsigned workers, std::size_t capacity, bool shared) {
  free_rings();
  if (workers == 0) return;
  capacity = std::bit_ceil(std::max<std::size_t>(capacity, 2));
  const std::size_t head = (workers * sizeof(ConnRing) + 63) / 64 * 64;
  const std::size_t bytes = head + workers * capacity * sizeof(ConnRecord);
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  map_ = mem;
  map_bytes_ = bytes;
  rings_ = static_cast<ConnRing*>(mem);
  auto* records = reinterpret_cast<ConnRecord*>(static_cast<char*>(mem) + head);
  for (unsigned i = 0; i < workers; ++i) new (&rings_[i]) ConnRing(records + i * capacity, capacity);
  workers_ = workers;
}

std::shared_ptr<ConnLog> ConnLog::slice(unsigned first, unsigned count) const {
  auto view = std::make_shared<ConnLog>(path_, 0, sample_, tcp_info_);
  view->rings_ = rings_ + std::min(first, workers_);
  view->workers_ = std::min(count, workers_ - std::min(first, workers_));
  view->first_ = first_ + first;
  return view;
}

std::uint64_t ConnLog::dropped() const noexcept {
  std::uint64_t n = 0;
  for (unsigned i = 0; i < workers_; ++i) n += rings_[i].dropped();
  return n;
}

ConnLogger::ConnLogger(ConnLog* log, unsigned worker, std::size_t slots) {
  if (log == nullptr || worker >= log->workers()) return;
  ring_ = &log->ring(worker);
  sources_.resize(slots);
  sample_ = log->sample();
  countdown_ = 1;  // the first connection is logged
  worker_ = static_cast<std::uint8_t>(log->first_worker() + worker);
  tcp_info_ = log->tcp_info();
}

void ConnLogger::opened(std::uint32_t slot, int fd) {
  if (slot >= sources_.size()) sources_.resize(slot + 1);  // cc's slots grow as it holds more
  sockaddr_in6& out = sources_[slot];
  socklen_t len = sizeof out;
  if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&out), &len) != 0)
    out.sin6_family = AF_UNSPEC;
}

void read_tcp_info(int fd, TcpInfoFields& out) noexcept {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return;
  out = {ti.tcpi_rtt, ti.tcpi_rttvar, ti.tcpi_total_retrans, ti.tcpi_snd_cwnd, ti.tcpi_lost,
         ti.tcpi_retransmits, ti.tcpi_state, true};
}

void ConnLogger::put(std::uint32_t slot, int fd, ConnRecord& r) noexcept {
  r.worker = worker_;
  if (slot != kNoSlot) r.source = sources_[slot];
  if (tcp_info_ && fd >= 0) read_tcp_info(fd, r.tcp);
  ring_->push(r);
}

}  // namespace connperf::stats
