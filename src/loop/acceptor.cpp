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

void Acceptor::start() {
  for (std::size_t i = 0; i < fds_.size(); ++i) loop_.add(fds_[i].get(), EPOLLIN, bit_ | i);
}

void Acceptor::pause(std::uint64_t resume_at) {
  if (paused_) return;
  paused_ = true;
  resume_at_ = resume_at;
  for (std::size_t i = 0; i < fds_.size(); ++i) loop_.modify(fds_[i].get(), 0, bit_ | i);
  const std::uint64_t d = loop_.deadline();
  if (resume_at) loop_.set_deadline(d ? std::min(d, resume_at) : resume_at);
}

void Acceptor::resume() {
  paused_ = false;
  resume_at_ = 0;
  for (std::size_t i = 0; i < fds_.size(); ++i) loop_.modify(fds_[i].get(), EPOLLIN, bit_ | i);
}

void Acceptor::tick(std::uint64_t now) {
  if (paused_ && resume_at_ != 0 && now >= resume_at_) resume();
}

void Acceptor::connection_closed() {
  if (paused_ && resume_at_ == 0) resume();
}

}  // namespace connperf::loop
