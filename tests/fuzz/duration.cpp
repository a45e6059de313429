// libFuzzer target: run::parse_seconds, the parser of every duration flag (-d, --timeout,
// --interval, ...): a value or a UsageError, and a value is finite and not negative.
#include <cmath>
#include <string>

#include "run/duration.h"
#include "split.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    const double s = connperf::run::parse_seconds("-d", in);
    connperf::fuzz::check(std::isfinite(s) && s >= 0, "duration not finite or negative");
  } catch (const connperf::run::UsageError& e) {
    connperf::fuzz::check(std::string_view(e.what()).starts_with("-d: "),
                          "usage error does not name the flag");
  }
  return 0;
}
