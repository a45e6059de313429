// Waiting in tests for something that becomes true eventually: poll a condition against a
// deadline instead of sleeping a fixed time and hoping. Usable from unit and integration tests.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace connperf::test {

// Calls cond() every `step` until it returns true (then true, at once) or `limit` has passed
// (then false, after one last look at or past the deadline). The caller asserts on what it
// waited for, so a timeout fails with the test's own message.
inline bool poll_until(const std::function<bool()>& cond, std::chrono::milliseconds limit,
                       std::chrono::milliseconds step = std::chrono::milliseconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const bool past = std::chrono::steady_clock::now() >= end;
    if (cond()) return true;
    if (past) return false;
    std::this_thread::sleep_for(step);
  }
}

}  // namespace connperf::test
