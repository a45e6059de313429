// The byte transforms of the echo family of server modes: upper-case, and the ctime stamp that
// prefixes each chunk in `stamp` mode.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>

namespace connperf::proto {

void to_upper_ascii(char* data, std::size_t len) noexcept;  // other bytes stay as they are

// "[Sun Nov 22 18:14:55 2026] ": ctime(3) format in local time, with the trailing space.
std::string stamp_prefix(std::time_t when);

}  // namespace connperf::proto
