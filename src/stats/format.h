// Numbers as people read them in tables and summaries: thousands separators, rates with one
// decimal, microseconds in the unit that fits, bytes in binary units. Pure.
#pragma once

#include <cstdint>
#include <string>

namespace connperf::stats {

std::string format_count(std::uint64_t n);    // 1,234,567
std::string format_rate(double per_second);   // 41,228.1
std::string format_us(std::uint64_t us);      // 45us, 1.23ms, 2.50s
std::string format_bytes(std::uint64_t n);    // 512 B, 1.5 KiB, 3.25 GiB

}  // namespace connperf::stats
