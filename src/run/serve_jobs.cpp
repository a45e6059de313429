#include "run/serve_jobs.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "diag/sock_diag.h"
#include "loop/clock.h"
#include "stats/metrics.h"
#include "stats/printers.h"

namespace connperf::run {

namespace {

class ServerJob final : public Job {
 public:
  ServerJob(server::ServerEngine& srv, std::vector<std::string> names, double drain_timeout,
            const EndpointOpener& open_endpoint)
      : srv_(srv), names_(std::move(names)), drain_ns_(loop::ns_from_seconds(drain_timeout)) {
    endpoint_ = open_endpoint([this](std::string_view path) {
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
    if (const auto tw = diag::time_wait_on_ports(ports, true)) {
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

class ProxyJob final : public Job {
 public:
  ProxyJob(proxy::Proxy& px, const EndpointOpener& open_endpoint) : px_(px) {
    endpoint_ = open_endpoint([this](std::string_view path) {
      return live_page(path);
    });
  }

  std::uint64_t start() override {
    t0_ = loop::now_ns();
    px_.start();
    if (endpoint_) endpoint_->start();
    return t0_;
  }

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

  std::uint64_t stop(StopSignals&, bool) override {
    px_.stop();
    px_.join();
    if (endpoint_) endpoint_->stop();
    return loop::now_ns();
  }
  bool reports_last_interval() const override { return false; }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    stats::ProxySnapshot now;
    px_.snapshot(now);
    text = stats::proxy_summary_text(now, elapsed);
    j = stats::proxy_summary_json(now, elapsed);
  }

 private:
  // On the endpoint's thread: the counters are single-writer atomics.
  std::optional<server::Page> live_page(std::string_view path) const {
    stats::ProxySnapshot now;
    px_.snapshot(now);
    const double elapsed = loop::seconds_from_ns(loop::now_ns() - t0_);
    if (path == "/metrics")
      return server::Page{"text/plain; version=0.0.4; charset=utf-8",
                          stats::proxy_metrics(now, elapsed)};
    if (path != "/stats") return std::nullopt;
    return server::Page{"application/json",
                        stats::proxy_summary_json(now, elapsed).dump() + "\n"};
  }

  proxy::Proxy& px_;
  stats::ProxySnapshot prev_;
  std::uint64_t t0_ = 0;  // set before the endpoint's thread starts
  std::unique_ptr<server::StatsEndpoint> endpoint_;
};

}  // namespace

std::unique_ptr<Job> make_server_job(server::ServerEngine& srv, std::vector<std::string> names,
                                     double drain_timeout, const EndpointOpener& open_endpoint) {
  return std::make_unique<ServerJob>(srv, std::move(names), drain_timeout, open_endpoint);
}

std::unique_ptr<Job> make_proxy_job(proxy::Proxy& px, const EndpointOpener& open_endpoint) {
  return std::make_unique<ProxyJob>(px, open_endpoint);
}

}  // namespace connperf::run
