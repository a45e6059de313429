// The duration parsers (run/duration.h), unqualified for the flag declarations.
#pragma once

#include "run/duration.h"

namespace connperf::cli {

using run::parse_seconds;
using run::parse_time;

}  // namespace connperf::cli
