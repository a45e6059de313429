#include "run/serve_jobs.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "diag/cpu_time.h"
#include "diag/sock_diag.h"
#include "loop/clock.h"
#include "run/errors.h"
#include "stats/metrics.h"
#include "stats/printers.h"

namespace connperf::run {

std::unique_ptr<server::StatsEndpoint> open_stats_endpoint(const std::string& spec,
                                                           server::Pages pages) {
  if (spec.empty()) return nullptr;
  net::SockAddr addr;
  try {
    const bool port_only =
        std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; });
    addr = net::resolve_endpoint(port_only ? "127.0.0.1:" + spec : spec);
  } catch (const net::AddressError& e) {
    throw UsageError(fmt::format("--stats-listen: {}", e.what()));
  }
  std::unique_ptr<server::StatsEndpoint> ep;
  try {
    ep = std::make_unique<server::StatsEndpoint>(addr, std::move(pages));
  } catch (const loop::ListenError& e) {
    throw RunError(fmt::format("--stats-listen: {}", e.what()));
  }
  const std::string at = ep->address().to_string();
  fmt::print(stderr, "stats on http://{}/metrics and http://{}/stats\n", at, at);
  return ep;
}

namespace {

// What serving jobs share: the engine started with the run, the live endpoint (--stats-listen)
// opened with the job and answering from the counters while it runs, stopped after the engine.
class ServingJob : public Job {
 public:
  std::uint64_t start() override {
    t0_ = loop::now_ns();
    started(t0_);
    start_engine();
    if (endpoint_) endpoint_->start();
    return t0_;
  }
  std::uint64_t stop(StopSignals& signals, bool) override {
    stop_engine(signals);
    if (endpoint_) endpoint_->stop();
    return loop::now_ns();
  }
  bool reports_last_interval() const override { return false; }

 protected:
  // Called by the subclass's constructor, once it can answer pages.
  void open_endpoint(const std::string& stats_listen) {
    endpoint_ = open_stats_endpoint(stats_listen, [this](std::string_view path) {
      auto p = page(path, loop::seconds_from_ns(loop::now_ns() - t0_));
      if (p && path == "/metrics") {
        const diag::CpuTime cpu = diag::read_cpu_time();
        p->body += stats::cpu_metrics(static_cast<double>(cpu.user_us) / 1e6,
                                      static_cast<double>(cpu.sys_us) / 1e6);
      }
      return p;
    });
  }
  // Called by the subclass's destructor: the endpoint's thread may be answering from it.
  void close_endpoint() { endpoint_.reset(); }
  virtual void started(std::uint64_t /*t0*/) {}  // before the engine starts
  virtual void start_engine() = 0;
  virtual void stop_engine(StopSignals& signals) = 0;
  // On the endpoint's thread: /metrics or /stats `elapsed` seconds into the run.
  virtual std::optional<server::Page> page(std::string_view path, double elapsed) const = 0;

