// A server's or proxy's live stats endpoint (--stats-listen) from its flag. Command's thread only.
#pragma once

#include <memory>
#include <string>

#include "cli/common.h"
#include "server/stats_endpoint.h"

namespace connperf::cli {

// "" = none. "PORT" alone binds 127.0.0.1; otherwise ADDR:PORT as given. A bad address is a
// UsageError, a bind failure a RunError. Announces the URLs on stderr.
std::unique_ptr<server::StatsEndpoint> open_stats_endpoint(const std::string& spec,
                                                           server::Pages pages);

}  // namespace connperf::cli
