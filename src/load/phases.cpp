#include "load/phases.h"

#include <algorithm>
#include <cmath>

namespace connperf::load {

std::string_view to_string(Phase p) noexcept {
  switch (p) {
    case Phase::RampUp: return "ramp_up";
    case Phase::Sustain: return "sustain";
    case Phase::RampDown: return "ramp_down";
    case Phase::After: break;
  }
  return "after";
}

Phase phase_at(const Phases& p, std::uint64_t t) noexcept {
  if (!p.on()) return Phase::Sustain;
  if (t < p.up_ns) return Phase::RampUp;
  if (t < p.up_ns + p.sustain_ns) return Phase::Sustain;
  if (t < p.total_ns()) return Phase::RampDown;
  return Phase::After;
}

double level_at(const Phases& p, std::uint64_t t) noexcept {
  switch (phase_at(p, t)) {
    case Phase::RampUp: return static_cast<double>(t) / static_cast<double>(p.up_ns);
    case Phase::Sustain: return 1;
    case Phase::RampDown:
      return static_cast<double>(p.total_ns() - t) / static_cast<double>(p.down_ns);
    case Phase::After: break;
  }
  return 0;
}

// Arrivals are the integral of rate × level: k = r·t²/(2U) over the ramp-up, then r per second,
// then r·(τ − τ²/(2D)) over the ramp-down; each piece inverted for t.
std::optional<std::uint64_t> arrival_ns(const Phases& p, double rate, std::uint64_t k) noexcept {
  const double r = rate / 1e9;  // per ns
  const double n = static_cast<double>(k);
  if (!p.on()) return static_cast<std::uint64_t>(n / r);
  const double up = static_cast<double>(p.up_ns);
  const double sustain = static_cast<double>(p.sustain_ns);
  const double down = static_cast<double>(p.down_ns);
  const double n_up = r * up / 2;
  if (n < n_up) return static_cast<std::uint64_t>(std::sqrt(2 * n * up / r));
  const double n_sustain = n_up + r * sustain;
  if (n < n_sustain) return static_cast<std::uint64_t>(up + (n - n_up) / r);
  if (n >= n_sustain + r * down / 2) return std::nullopt;
  const double m = (n - n_sustain) / r;  // the ramp-down's own arrivals, in ns at full rate
  const double tau = down * (1 - std::sqrt(std::max(0.0, 1 - 2 * m / down)));
  return static_cast<std::uint64_t>(up + sustain + tau);
}

std::uint64_t allowed_at(const Phases& p, std::uint64_t full, std::uint64_t t) noexcept {
  if (!p.on()) return full;
  if (phase_at(p, t) == Phase::After) return 0;
  const auto n = static_cast<std::uint64_t>(std::ceil(static_cast<double>(full) * level_at(p, t)));
  return std::clamp<std::uint64_t>(n, 1, full);
}

}  // namespace connperf::load
