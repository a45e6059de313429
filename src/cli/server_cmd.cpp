#include <algorithm>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "diag/sock_diag.h"
#include "run/conn_log.h"
#include "run/driver.h"
#include "run/serve_jobs.h"
#include "stats/metrics.h"
#include "loop/clock.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_server(CLI::App& app, ServerOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "server", "test responder: answers and counts how every connection ended, per second");
  c.add_option("--listen", o.listen, "ADDR:PORT to listen on (repeatable)");
  add_model_flag(c, o.model,
                 "epoll: -t reactor threads; thread: a thread per connection; fork: a process "
                 "per connection; iterative: one connection at a time");
  add_threads_flag(c, o.threads, "epoll worker threads")->default_str("one per CPU");
  add_cpus_flag(c, o.cpus,
                "the epoll worker threads (blocking models: the acceptor on the first, each "
                "connection's thread or process by its slot)");
  add_mode_flag(c, o.mode,
                "http: HTTP/1.1 200 with keep-alive; crr: answer each chunk with '200 Ok.'; "
                "echo; upper; stamp: '[ctime] ' + chunk; discard");
  c.add_option("--body", o.body,
               "http mode: answer 200 with a body of the size the path names (GET /1k: 1,024 "
               "bytes; k = 1024, m = 1024k, at most 16m), SIZE or LIST (1k,2k,4k,16k,64k); a "
               "size not in the list: 404; a path that names no size: the first")
      ->type_name("SIZE|LIST")
      ->default_str("off (a 3-byte body)");
  add_duration_flag(c, o.duration, "stop after SECONDS (0: at Ctrl-C)");
  c.add_option("--max-connections", o.max_connections,
               "open connections at most; beyond it accepting pauses")
      ->default_str("fd limit");
  c.add_option("--idle-timeout", o.idle_timeout, "close connections idle for SECONDS");
  c.add_option("--drain-timeout", o.drain_timeout,
               "at Ctrl-C/SIGTERM/-d: SECONDS to let peers close after our FIN; a second signal "
               "stops at once");
  c.add_option("--backlog", o.backlog, "listen backlog")->check(in_range(1, 65535));
  add_stats_listen_flag(c, o.stats_listen);
  add_netns_flag(c, o.netns);
  add_output_flags(c, o.out);
  add_kernel_counters_flag(c, o.out);
  add_conn_log_flags(c, o.out, true);
  add_tls_server_flags(c, o.tls);
}

server::ServerSpec server_spec(const ServerOptions& o) {
  enter_netns(o.netns);
  server::ServerSpec s;
  s.listen = parse_listen(o.listen);
  if (s.listen.empty()) throw UsageError("--listen: at least one address");
  s.threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  s.cpus = cpu_list(o.cpus);
  s.mode = server::parse_mode(o.mode).value_or(server::Mode::Http);
  s.model = server::parse_model(o.model).value_or(server::Model::Epoll);
  s.max_connections = o.max_connections;
  const double idle = parse_seconds("--idle-timeout", o.idle_timeout);
  if (idle <= 0) throw UsageError("--idle-timeout: must be more than 0");
  s.idle_timeout_ns = loop::ns_from_seconds(idle);
  s.backlog = o.backlog;
  s.log = o.out.conn_log(0);  // the engine makes its rings
  if (!o.body.empty()) {
    if (s.mode != server::Mode::Http) throw UsageError("--body: only with --mode http");
    s.bodies = parse_object_flag("--body", o.body, false).sizes;
  }
  const tls::ServerOptions t = tls_server_options(o.tls);
  if (t.on) {
    try {
      s.tls = std::make_shared<tls::ServerContext>(t);
    } catch (const tls::ConfigError& e) {
      throw UsageError(e.what());
    }
  }
  return s;
}

int run_server(const ServerOptions& o) {
  server::ServerSpec spec = server_spec(o);
  const double duration = parse_seconds("-d", o.duration);
  const double drain_timeout = parse_seconds("--drain-timeout", o.drain_timeout);
  o.out.interval_seconds();  // a bad --interval is a usage error before anything runs
  // An unwritable --log-connections is a usage error before anything listens.
  auto conn_log = spec.log ? std::make_unique<run::ConnLogWriter>(spec.log) : nullptr;
  net::raise_open_file_limit();
  StopSignals signals;
  const auto srv = server::make_server(std::move(spec));
  try {
    srv->open();
  } catch (const server::ListenError& e) {
    throw RunError(e.what());
  }
  const server::ServerSpec& s = srv->spec();
  const std::vector<std::string> names = run::announce_listeners(srv->addresses());
  const auto job =
      run::make_server_job(*srv, names, drain_timeout, o.stats_listen, std::move(conn_log));
  return run::drive(*job, run::server_plan(s, names, duration, o.out.settings()), signals);
}

}  // namespace connperf::cli
