#include "loop/signals.h"

#include <signal.h>

#include <cerrno>

#include "loop/clock.h"

namespace connperf::loop {

namespace {
sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

StopSignals::StopSignals() {
  ::signal(SIGPIPE, SIG_IGN);
  const sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool StopSignals::wait_until(std::uint64_t deadline_ns) {
  const sigset_t set = stop_set();
  const std::uint64_t now = now_ns();
  const timespec ts = to_timespec(deadline_ns > now ? deadline_ns - now : 0);
  for (;;) {
    const int sig = ::sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) return true;
    if (sig < 0 && errno == EINTR) continue;
    return false;
  }
}

}  // namespace connperf::loop
