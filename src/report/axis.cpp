#include "report/axis.h"

#include <cmath>

#include <fmt/format.h>

namespace connperf::report {

namespace {

double nice_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0})
    if (raw <= m * magnitude * 1.0000001) return m * magnitude;
  return 10 * magnitude;
}

// Up to two decimals, trailing zeros dropped: 1.50 → "1.5", 2.00 → "2".
std::string trimmed(double v) {
  std::string s = fmt::format("{:.2f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

}  // namespace

std::vector<double> linear_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.5;
    lo -= pad;
    hi += pad;
    if (lo < 0 && lo + pad >= 0) lo = 0;
  }
  const double step = nice_step(hi - lo, target);
  const double first = std::floor(lo / step + 1e-9) * step;
  std::vector<double> ticks;
  for (double v = first; ticks.empty() || ticks.back() < hi - step * 0.01; v += step) {
    const double snapped = std::round(v / step) * step;
    ticks.push_back(std::abs(snapped) < step * 1e-9 ? 0.0 : snapped);
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (lo <= 0) lo = 1;
  if (hi < lo) hi = lo;
  const int first = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int last = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  if (last <= first) last = first + 1;
  std::vector<double> ticks;
  for (int e = first; e <= last; ++e) ticks.push_back(std::pow(10.0, e));
  return ticks;
}

std::string tick_label(double v, Unit unit) {
  const double a = std::abs(v);
  switch (unit) {
    case Unit::Count:
      if (a >= 1e9) return trimmed(v / 1e9) + "G";
      if (a >= 1e6) return trimmed(v / 1e6) + "M";
      if (a >= 1e3) return trimmed(v / 1e3) + "k";
      return trimmed(v);
    case Unit::Micros:
      if (a >= 1e6) return trimmed(v / 1e6) + "s";
      if (a >= 1e3) return trimmed(v / 1e3) + "ms";
      return trimmed(v) + "µs";
    case Unit::Seconds:
      if (a >= 3600) return trimmed(v / 3600) + "h";
      if (a >= 120) return trimmed(v / 60) + "m";
      return trimmed(v) + "s";
    case Unit::Ratio:
      return trimmed(v * 100) + "%";
  }
  return trimmed(v);
}

}  // namespace connperf::report
