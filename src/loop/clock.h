// The one clock of connperf (CLOCK_MONOTONIC, nanoseconds) and the conversions into it.
#pragma once

#include <cstdint>
#include <ctime>

namespace connperf::loop {

inline constexpr std::uint64_t kUs = 1'000;
inline constexpr std::uint64_t kMs = 1'000'000;
inline constexpr std::uint64_t kSec = 1'000'000'000;

// Always inlined: a call per read showed up on the load path when a unity batch grew.
[[gnu::always_inline]] inline std::uint64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * kSec + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Seconds (as parsed from a flag) to nanoseconds; negative becomes 0.
constexpr std::uint64_t ns_from_seconds(double seconds) noexcept {
  return seconds > 0 ? static_cast<std::uint64_t>(seconds * 1e9) : 0;
}
constexpr double seconds_from_ns(std::uint64_t ns) noexcept { return static_cast<double>(ns) / 1e9; }
constexpr std::uint64_t ns_from_ms(std::uint64_t ms) noexcept { return ms * kMs; }
constexpr std::uint64_t ms_from_ns(std::uint64_t ns) noexcept { return ns / kMs; }
constexpr std::uint64_t us_from_ns(std::uint64_t ns) noexcept { return ns / kUs; }
// The time between two events at `per_second` events a second.
constexpr double ns_between(double per_second) noexcept { return 1e9 / per_second; }

// The wall clock (seconds since the epoch) at the monotonic time `mono_ns` (a recent one).
inline double epoch_seconds_at(std::uint64_t mono_ns) noexcept {
  timespec wall{};
  ::clock_gettime(CLOCK_REALTIME, &wall);
  const std::uint64_t now = now_ns();
  return static_cast<double>(wall.tv_sec) + static_cast<double>(wall.tv_nsec) / 1e9 -
         (static_cast<double>(now) - static_cast<double>(mono_ns)) / 1e9;
}

inline timespec to_timespec(std::uint64_t ns) noexcept {
  return {static_cast<time_t>(ns / kSec), static_cast<long>(ns % kSec)};
}

}  // namespace connperf::loop
