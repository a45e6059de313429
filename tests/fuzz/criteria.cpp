// libFuzzer target: run::parse_criteria, the grammar of --criteria (and, through it, of compare's
// --metric): criteria or a UsageError naming the flag; every criterion has a figure and a finite
// bound that is not negative.
#include <cmath>
#include <string>

#include "run/criteria.h"
#include "run/errors.h"
#include "split.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (auto what : {connperf::run::Judged::Crr, connperf::run::Judged::Rr,
                    connperf::run::Judged::Cc}) {
    try {
      for (const auto& c : connperf::run::parse_criteria(in, what)) {
        connperf::fuzz::check(!c.figure.empty(), "a criterion without a figure");
        connperf::fuzz::check(std::isfinite(c.bound) && c.bound >= 0, "bound not finite or negative");
      }
    } catch (const connperf::run::UsageError& e) {
      connperf::fuzz::check(std::string_view(e.what()).starts_with("--criteria: "),
                            "usage error does not name the flag");
    }
  }
  return 0;
}
