#include "loop/event_loop.h"

#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <system_error>
#include <utility>

namespace connperf::loop {

namespace {

constexpr std::uint8_t kLoopKind = Token::kMaxKind + 1;
constexpr Token kTimerToken{0, 0, kLoopKind};
constexpr Token kWakeToken{1, 0, kLoopKind};
constexpr int kMaxEvents = 256;

int checked(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return fd;
}

void drain(int fd) noexcept {
  std::uint64_t value = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd, &value, sizeof value);
}

}  // namespace

EventLoop::EventLoop()
    : epoll_(checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      timer_(checked(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd")),
      wake_(checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      owner_(std::this_thread::get_id()) {
  for (const auto& [fd, token] : {std::pair{timer_.get(), kTimerToken}, {wake_.get(), kWakeToken}})
    if (const net::Result r = add(fd, EPOLLIN, token); !r.ok())
      throw std::system_error(r.sys_errno, std::generic_category(), "epoll_ctl");
}

net::Result EventLoop::control(int op, int fd, std::uint32_t events, Token token) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token.pack();
  if (::epoll_ctl(epoll_.get(), op, fd, &ev) == 0) return {};
  return net::Result::from_errno(errno);
}

net::Result EventLoop::add(int fd, std::uint32_t events, Token token) noexcept {
  return control(EPOLL_CTL_ADD, fd, events, token);
}

net::Result EventLoop::modify(int fd, std::uint32_t events, Token token) noexcept {
  return control(EPOLL_CTL_MOD, fd, events, token);
}

void EventLoop::remove(int fd) noexcept { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::set_deadline(std::uint64_t when_ns) noexcept {
  if (when_ns == deadline_) return;
  deadline_ = when_ns;
  itimerspec spec{};
  if (when_ns != 0) {
    spec.it_value = to_timespec(when_ns);
  }
  ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void EventLoop::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

void EventLoop::run(Handler& handler) {
  owner_ = std::this_thread::get_id();
  running_ = true;
  epoll_event events[kMaxEvents];
  while (running_) {
    const int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    for (int i = 0; i < n; ++i) dispatch(handler, events[i]);
    if (running_) handler.on_batch_end();
  }
}

void EventLoop::dispatch(Handler& handler, const epoll_event& ev) {
  assert(in_loop_thread());
  const Token token = Token::unpack(ev.data.u64);
  if (token == kTimerToken) {
    drain(timer_.get());
    const std::uint64_t now = now_ns();
    if (deadline_ != 0 && now >= deadline_) {
      deadline_ = 0;
      handler.on_deadline(now);
    }
  } else if (token == kWakeToken) {
    drain(wake_.get());
    handler.on_wake();
  } else {
    handler.on_io(token, ev.events);
  }
}

}  // namespace connperf::loop
