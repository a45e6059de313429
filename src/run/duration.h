// Duration flag values ("10", "2.5s", "500ms", "250us", "2m", "1h") → seconds. Pure; fuzzed by
// tests/fuzz/duration.cpp, which compiles only this file.
#pragma once

#include <string_view>

#include "run/errors.h"

namespace connperf::run {

// Throws UsageError naming the flag; the result is finite and >= 0.
double parse_seconds(std::string_view flag, std::string_view text);

// The same, for flags whose bare number has another unit (--timeout 500 is 500 ms when `bare`
// is 1e-3): "500", "500ms", "1s" and "2m" all name a time.
double parse_time(std::string_view flag, std::string_view text, double bare);

}  // namespace connperf::run