 private:
  std::uint64_t t0_ = 0;  // set before the endpoint's thread starts
  std::unique_ptr<server::StatsEndpoint> endpoint_;
};

class ServerJob final : public ServingJob {
 public:
  ServerJob(server::ServerEngine& srv, std::vector<std::string> names, double drain_timeout,
            const std::string& stats_listen, std::unique_ptr<ConnLogWriter> conn_log)
      : srv_(srv),
        names_(std::move(names)),
        drain_ns_(loop::ns_from_seconds(drain_timeout)),
        conn_log_(std::move(conn_log)) {
    open_endpoint(stats_listen);
  }
  ~ServerJob() override { close_endpoint(); }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    std::vector<stats::ListenerSnapshot> per_listener;
    srv_.snapshot(per_listener);
    stats::ListenerSnapshot total;
    for (const auto& l : per_listener) total += l;
    stats::ListenerSnapshot delta = total;
    delta -= prev_;
    j = stats::server_interval_json(total, prev_);  // counts over the interval, active now
    if (tls()) j["tls"] = stats::server_tls_json(delta);
    prev_ = total;
    j["t"] = t;
    j["seconds"] = seconds;
    line = stats::server_line(t, delta, total.active(), seconds);
  }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    std::vector<stats::ListenerSnapshot> per_listener;
    srv_.snapshot(per_listener);
    const auto peers = srv_.peers();
    text = stats::server_summary_text(names_, per_listener, peers, elapsed);
    j = stats::server_summary_json(names_, per_listener, peers, elapsed);
    if (tls()) add_tls(text, j, per_listener);
    std::vector<std::uint16_t> ports;
    for (const auto& a : srv_.addresses()) ports.push_back(a.port());
    if (const auto tw = diag::time_wait_on_ports(ports, true)) {
      text += fmt::format("TIME_WAIT sockets on the listening port{} now: {}\n",
                          ports.size() == 1 ? "" : "s", stats::format_count(*tw));
      j["time_wait"] = *tw;
    }
    if (conn_log_) conn_log_->summarize(text, j);  // summary.log_records, summary.log_dropped
  }

 private:
  void started(std::uint64_t t0) override {
    if (conn_log_) conn_log_->start(t0);
  }
  void start_engine() override { srv_.start(); }

  // Our FIN to every peer, then up to --drain-timeout for them to close (a second signal ends
  // the wait), then what is left is closed by the server.
  void stop_engine(StopSignals& signals) override {
    srv_.drain();
    const std::uint64_t drain_end = loop::now_ns() + drain_ns_;
    while (!srv_.finished() && loop::now_ns() < drain_end)
      if (signals.wait_until(std::min(drain_end, loop::now_ns() + 5 * loop::kMs))) break;
    srv_.stop();
    srv_.join();
    if (conn_log_) conn_log_->finish();  // every connection's record, or its drop counted
  }

  // The counters are single-writer atomics, the names fixed; the peers are known only at the
  // end, so /stats leaves them out.
  std::optional<server::Page> page(std::string_view path, double elapsed) const override {
    std::vector<stats::ListenerSnapshot> per_listener;
    srv_.snapshot(per_listener);
    if (path == "/metrics")
      return server::Page{"text/plain; version=0.0.4; charset=utf-8",
                          stats::server_metrics(names_, per_listener, elapsed, tls())};
    if (path != "/stats") return std::nullopt;
    nlohmann::json j = stats::server_summary_json(names_, per_listener, {}, elapsed);
    j.erase("peers");
    if (tls()) {
      std::string unused;
      add_tls(unused, j, per_listener);
    }
    return server::Page{"application/json", j.dump() + "\n"};
  }

  bool tls() const noexcept { return srv_.spec().tls != nullptr; }
  // summary.tls and listeners[].tls, and the summary's line.
  static void add_tls(std::string& text, nlohmann::json& j,
                      const std::vector<stats::ListenerSnapshot>& per_listener) {
    stats::ListenerSnapshot total;
    for (std::size_t i = 0; i < per_listener.size(); ++i) {
      total += per_listener[i];
      j["listeners"][i]["tls"] = stats::server_tls_json(per_listener[i], true);
    }
    j["tls"] = stats::server_tls_json(total, true);
    text += stats::server_tls_text(total);
  }

  server::ServerEngine& srv_;
  std::vector<std::string> names_;
  std::uint64_t drain_ns_;
  std::unique_ptr<ConnLogWriter> conn_log_;  // --log-connections
  stats::ListenerSnapshot prev_;
};

