#include "run/duration.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace connperf::run {

double parse_seconds(std::string_view flag, std::string_view text) {
  return parse_time(flag, text, 1);
}

double parse_time(std::string_view flag, std::string_view text, double bare) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  double scale = 0;
  if (unit.empty()) scale = bare;
  else if (unit == "s") scale = 1;
  else if (unit == "ms") scale = 1e-3;
  else if (unit == "us") scale = 1e-6;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  const double seconds = value * scale;
  if (ec != std::errc{} || scale == 0 || !std::isfinite(seconds) || value < 0)
    throw UsageError(fmt::format("{}: '{}' is not a duration (e.g. 10, 2.5s, 500ms, 2m)", flag,
                                 text));
  return seconds;
}

}  // namespace connperf::run
