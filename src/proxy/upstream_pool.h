// The idle upstream connections of one proxy worker, keyed by the origin as written in requests
// (host and port): a connection that finished its exchange cleanly waits here for the next
// request of any client to the same origin. At most max_size are kept, each for less than
// idle_ns. The pool owns (and closes) the fds it holds; registering them with the loop is the
// worker's job. Owned and used by one worker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "loop/clock.h"

namespace connperf::proxy {

// The defaults: shorter than common server keep-alive timeouts, so the origin rarely closes a
// pooled connection under us.
inline constexpr std::size_t kPoolMax = 512;
inline constexpr std::uint64_t kPoolIdleNs = 4000 * loop::kMs;

class UpstreamPool {
 public:
  explicit UpstreamPool(std::size_t max_size = kPoolMax, std::uint64_t idle_ns = kPoolIdleNs)
      : max_size_(max_size), idle_ns_(idle_ns) {}
  ~UpstreamPool() { clear(); }
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  std::size_t size() const noexcept { return origin_of_.size(); }
  bool full() const noexcept { return size() >= max_size_; }

  // Takes fd, idle since `now`; false (fd not taken) when the pool is full.
  bool park(std::string_view host, std::uint16_t port, int fd, std::uint64_t now);
  // The most recently parked connection to the origin (the least likely closed), now the
  // caller's; -1 when there is none.
  int take(std::string_view host, std::uint16_t port);
  // The origin closed (or wrote to) a parked connection: it is closed. False when fd is not here.
  bool drop(int fd);
  // Closes the connections idle for idle_ns or more at `now`; returns how many.
  std::size_t expire(std::uint64_t now);
  void clear();  // closes every connection

 private:
  struct Idle {
    int fd;
    std::uint64_t since;
  };
  using Origins = std::unordered_map<std::string, std::vector<Idle>>;
  const std::string& key(std::string_view host, std::uint16_t port);  // "host:port" in key_
  void remove(Origins::value_type& origin, int fd);

  std::size_t max_size_;
  std::uint64_t idle_ns_;
  Origins by_origin_;
  // Every parked fd and its origin's entry (a node stays put until it is erased, which happens
  // only once no fd is left in it).
  std::unordered_map<int, Origins::value_type*> origin_of_;
  std::string key_;  // scratch: no allocation per lookup once grown
};

}  // namespace connperf::proxy
