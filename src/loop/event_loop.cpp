#include "loop/event_loop.h"

#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <system_error>

namespace connperf::loop {

namespace {

constexpr std::uint64_t kTimerToken = ~std::uint64_t{0};
constexpr std::uint64_t kWakeToken = ~std::uint64_t{0} - 1;
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
  if (!add(timer_.get(), EPOLLIN, kTimerToken) || !add(wake_.get(), EPOLLIN, kWakeToken))
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
}

bool EventLoop::add(int fd, std::uint32_t events, std::uint64_t token) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::modify(int fd, std::uint32_t events, std::uint64_t token) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) noexcept { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::set_deadline(std::uint64_t when_ns) noexcept {
  if (when_ns == deadline_) return;
  deadline_ = when_ns;
  itimerspec spec{};
  if (when_ns != 0) {
    spec.it_value.tv_sec = static_cast<time_t>(when_ns / 1'000'000'000u);
    spec.it_value.tv_nsec = static_cast<long>(when_ns % 1'000'000'000u);
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
  const std::uint64_t token = ev.data.u64;
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
