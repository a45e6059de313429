// A counter with one writer thread and any number of readers (the reporter). The writer uses a
// relaxed load and store instead of fetch_add: no lock prefix on the hot path, no torn reads.
#pragma once

#include <atomic>
#include <cstdint>

namespace connperf::stats {

class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// How much a counter grew from `before` to `now`, never wrapping: a counter read lower than
// before has restarted (a server or a lab rebuilt under a running reader), and what it counted
// since the restart is `now`, as Prometheus' rate() reads a counter reset.
constexpr std::uint64_t counter_delta(std::uint64_t now, std::uint64_t before) noexcept {
  return now >= before ? now - before : now;
}

}  // namespace connperf::stats
