// Listening sockets in one worker's event loop: accepting in bursts, pausing (never spinning)
// when the process is out of file descriptors (for a moment) or the worker is at its connection
// cap (until a connection closes). Used by the server and the proxy; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>

#include "loop/event_loop.h"
#include "net/address.h"
#include "net/socket.h"

namespace connperf::loop {

// A listen address could not be opened; what() is one line for the user.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A listening socket on `addr`; `bound` gets the real address (port 0 resolved). Throws
// ListenError.
net::Fd bind_listener(const net::SockAddr& addr, bool reuseport, int backlog, net::SockAddr& bound);

// The listeners of a server with `workers` threads: each address is bound once without
// SO_REUSEPORT (which tells whether anyone holds the port, and makes port 0 real), then once per
// worker with SO_REUSEPORT, handed to give(worker, fd). Returns the bound addresses. Throws
// ListenError.
std::vector<net::SockAddr> open_listeners(const std::vector<net::SockAddr>& addresses, int backlog,
                                          std::size_t workers,
                                          const std::function<void(std::size_t, net::Fd)>& give);

class Acceptor {
 public:
  static constexpr int kBurst = 64;
  static constexpr std::uint64_t kPauseNs = 100'000'000;  // after EMFILE

  // Listener i is registered with Token{i, 0, kind}.
  Acceptor(EventLoop& loop, std::uint8_t kind) : loop_(loop), kind_(kind) {}

  void add(net::Fd fd) { fds_.push_back(std::move(fd)); }
  std::size_t size() const noexcept { return fds_.size(); }
  void start();
  void close_all() noexcept { fds_.clear(); }  // closing takes them out of epoll

  // Accepts on listener i while `open < cap`, calling adopt(fd, peer, i) for each connection;
  // adopt returns the new open count.
  template <typename Adopt>
  void burst(std::size_t i, std::uint64_t open, std::uint64_t cap, Adopt adopt) {
    for (int k = 0; k < kBurst && i < fds_.size(); ++k) {
      if (open >= cap) return pause(0);
      net::SockAddr peer;
      const net::Result r = net::accept_from(fds_[i].get(), &peer);
      if (r.err == net::Err::WouldBlock) return;
      if (r.err == net::Err::TooManyFiles) return pause(now_ns() + kPauseNs);
      if (!r.ok()) continue;  // ECONNABORTED and friends: that connection is gone, go on
      open = adopt(static_cast<int>(r.value), peer, i);
    }
  }

  void tick(std::uint64_t now);  // from the owner's on_deadline: ends an EMFILE pause
  void connection_closed();      // ends a pause at the cap
  std::uint64_t resume_at() const noexcept { return paused_ ? resume_at_ : 0; }

 private:
  void pause(std::uint64_t resume_at);  // 0: until a connection closes
  void resume();

  EventLoop& loop_;
  std::uint8_t kind_;
  void set_interest(std::uint32_t events) noexcept;
  std::vector<net::Fd> fds_;
  bool paused_ = false;
  std::uint64_t resume_at_ = 0;
};

}  // namespace connperf::loop
