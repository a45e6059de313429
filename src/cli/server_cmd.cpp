#include <algorithm>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/live_stats.h"
#include "run/driver.h"
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
  add_mode_flag(c, o.mode,
                "http: HTTP/1.1 200 with keep-alive; crr: answer each chunk with '200 Ok.'; "
                "echo; upper; stamp: '[ctime] ' + chunk; discard");
  add_duration_flag(c, o.duration, "stop after SECONDS (0: at Ctrl-C)");
  c.add_option("--max-connections", o.max_connections,
               "open connections at most; beyond it accepting pauses")
      ->default_str("fd limit");
  c.add_option("--idle-timeout", o.idle_timeout, "close connections idle for SECONDS");
  c.add_option("--drain-timeout", o.drain_timeout,
               "at Ctrl-C/SIGTERM/-d: SECONDS to let peers close after our FIN; a second signal "
               "stops at once");
  c.add_option("--backlog", o.backlog, "listen backlog")->check(CLI::Range(1, 65535));
  add_stats_listen_flag(c, o.stats_listen);
  add_netns_flag(c, o.netns);
  add_output_flags(c, o.out);
  add_kernel_counters_flag(c, o.out);
}

server::ServerSpec server_spec(const ServerOptions& o) {
  enter_netns(o.netns);
  server::ServerSpec s;
  s.listen = parse_listen(o.listen);
  if (s.listen.empty()) throw UsageError("--listen: at least one address");
  s.threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  s.mode = server::parse_mode(o.mode).value_or(server::Mode::Http);
  s.model = server::parse_model(o.model).value_or(server::Model::Epoll);
  s.max_connections = o.max_connections;
  const double idle = parse_seconds("--idle-timeout", o.idle_timeout);
  if (idle <= 0) throw UsageError("--idle-timeout: must be more than 0");
  s.idle_timeout_ns = loop::ns_from_seconds(idle);
  s.backlog = o.backlog;
  return s;
}

namespace {

}  // namespace

std::vector<std::string> listen_names(const std::vector<net::SockAddr>& addresses) {
  std::vector<std::string> names;
  for (const auto& a : addresses) {
    names.push_back(a.to_string());
    fmt::print(stderr, "listening on {}\n", names.back());
  }
  return names;
}

namespace {

std::string server_banner(const server::ServerSpec& s, const std::vector<std::string>& names) {
  return fmt::format("server {} — model {}{}, mode {}\n{}\n", fmt::join(names, ", "),
                     server::to_string(s.model),
                     s.model == server::Model::Epoll
                         ? fmt::format(" ({} thread{})", s.threads, s.threads == 1 ? "" : "s")
                         : "",
                     server::to_string(s.mode), stats::server_header());
}

class ServerJob final : public run::Job {
 public:
  ServerJob(server::ServerEngine& srv, std::vector<std::string> names, double drain_timeout,
            const std::string& stats_listen)
      : srv_(srv), names_(std::move(names)), drain_ns_(loop::ns_from_seconds(drain_timeout)) {
    endpoint_ = open_stats_endpoint(stats_listen, [this](std::string_view path) {
      return live_page(path);
    });
  }

  std::uint64_t start() override {
    t0_ = loop::now_ns();
    srv_.start();
    if (endpoint_) endpoint_->start();
    return t0_;
  }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    std::vector<stats::ListenerSnapshot> per_listener;
    srv_.snapshot(per_listener);
    stats::ListenerSnapshot total;
    for (const auto& l : per_listener) total += l;
    stats::ListenerSnapshot delta = total;
    delta -= prev_;
    prev_ = total;
    j = stats::server_counts_json(delta);
    j["t"] = t;
    j["seconds"] = seconds;
    j["active"] = total.active();
    line = stats::server_line(t, delta, total.active(), seconds);
  }

  // Our FIN to every peer, then up to --drain-timeout for them to close (a second signal ends
  // the wait), then what is left is closed by the server.
  std::uint64_t stop(StopSignals& signals, bool) override {
    srv_.drain();
    const std::uint64_t drain_end = loop::now_ns() + drain_ns_;
    while (!srv_.finished() && loop::now_ns() < drain_end)
      if (signals.wait_until(std::min(drain_end, loop::now_ns() + 5 * loop::kMs))) break;
    srv_.stop();
    srv_.join();
    if (endpoint_) endpoint_->stop();
    return loop::now_ns();
  }
  bool reports_last_interval() const override { return false; }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    std::vector<stats::ListenerSnapshot> per_listener;
    srv_.snapshot(per_listener);
    const auto peers = srv_.peers();
    text = stats::server_summary_text(names_, per_listener, peers, elapsed);
    j = stats::server_summary_json(names_, per_listener, peers, elapsed);
    std::vector<std::uint16_t> ports;
    for (const auto& a : srv_.addresses()) ports.push_back(a.port());
    if (const auto tw = time_wait_on_ports(ports, true)) {
      text += fmt::format("TIME_WAIT sockets on the listening port{} now: {}\n",
                          ports.size() == 1 ? "" : "s", stats::format_count(*tw));
      j["time_wait"] = *tw;
    }
  }

 private:
  // On the endpoint's thread: the counters are single-writer atomics, the names fixed; the
  // peers are known only at the end, so /stats leaves them out.
  std::optional<server::Page> live_page(std::string_view path) const {
    std::vector<stats::ListenerSnapshot> per_listener;
    srv_.snapshot(per_listener);
    const double elapsed = loop::seconds_from_ns(loop::now_ns() - t0_);
    if (path == "/metrics")
      return server::Page{"text/plain; version=0.0.4; charset=utf-8",
                          stats::server_metrics(names_, per_listener, elapsed)};
    if (path != "/stats") return std::nullopt;
    nlohmann::json j = stats::server_summary_json(names_, per_listener, {}, elapsed);
    j.erase("peers");
    return server::Page{"application/json", j.dump() + "\n"};
  }

  server::ServerEngine& srv_;
  std::vector<std::string> names_;
  std::uint64_t drain_ns_;
  stats::ListenerSnapshot prev_;
  std::uint64_t t0_ = 0;  // set before the endpoint's thread starts
  std::unique_ptr<server::StatsEndpoint> endpoint_;
};

}  // namespace

int run_server(const ServerOptions& o) {
  server::ServerSpec spec = server_spec(o);
  const double duration = parse_seconds("-d", o.duration);
  const double drain_timeout = parse_seconds("--drain-timeout", o.drain_timeout);
  o.out.interval_seconds();  // a bad --interval is a usage error before anything runs
  net::raise_open_file_limit();
  StopSignals signals;
  const auto srv = server::make_server(std::move(spec));
  try {
    srv->open();
  } catch (const server::ListenError& e) {
    throw RunError(e.what());
  }
  const server::ServerSpec& s = srv->spec();
  const std::vector<std::string> names = listen_names(srv->addresses());
  ServerJob job(*srv, names, drain_timeout, o.stats_listen);
  const run::Plan report{"server",
                      {{"listen", names},
                       {"threads", s.threads},
                       {"model", server::to_string(s.model)},
                       {"mode", server::to_string(s.mode)},
                       {"duration", duration},
                       {"max_connections", s.max_connections},
                       {"idle_timeout_s", loop::seconds_from_ns(s.idle_timeout_ns)}},
                      server_banner(s, names), duration, o.out.settings()};
  return run::drive(job, report, signals);
}

}  // namespace connperf::cli
