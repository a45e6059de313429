// One epoll event loop per thread. The loop owns its epoll fd, one timerfd (a single deadline the
// owner re-arms; engines keep their own schedules) and one eventfd for cross-thread wake-ups.
// Every method but wake() must be called on the loop's own thread.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <ctime>
#include <thread>

#include "loop/clock.h"
#include "loop/token.h"
#include "net/socket.h"

namespace connperf::loop {

// The owner of a loop: receives its events.
class Handler {
 public:
  virtual void on_io(Token token, std::uint32_t events) = 0;
  virtual void on_deadline(std::uint64_t now) = 0;  // the deadline set last has passed
  virtual void on_wake() = 0;                         // some thread called wake()
  virtual void on_batch_end() {}  // after the events of one epoll_wait: batch follow-up work

 protected:
  ~Handler() = default;
};

class EventLoop {
 public:
  EventLoop();  // throws std::system_error when the kernel objects cannot be created
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // epoll_ctl; a failure comes back classified, with its errno.
  net::Result add(int fd, std::uint32_t events, Token token) noexcept;
  net::Result modify(int fd, std::uint32_t events, Token token) noexcept;
  void remove(int fd) noexcept;

  // Arms the single timer for an absolute CLOCK_MONOTONIC time; 0 disarms. Cheap when unchanged.
  void set_deadline(std::uint64_t when_ns) noexcept;
  std::uint64_t deadline() const noexcept { return deadline_; }

  void run(Handler& handler);  // until stop(); binds the loop to the calling thread
  void stop() noexcept { running_ = false; }
  void wake() noexcept;  // any thread

  bool in_loop_thread() const noexcept { return std::this_thread::get_id() == owner_; }

 private:
  net::Result control(int op, int fd, std::uint32_t events, Token token) noexcept;
  void dispatch(Handler& handler, const epoll_event& ev);

  net::Fd epoll_;
  net::Fd timer_;
  net::Fd wake_;
  std::uint64_t deadline_ = 0;
  bool running_ = false;
  std::thread::id owner_;
};

}  // namespace connperf::loop
