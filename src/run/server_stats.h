// --server-stats URL on crr, rr and cc: the target server's counts (its /stats endpoint) read
// before the run and after it, once they hold still; the run's `reconciliation` section compares
// the two sides with stats::reconcile's one key set. Command's thread only.
#pragma once

#include <string>

#include "run/driver.h"

namespace connperf::run {

// The run as it is when `url` is empty, else wrapped so it reconciles with the server at `url`
// (http://HOST:PORT, HOST:PORT, or a PORT on 127.0.0.1, as --stats-listen takes it). Reads the server's counts now: UsageError for a bad URL, RunError when
// they cannot be read.
Prepared with_server_stats(Prepared p, const std::string& url);

}  // namespace connperf::run
