// `connperf doctor`: the host's limits on a connection-rate run with the numbers and what to
// change, and whether a planned run (its rate, close, sources and targets) fits its tuple
// budget. The verdict is diag::preflight's, the same as before a run. Pure but for its input.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "diag/host_limits.h"
#include "diag/preflight.h"

namespace connperf::diag {

struct Doctor {
  std::string text;                   // what the user reads, ending with the verdict
  std::vector<std::string> problems;  // why the planned run cannot work (exit 1)
  std::vector<std::string> advice;    // worth changing, not fatal
  nlohmann::json summary;             // the result's summary: limits, budget, verdict
};

// `plan.rate` 0: the limits and the verdict only, no tuple budget.
Doctor doctor(const Plan& plan, const HostLimits& host);

}  // namespace connperf::diag
