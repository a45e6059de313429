// The Prometheus text exposition (format 0.0.4) of a server's and a proxy's counters, for the
// live endpoint (`--stats-listen`): counters end in _total and carry HELP and TYPE lines, the
// server's are per listener, gauges for what is open now. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stats/proxy_stats.h"
#include "stats/server_stats.h"

namespace connperf::stats {

// A label value as the exposition format writes it: backslash, double quote and newline escaped.
std::string prometheus_label_value(std::string_view value);

// connperf_{accepted,requests,rst,fin,closed_by_server,errors}_total{listener="ADDR"} and the
// connperf_active gauge, plus connperf_uptime_seconds; with `tls`, also
// connperf_tls_{full,resumed,failed}_total.
std::string server_metrics(const std::vector<std::string>& addresses,
                           const std::vector<ListenerSnapshot>& listeners, double seconds,
                           bool tls = false);

// connperf_proxy_<count>_total for every proxy count, the proxy's own replies as
// connperf_proxy_replies_total{status="403"}, the connperf_proxy_active gauge and
// connperf_uptime_seconds.
std::string proxy_metrics(const ProxySnapshot& total, double seconds);

// The process's own CPU time since it started (its reaped children included):
// connperf_cpu_seconds_total{mode="user"|"system"} and the conventional
// process_cpu_seconds_total (their sum).
std::string cpu_metrics(double user_s, double sys_s);

}  // namespace connperf::stats
