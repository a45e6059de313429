// The jobs of the subcommands that serve (server, proxy): the engine opened by the caller,
// started with the run, the interval line and object of what it counted, the summary, and its
// live /metrics and /stats endpoint (--stats-listen) answered from the counters while it runs.
// Command's thread; the endpoint's pages are built on the endpoint's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/address.h"
#include "proxy/proxy.h"
#include "run/conn_log.h"
#include "run/driver.h"
#include "run/job.h"
#include "server/server.h"
#include "server/stats_endpoint.h"

namespace connperf::run {

// The live endpoint of --stats-listen SPEC serving `pages`, or nullptr when SPEC is "". "PORT"
// alone binds 127.0.0.1; otherwise ADDR:PORT as given. A bad address is a UsageError, a bind
// failure a RunError. Announces the URLs on stderr.
std::unique_ptr<server::StatsEndpoint> open_stats_endpoint(const std::string& spec,
                                                           server::Pages pages);

// The server's job: at the end our FIN to every peer, then up to `drain_timeout` seconds for
// them to close (a second signal ends the wait), then the server closes what is left.
// `stats_listen`: --stats-listen's SPEC ("" for none). `conn_log`: --log-connections' writer
// (opened before the server listened), started with the run and finished after the engine
// joined; null for none.
std::unique_ptr<Job> make_server_job(server::ServerEngine& srv, std::vector<std::string> names,
                                     double drain_timeout, const std::string& stats_listen,
                                     std::unique_ptr<ConnLogWriter> conn_log = nullptr);
std::unique_ptr<Job> make_proxy_job(proxy::Proxy& px, const std::string& stats_listen);

// The listeners' addresses as text, each announced on stderr ("listening on ADDR"): tests and
// scripts read the port of a :0 listener from that line.
std::vector<std::string> announce_listeners(const std::vector<net::SockAddr>& addresses);

// The plans (config and banner) of a server or proxy listening on `names`.
Plan server_plan(const server::ServerSpec& spec, const std::vector<std::string>& names,
                 double duration, const OutputSettings& out);
Plan proxy_plan(const proxy::ProxySpec& spec, const std::vector<std::string>& names,
                double duration, const OutputSettings& out);

}  // namespace connperf::run
