// Axis arithmetic for the report's charts: readable tick positions (1-2-5 steps on linear axes,
// decades on log axes) and tick labels with units (1k, 10k, 1.5M; 250µs, 1ms, 2s; 5%). Pure.
#pragma once

#include <string>
#include <vector>

namespace connperf::report {

enum class Unit { Count, Micros, Seconds, Ratio };

// About `target` ticks at multiples of 1, 2 or 5 × 10^k from the first one at or below `lo` to
// the first at or above `hi` (the axis then spans the ticks). lo == hi gets a span around it.
std::vector<double> linear_ticks(double lo, double hi, int target = 5);
// Powers of ten from the one at or below `lo` to the one at or above `hi` (lo > 0).
std::vector<double> log_ticks(double lo, double hi);

// "0", "500", "1k", "1.5k", "10k", "2.5M"; µs: "800µs", "1ms", "2.5ms", "1s"; seconds: "30s",
// "2m"; ratio: "0%", "0.5%", "25%".
std::string tick_label(double value, Unit unit);

}  // namespace connperf::report