class ProxyJob final : public ServingJob {
 public:
  ProxyJob(proxy::Proxy& px, const std::string& stats_listen) : px_(px) {
    open_endpoint(stats_listen);
  }
  ~ProxyJob() override { close_endpoint(); }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    stats::ProxySnapshot now;
    px_.snapshot(now);
    stats::ProxySnapshot delta = now;
    delta -= prev_;
    prev_ = now;
    j = stats::proxy_counts_json(delta);
    j["t"] = t;
    j["seconds"] = seconds;
    j["active"] = now.active();
    line = stats::proxy_line(t, delta, now.active(), seconds);
  }


  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    stats::ProxySnapshot now;
    px_.snapshot(now);
    text = stats::proxy_summary_text(now, elapsed);
    j = stats::proxy_summary_json(now, elapsed);
  }

 private:
  void start_engine() override { px_.start(); }
  void stop_engine(StopSignals&) override {
    px_.stop();
    px_.join();
  }

  // The counters are single-writer atomics.
  std::optional<server::Page> page(std::string_view path, double elapsed) const override {
    stats::ProxySnapshot now;
    px_.snapshot(now);
    if (path == "/metrics")
      return server::Page{"text/plain; version=0.0.4; charset=utf-8",
                          stats::proxy_metrics(now, elapsed)};
    if (path != "/stats") return std::nullopt;
    return server::Page{"application/json",
                        stats::proxy_summary_json(now, elapsed).dump() + "\n"};
  }

  proxy::Proxy& px_;
  stats::ProxySnapshot prev_;
};

}  // namespace

std::unique_ptr<Job> make_server_job(server::ServerEngine& srv, std::vector<std::string> names,
                                     double drain_timeout, const std::string& stats_listen,
                                     std::unique_ptr<ConnLogWriter> conn_log) {
  return std::make_unique<ServerJob>(srv, std::move(names), drain_timeout, stats_listen,
                                     std::move(conn_log));
}

std::unique_ptr<Job> make_proxy_job(proxy::Proxy& px, const std::string& stats_listen) {
  return std::make_unique<ProxyJob>(px, stats_listen);
}

std::vector<std::string> announce_listeners(const std::vector<net::SockAddr>& addresses) {
  std::vector<std::string> names;
  for (const auto& a : addresses) {
    names.push_back(a.to_string());
    fmt::print(stderr, "listening on {}\n", names.back());
  }
  return names;
}

Plan server_plan(const server::ServerSpec& s, const std::vector<std::string>& names,
                 double duration, const OutputSettings& out) {
  std::string banner = fmt::format(
      "server {} — model {}{}, mode {}{}\n{}\n", fmt::join(names, ", "),
      server::to_string(s.model),
      s.model == server::Model::Epoll
          ? fmt::format(" ({} thread{})", s.threads, s.threads == 1 ? "" : "s")
          : "",
      server::to_string(s.mode), s.tls ? ", tls" : "", stats::server_header());
  return {"server",
          {{"listen", names},
           {"threads", s.threads},
           {"cpus", s.cpus},
           {"model", server::to_string(s.model)},
           {"mode", server::to_string(s.mode)},
           {"duration", duration},
           {"max_connections", s.max_connections},
           {"idle_timeout_s", loop::seconds_from_ns(s.idle_timeout_ns)},
           {"tls", s.tls != nullptr}},
          std::move(banner), duration, out};
}

Plan proxy_plan(const proxy::ProxySpec& s, const std::vector<std::string>& names,
                double duration, const OutputSettings& out) {
  std::vector<std::string> allow;
  for (const auto& c : s.allow) allow.push_back(c.to_string());
  std::string banner = fmt::format(
      "proxy {} — {} thread{}, clients from {}, CONNECT to ports {}\n{}\n", fmt::join(names, ", "),
      s.threads, s.threads == 1 ? "" : "s", fmt::join(allow, ", "), s.connect_ports.to_string(),
      stats::proxy_header());
  return {"proxy",
          {{"listen", names},
           {"threads", s.threads},
           {"cpus", s.cpus},
           {"allow", allow},
           {"connect_ports", s.connect_ports.to_string()},
           {"max_connections", s.max_connections},
           {"idle_timeout_s", loop::seconds_from_ns(s.idle_timeout_ns)},
           {"upstream_timeout_s", loop::seconds_from_ns(s.upstream_timeout_ns)},
           {"buffer", s.buffer},
           {"tunnel_buffer", s.tunnel_buffer},
           {"duration", duration}},
          std::move(banner), duration, out};
}

}  // namespace connperf::run
