#include "net/socket.h"

#include <sys/uio.h>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace connperf::net {

namespace {

Result check(long rc) noexcept {
  if (rc < 0) return Result::from_errno(errno);
  return {rc, Err::Ok, 0};
}

Result set_int_option(int fd, int level, int name, int value) noexcept {
  return check(::setsockopt(fd, level, name, &value, sizeof value));
}

}  // namespace

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result tcp_socket(int family) noexcept {
  return check(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
}

Result set_reuseaddr(int fd) noexcept { return set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1); }
Result set_reuseport(int fd) noexcept { return set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1); }
Result set_buffers(int fd, int bytes) noexcept {
  const Result r = set_int_option(fd, SOL_SOCKET, SO_RCVBUF, bytes);
  return r.ok() ? set_int_option(fd, SOL_SOCKET, SO_SNDBUF, bytes) : r;
}

Result set_nodelay(int fd) noexcept { return set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1); }
Result set_v6only(int fd) noexcept { return set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1); }

Result set_bind_address_no_port(int fd) noexcept {
  return set_int_option(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
}

Result set_linger_rst(int fd) noexcept {
  const linger lg{1, 0};
  return check(::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
}

Result bind_to(int fd, const SockAddr& addr) noexcept {
  return check(::bind(fd, addr.get(), addr.len));
}

Result listen_on(int fd, int backlog) noexcept { return check(::listen(fd, backlog)); }

Result local_address(int fd, SockAddr& out) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const Result r = check(::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len));
  if (r.ok()) out = SockAddr::from(reinterpret_cast<const sockaddr*>(&ss), len);
  return r;
}

Result connect_to(int fd, const SockAddr& addr) noexcept {
  return check(::connect(fd, addr.get(), addr.len));
}

Result pending_error(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return Result::from_errno(errno);
  if (err != 0) return Result::from_errno(err);
  return {};
}

Result accept_from(int listen_fd, SockAddr* peer) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return Result::from_errno(errno);
  if (peer) *peer = SockAddr::from(reinterpret_cast<const sockaddr*>(&ss), len);
  return {fd, Err::Ok, 0};
}

Result read_some(int fd, char* buf, std::size_t len) noexcept {
  for (;;) {
    const ssize_t n = ::recv(fd, buf, len, 0);
    if (n >= 0) return {n, Err::Ok, 0};
    if (errno != EINTR) return Result::from_errno(errno);
  }
}

Result send_some(int fd, const char* buf, std::size_t len) noexcept {
  for (;;) {
    const ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return {n, Err::Ok, 0};
    if (errno != EINTR) return Result::from_errno(errno);
  }
}

Result send_two(int fd, const char* a, std::size_t alen, const char* b, std::size_t blen) noexcept {
  iovec iov[2] = {{const_cast<char*>(a), alen}, {const_cast<char*>(b), blen}};
  msghdr msg{};
  msg.msg_iov = alen ? iov : iov + 1;
  msg.msg_iovlen = alen ? 2 : 1;
  for (;;) {
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n >= 0) return {n, Err::Ok, 0};
    if (errno != EINTR) return Result::from_errno(errno);
  }
}

Result open_pipe(Fd& read_end, Fd& write_end, std::size_t size) noexcept {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return Result::from_errno(errno);
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  // The size is a wish: the kernel rounds it and may refuse (pipe-max-size); the default stays.
  const int got = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(size));
  return {got > 0 ? got : ::fcntl(fds[1], F_GETPIPE_SZ), Err::Ok, 0};
}

Result splice_some(int from, int to, std::size_t len) noexcept {
  for (;;) {
    const ssize_t n =
        ::splice(from, nullptr, to, nullptr, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n >= 0) return {n, Err::Ok, 0};
    if (errno != EINTR) return Result::from_errno(errno);
  }
}

Result shutdown_write(int fd) noexcept { return check(::shutdown(fd, SHUT_WR)); }

Result read_fd(int fd, char* buf, std::size_t len) noexcept {
  for (;;) {
    const ssize_t n = ::read(fd, buf, len);
    if (n >= 0) return {n, Err::Ok, 0};
    if (errno != EINTR) return Result::from_errno(errno);
  }
}

Result write_all_fd(int fd, const char* buf, std::size_t len) noexcept {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::write(fd, buf + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Result::from_errno(errno);
    done += static_cast<std::size_t>(n);
  }
  return {static_cast<long>(done), Err::Ok, 0};
}

Result poll_fds(pollfd* fds, std::size_t n, int timeout_ms) noexcept {
  for (;;) {
    const int r = ::poll(fds, n, timeout_ms);
    if (r >= 0) return {r, Err::Ok, 0};
    if (errno != EINTR) return Result::from_errno(errno);
  }
}

Result connect_within(const SockAddr& addr, int timeout_ms, Fd& out) noexcept {
  Result r = tcp_socket(addr.family());
  if (!r.ok()) return r;
  out.reset(static_cast<int>(r.value));
  r = connect_to(out.get(), addr);
  if (r.err != Err::InProgress) return r;
  pollfd p{out.get(), POLLOUT, 0};
  r = poll_fds(&p, 1, timeout_ms);
  if (r.ok() && r.value == 0) return {-1, Err::TimedOut, ETIMEDOUT};
  return r.ok() ? pending_error(out.get()) : r;
}

Result open_listener(const SockAddr& addr, bool reuseport, int backlog) noexcept {
  Result r = tcp_socket(addr.family());
  if (!r.ok()) return r;
  Fd fd(static_cast<int>(r.value));
  if (r = set_reuseaddr(fd.get()); !r.ok()) return r;
  if (reuseport && !(r = set_reuseport(fd.get())).ok()) return r;
  if (addr.family() == AF_INET6 && !(r = set_v6only(fd.get())).ok()) return r;
  if (r = bind_to(fd.get(), addr); !r.ok()) return r;
  if (r = listen_on(fd.get(), backlog); !r.ok()) return r;
  return {fd.release(), Err::Ok, 0};
}

Result enter_netns(const std::string& name) noexcept {
  const std::string path = "/run/netns/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Result::from_errno(errno);
  const Result r = check(::setns(fd, CLONE_NEWNET));
  ::close(fd);
  return r;
}

long raise_open_file_limit() noexcept {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<long>(rl.rlim_cur);
}

}  // namespace connperf::net
