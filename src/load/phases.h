// The phases of a load run as RFC 9411 runs a test (section 4.3.4): ramp-up, sustain, ramp-down.
// The load's level — a share of its rate (open loop) or of its concurrency (closed loop) — rises
// linearly from 0 over the ramp-up, holds at 1 for the sustain phase and falls linearly to 0 over
// the ramp-down. Pure: the engines ask when an arrival is due and how many may be in flight;
// the run layer asks which phase an interval belongs to.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace connperf::load {

struct Phases {
  std::uint64_t up_ns = 0;
  std::uint64_t sustain_ns = 0;
  std::uint64_t down_ns = 0;

  bool on() const noexcept { return up_ns || sustain_ns || down_ns; }
  std::uint64_t total_ns() const noexcept { return up_ns + sustain_ns + down_ns; }
};

enum class Phase : std::uint8_t { RampUp, Sustain, RampDown, After };
std::string_view to_string(Phase p) noexcept;  // ramp_up, sustain, ramp_down, after

// Which phase the time t (ns since the start) is in; without phases always Sustain.
Phase phase_at(const Phases& p, std::uint64_t t) noexcept;

// The load's level at t, 0..1; 1 without phases.
double level_at(const Phases& p, std::uint64_t t) noexcept;

// Open loop: when (ns since the start) the k-th arrival (from 0) of a stream of `rate` per
// second at full level is due, the rate following level_at; nullopt when it would fall after the
// ramp-down. Without phases: k / rate.
std::optional<std::uint64_t> arrival_ns(const Phases& p, double rate, std::uint64_t k) noexcept;

// Closed loop: how many of `full` may be in flight at t (at least 1 until the phases end).
std::uint64_t allowed_at(const Phases& p, std::uint64_t full, std::uint64_t t) noexcept;
// Closed loop: how often an engine held back by a ramp looks again.
inline constexpr std::uint64_t kRampStepNs = 5'000'000;

}  // namespace connperf::load
