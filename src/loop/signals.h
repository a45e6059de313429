// Ctrl-C and SIGTERM for a command: blocked in every thread, so only a thread that waits for them
// sees them; SIGPIPE ignored for the whole process (sends use MSG_NOSIGNAL, pipes may not).
#pragma once

#include <cstdint>

namespace connperf::loop {

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it creates afterwards.
class StopSignals {
 public:
  StopSignals();
  // Sleeps until the monotonic time `deadline_ns` or a stop signal; true on a signal.
  bool wait_until(std::uint64_t deadline_ns);
};

}  // namespace connperf::loop
