#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "run/driver.h"
#include "run/serve_jobs.h"
#include "loop/event_loop.h"
#include "proxy/proxy.h"
#include "stats/metrics.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_proxy(CLI::App& app, ProxyOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "proxy", "HTTP/1.1 forward proxy with CONNECT tunnels: relays without blocking, counts");
  c.add_option("--listen", o.listen, "ADDR:PORT to listen on (repeatable)");
  add_threads_flag(c, o.threads, "event-loop threads")->default_str("one per CPU");
  add_cpus_flag(c, o.cpus, "the event-loop threads");
  c.add_option("--allow", o.allow, "client addresses served, CIDR (repeatable); others get 403");
  c.add_option("--connect-ports", o.connect_ports,
               "ports CONNECT may reach: list and ranges, e.g. 443,8443,9000-9100");
  c.add_option("--max-connections", o.max_connections,
               "client connections at most; beyond it accepting pauses")
      ->default_str("what the fd limit allows: six fds each as a tunnel needs, and the upstream "
                    "pool");
  c.add_option("--idle-timeout", o.idle_timeout,
               "close client connections and tunnels idle for SECONDS");
  c.add_option("--upstream-timeout", o.upstream_timeout,
               "SECONDS to connect upstream and get a response head, else 504");
  c.add_option("--buffer", o.buffer, "relay buffer per direction per connection, bytes")
      ->check(in_range(std::size_t{32 * 1024}, std::size_t{16 * 1024 * 1024}));
  c.add_option("--tunnel-buffer", o.tunnel_buffer,
               "CONNECT tunnels: kernel socket buffers (SO_RCVBUF/SO_SNDBUF) of both sockets, "
               "bytes; 0 = autotuning")
      ->check(in_range(std::size_t{0}, std::size_t{64 * 1024 * 1024}));
  add_duration_flag(c, o.duration, "stop after SECONDS (0: at Ctrl-C)");
  add_stats_listen_flag(c, o.stats_listen);
  add_output_flags(c, o.out);
}

namespace {

proxy::ProxySpec proxy_spec(const ProxyOptions& o, long fd_limit) {
  proxy::ProxySpec s;
  s.listen = parse_listen(o.listen);
  if (s.listen.empty()) throw UsageError("--listen: at least one address");
  s.threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  s.cpus = cpu_list(o.cpus);
  if (o.allow.empty()) throw UsageError("--allow: at least one address or prefix");
  for (const std::string& a : o.allow) {
    try {
      s.allow.push_back(net::parse_cidr(a));
    } catch (const net::AddressError& e) {
      throw UsageError(fmt::format("--allow: {}", e.what()));
    }
  }
  try {
    s.connect_ports = proxy::PortSet::parse(o.connect_ports);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("--connect-ports: {}", e.what()));
  }
  s.max_connections =
      o.max_connections ? o.max_connections : proxy::connections_that_fit(fd_limit, s.threads);
  const double idle = parse_seconds("--idle-timeout", o.idle_timeout);
  const double upstream = parse_seconds("--upstream-timeout", o.upstream_timeout);
  if (idle <= 0) throw UsageError("--idle-timeout: must be more than 0");
  if (upstream <= 0) throw UsageError("--upstream-timeout: must be more than 0");
  s.idle_timeout_ns = loop::ns_from_seconds(idle);
  s.upstream_timeout_ns = loop::ns_from_seconds(upstream);
  s.buffer = o.buffer;
  s.tunnel_buffer = o.tunnel_buffer;
  return s;
}

void warn_fd_limit(const proxy::ProxySpec& spec, long fd_limit) {
  const std::uint64_t need = proxy::fds_needed(spec.max_connections, spec.threads);
  if (fd_limit > 0 && need > static_cast<std::uint64_t>(fd_limit))
    fmt::print(stderr,
               "warning: --max-connections {} needs up to {} fds (tunnels use six), the "
               "open-file limit is {}\n",
               spec.max_connections, need, fd_limit);
}

}  // namespace

int run_proxy(const ProxyOptions& o) {
  const long fd_limit = net::raise_open_file_limit();
  proxy::ProxySpec spec = proxy_spec(o, fd_limit);
  const double duration = parse_seconds("-d", o.duration);
  o.out.interval_seconds();  // a bad --interval is a usage error before anything runs
  warn_fd_limit(spec, fd_limit);
  StopSignals signals;
  proxy::Proxy px(std::move(spec));
  try {
    px.open();
  } catch (const std::runtime_error& e) {
    throw RunError(e.what());
  }
  const std::vector<std::string> names = run::announce_listeners(px.addresses());
  const auto job = run::make_proxy_job(px, o.stats_listen);
  return run::drive(*job, run::proxy_plan(px.spec(), names, duration, o.out.settings()), signals);
}

}  // namespace connperf::cli
