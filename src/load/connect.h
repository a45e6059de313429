// The one connect path of the load engines: pick the next target (round-robin), a source address
// of its family (round-robin, when --bind gave any), open a non-blocking socket, bind, connect.
// Registering with the loop is the caller's (crr sends before it registers). Each worker owns one
// Connector; loop thread only.
#pragma once

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "load/target.h"
#include "loop/clock.h"
#include "net/socket.h"
#include "stats/client_stats.h"

namespace connperf::load {

// How long an engine stops starting connections after EMFILE or EADDRNOTAVAIL.
inline constexpr std::uint64_t kResourceBackoffNs = 10 * loop::kMs;
// A connection's interest from its connect on, edge-triggered: writable once connected,
// readable, and the peer's close.
inline constexpr std::uint32_t kConnEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

// How an attempt failed: the error class it is counted under, and the errno behind it (0 when
// none).
struct Failure {
  stats::ErrorKind kind = stats::ErrorKind::Other;
  int sys_errno = 0;
};

Failure failure_of(const net::Result& r) noexcept;

// Why a connect in progress ended with EPOLLERR or EPOLLHUP: the socket's pending error, or,
// when there is none, the peer closing at once (closed_early).
Failure connect_failure(int fd) noexcept;

// Binds a socket to each source address (port 0, nothing sent), before a run: a run that cannot
// use one of its --bind addresses cannot start. Returns why the first one failed
// ("--bind ADDR: cannot bind (EADDRNOTAVAIL: …)"), or "" when all can be used.
std::string unusable_source(const Targets& targets);

class Connector {
 public:
  // Worker `index` starts its round-robins at `index`, so workers spread over targets and sources.
  Connector(const Targets& targets, unsigned index) noexcept
      : targets_(targets), next_target_(index), next_source_(index) {}

  std::uint16_t next_target() noexcept {
    return static_cast<std::uint16_t>(next_target_++ % targets_.targets.size());
  }
  const Target& target(std::uint16_t i) const noexcept { return targets_.targets[i]; }

  // Opens `fd` and starts connecting it to target `i` (InProgress counts as ok). `t_connect` is
  // the time just before connect(). The result carries the failing call's error.
  net::Result open(std::uint16_t i, net::Fd& fd, std::uint64_t& t_connect, bool nodelay = false);

 private:
  const net::SockAddr* next_source(int family) noexcept;

  const Targets& targets_;
  std::size_t next_target_;
  std::size_t next_source_;
};

}  // namespace connperf::load
