#include <algorithm>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "loop/event_loop.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_server(CLI::App& app, ServerOptions& o) {
  CLI::App* c = app.add_subcommand(
      "server", "test responder: answers and counts how every connection ended, per second");
  c->add_option("--listen", o.listen, "ADDR:PORT to listen on (repeatable; default 0.0.0.0:8888)");
  c->add_option("--model", o.model,
                "epoll (default): -t reactor threads; thread: a thread per connection; fork: a "
                "process per connection; iterative: one connection at a time")
      ->check(CLI::IsMember({"epoll", "thread", "fork", "iterative"}));
  c->add_option("-t,--threads", o.threads, "epoll worker threads (default: one per CPU)")
      ->check(CLI::Range(1, 1024));
  c->add_option("--mode", o.mode,
                "http (default): HTTP/1.1 200 with keep-alive; crr: answer each chunk with "
                "'200 Ok.'; echo; upper; stamp: '[ctime] ' + chunk; discard")
      ->check(CLI::IsMember({"crr", "http", "echo", "upper", "stamp", "discard"}));
  c->add_option("-d,--duration", o.duration, "stop after SECONDS (default: until Ctrl-C)");
  c->add_option("--interval", o.interval, "SECONDS between table lines (default 1)");
  c->add_option("--json", o.json, "write the result document to FILE ('-' for stdout)");
  c->add_flag("-q,--quiet", o.quiet, "no per-interval lines");
  c->add_option("--max-connections", o.max_connections,
                "open connections at most; beyond it accepting pauses (default: fd limit)");
  c->add_option("--idle-timeout", o.idle_timeout,
                "close connections idle for SECONDS (default 60)");
  c->add_option("--drain-timeout", o.drain_timeout,
                "at Ctrl-C/SIGTERM/-d: SECONDS to let peers close after our FIN (default 5); a "
                "second signal stops at once");
  c->add_option("--backlog", o.backlog, "listen backlog (default 4096)")
      ->check(CLI::Range(1, 65535));
}

server::ServerSpec server_spec(const ServerOptions& o) {
  server::ServerSpec s;
  s.listen = parse_listen(o.listen);
  if (s.listen.empty()) throw UsageError("--listen: at least one address");
  s.threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  s.mode = server::parse_mode(o.mode).value_or(server::Mode::Http);
  s.model = server::parse_model(o.model).value_or(server::Model::Epoll);
  s.max_connections = o.max_connections;
  const double idle = parse_seconds("--idle-timeout", o.idle_timeout);
  if (idle <= 0) throw UsageError("--idle-timeout: must be more than 0");
  s.idle_timeout_ns = static_cast<std::uint64_t>(idle * 1e9);
  s.backlog = o.backlog;
  return s;
}

int run_server(const ServerOptions& o) {
  server::ServerSpec spec = server_spec(o);
  const double duration = parse_seconds("-d", o.duration);
  const double interval = parse_seconds("--interval", o.interval);
  const double drain_timeout = parse_seconds("--drain-timeout", o.drain_timeout);
  if (interval < 0.01) throw UsageError("--interval: at least 0.01 seconds");
  net::raise_open_file_limit();
  StopSignals signals;
  const auto engine = server::make_server(std::move(spec));
  server::ServerEngine& srv = *engine;
  try {
    srv.open();
  } catch (const server::ListenError& e) {
    throw RunError(e.what());
  }
  std::vector<std::string> names;
  for (const auto& a : srv.addresses()) {
    names.push_back(a.to_string());
    fmt::print(stderr, "listening on {}\n", names.back());
  }
  std::FILE* human = o.json == "-" ? stderr : stdout;
  nlohmann::json doc = document(
      "server", {{"listen", names},
                 {"threads", srv.spec().threads},
                 {"model", server::to_string(srv.spec().model)},
                 {"mode", server::to_string(srv.spec().mode)},
                 {"duration", duration},
                 {"max_connections", srv.spec().max_connections},
                 {"idle_timeout_s", static_cast<double>(srv.spec().idle_timeout_ns) / 1e9}});
  if (!o.quiet) {
    fmt::print(human, "server {} — model {}{}, mode {}\n{}\n", fmt::join(names, ", "),
               server::to_string(srv.spec().model),
               srv.spec().model == server::Model::Epoll
                   ? fmt::format(" ({} thread{})", srv.spec().threads,
                                 srv.spec().threads == 1 ? "" : "s")
                   : "",
               server::to_string(srv.spec().mode), stats::server_header());
    std::fflush(human);
  }

  std::vector<stats::ListenerSnapshot> now_snap;
  stats::ListenerSnapshot prev;
  double last_t = 0;
  const std::uint64_t t0 = loop::now_ns();
  srv.start();
  auto tick = [&](double t, std::uint64_t) {
    srv.snapshot(now_snap);
    stats::ListenerSnapshot total;
    for (const auto& l : now_snap) total += l;
    stats::ListenerSnapshot delta = total;
    delta -= prev;
    prev = total;
    const double secs = t - last_t;
    last_t = t;
    nlohmann::json j = stats::server_counts_json(delta);
    j["t"] = t;
    j["seconds"] = secs;
    j["active"] = total.active();
    doc["intervals"].push_back(std::move(j));
    if (!o.quiet) {
      fmt::print(human, "{}\n", stats::server_line(t, delta, total.active(), secs));
      std::fflush(human);
    }
  };
  drive(signals, t0, interval, duration, [] { return false; }, tick);
  srv.drain();
  const auto drain_ns = static_cast<std::uint64_t>(drain_timeout * 1e9);
  const std::uint64_t drain_end = loop::now_ns() + drain_ns;
  while (!srv.finished() && loop::now_ns() < drain_end)
    if (signals.wait_until(std::min(drain_end, loop::now_ns() + 5'000'000))) break;
  srv.stop();
  srv.join();
  const double elapsed = static_cast<double>(loop::now_ns() - t0) / 1e9;
  srv.snapshot(now_snap);
  const auto peers = srv.peers();
  fmt::print(human, "{}", stats::server_summary_text(names, now_snap, peers, elapsed));
  doc["summary"] = stats::server_summary_json(names, now_snap, peers, elapsed);
  std::vector<std::uint16_t> ports;
  for (const auto& a : srv.addresses()) ports.push_back(a.port());
  if (const auto tw = time_wait_on_ports(ports, true)) {
    fmt::print(human, "TIME_WAIT sockets on the listening port{} now: {}\n",
               ports.size() == 1 ? "" : "s", stats::format_count(*tw));
    doc["summary"]["time_wait"] = *tw;
  }
  std::fflush(human);
  if (!o.json.empty()) write_json(o.json, doc);
  return kOk;
}

}  // namespace connperf::cli
