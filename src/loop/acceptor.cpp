#include "loop/acceptor.h"

#include <sys/epoll.h>

#include <algorithm>

namespace connperf::loop {

namespace {
[[noreturn]] void listen_failed(const net::SockAddr& addr, const net::Result& r) {
  throw ListenError("cannot listen on " + addr.to_string() + ": " + net::errno_text(r.sys_errno));
}
}  // namespace

net::Fd bind_listener(const net::SockAddr& addr, bool reuseport, int backlog,
                      net::SockAddr& bound) {
  net::Result r = net::open_listener(addr, reuseport, backlog);
  if (!r.ok()) listen_failed(addr, r);
  net::Fd fd(static_cast<int>(r.value));
  bound = addr;
  if (r = net::local_address(fd.get(), bound); !r.ok()) listen_failed(addr, r);
  return fd;
}

std::vector<net::SockAddr> open_listeners(const std::vector<net::SockAddr>& addresses, int backlog,
                                          std::size_t workers,
                                          const std::function<void(std::size_t, net::Fd)>& give) {
  std::vector<net::SockAddr> bound;
  for (const net::SockAddr& want : addresses) {
    net::SockAddr addr;
    bind_listener(want, false, backlog, addr);
    for (std::size_t i = 0; i < workers; ++i) {
      net::SockAddr same;
      give(i, bind_listener(addr, true, backlog, same));
    }
    bound.push_back(addr);
  }
  return bound;
}

void Acceptor::start() {
  for (std::size_t i = 0; i < fds_.size(); ++i)
    (void)loop_.add(fds_[i].get(), EPOLLIN, {static_cast<std::uint32_t>(i), 0, kind_});
}

// A listener that cannot be re-armed stays as it was: at worst it keeps accepting past a pause.
void Acceptor::set_interest(std::uint32_t events) noexcept {
  for (std::size_t i = 0; i < fds_.size(); ++i)
    (void)loop_.modify(fds_[i].get(), events, {static_cast<std::uint32_t>(i), 0, kind_});
}

void Acceptor::pause(std::uint64_t resume_at) {
  if (paused_) return;
  paused_ = true;
  resume_at_ = resume_at;
  set_interest(0);
  const std::uint64_t d = loop_.deadline();
  if (resume_at) loop_.set_deadline(d ? std::min(d, resume_at) : resume_at);
}

void Acceptor::resume() {
  paused_ = false;
  resume_at_ = 0;
  set_interest(EPOLLIN);
}

void Acceptor::tick(std::uint64_t now) {
  if (paused_ && resume_at_ != 0 && now >= resume_at_) resume();
}

void Acceptor::connection_closed() {
  if (paused_ && resume_at_ == 0) resume();
}

}  // namespace connperf::loop
