// An owning file descriptor and the socket calls connperf makes, each returning a classified
// Result (see net/error.h). All sockets are non-blocking and close-on-exec. No threads, no loops.
#pragma once

#include <poll.h>

#include <cstddef>
#include <string>
#include <utility>

#include "net/address.h"
#include "net/error.h"

namespace connperf::net {

class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// Socket creation and options. Setup-time calls: a failure is reported, never retried.
Result tcp_socket(int family) noexcept;  // value = new fd
Result set_reuseaddr(int fd) noexcept;
Result set_reuseport(int fd) noexcept;
Result set_nodelay(int fd) noexcept;
// SO_RCVBUF and SO_SNDBUF (the kernel doubles them); turns off autotuning for the socket.
Result set_buffers(int fd, int bytes) noexcept;
Result set_bind_address_no_port(int fd) noexcept;
Result set_linger_rst(int fd) noexcept;  // SO_LINGER {1,0}: close() sends RST
Result set_v6only(int fd) noexcept;
Result bind_to(int fd, const SockAddr& addr) noexcept;
Result listen_on(int fd, int backlog) noexcept;
Result local_address(int fd, SockAddr& out) noexcept;

// Hot-path calls.
Result connect_to(int fd, const SockAddr& addr) noexcept;  // InProgress is the normal answer
Result pending_error(int fd) noexcept;                     // SO_ERROR after a connect
Result accept_from(int listen_fd, SockAddr* peer) noexcept;  // value = new non-blocking fd
Result read_some(int fd, char* buf, std::size_t len) noexcept;  // value 0 = end of stream
Result send_some(int fd, const char* buf, std::size_t len) noexcept;  // MSG_NOSIGNAL
// Both pieces in one sendmsg (a message head, then body bytes); `a` may be empty.
Result send_two(int fd, const char* a, std::size_t alen, const char* b, std::size_t blen) noexcept;
Result shutdown_write(int fd) noexcept;

// Relaying in the kernel: a non-blocking pipe (value = its capacity in bytes, `size` asked for)
// and splice(2) between a socket and a pipe end, moving page references instead of copying.
Result open_pipe(Fd& read_end, Fd& write_end, std::size_t size) noexcept;
Result splice_some(int from, int to, std::size_t len) noexcept;

// Plain fds (terminals, pipes) for the interactive client.
Result read_fd(int fd, char* buf, std::size_t len) noexcept;        // value 0 = end of input
Result write_all_fd(int fd, const char* buf, std::size_t len) noexcept;  // blocks until written
Result poll_fds(::pollfd* fds, std::size_t n, int timeout_ms) noexcept;  // value = ready

// A non-blocking TCP socket connected to `addr` within `timeout_ms` (poll, so it blocks the
// caller: for clients that are not on a load path). TimedOut when it took longer.
Result connect_within(const SockAddr& addr, int timeout_ms, Fd& out) noexcept;

// Opens a listening socket on `addr` (SO_REUSEADDR, optionally SO_REUSEPORT).
Result open_listener(const SockAddr& addr, bool reuseport, int backlog) noexcept;

// Moves the calling thread (and the threads it creates afterwards) into the network namespace
// /run/netns/NAME, as `ip netns exec` does; sockets made afterwards live there.
Result enter_netns(const std::string& name) noexcept;

// Highest fd count this process may open (RLIMIT_NOFILE soft limit, raised to the hard limit).
long raise_open_file_limit() noexcept;

}  // namespace connperf::net
