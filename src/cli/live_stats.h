// The live side of a run: a server's or proxy's stats endpoint (--stats-listen), and a load
// run's reconciliation with such a server (--server-stats). Command's thread only.
#pragma once

#include <memory>
#include <string>

#include "cli/flags.h"
#include "run/driver.h"
#include "run/job.h"
#include "cli/common.h"
#include "server/stats_endpoint.h"

namespace connperf::cli {

// "" = none. "PORT" alone binds 127.0.0.1; otherwise ADDR:PORT as given. A bad address is a
// UsageError, a bind failure a RunError. Announces the URLs on stderr.
std::unique_ptr<server::StatsEndpoint> open_stats_endpoint(const std::string& spec,
                                                           server::Pages pages);

// A prepared crr/rr/cc run as it is, or with --server-stats one reconciled with that server.
run::Prepared with_server_stats(run::Prepared p, const TargetFlags& to);

}  // namespace connperf::cli
