#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "loop/event_loop.h"
#include "proxy/proxy.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_proxy(CLI::App& app, ProxyOptions& o) {
  CLI::App* c = app.add_subcommand(
      "proxy", "HTTP/1.1 forward proxy with CONNECT tunnels: relays without blocking, counts");
  c->add_option("--listen", o.listen,
                "ADDR:PORT to listen on (repeatable; default 127.0.0.1:3128)");
  c->add_option("-t,--threads", o.threads, "event-loop threads (default: one per CPU)")
      ->check(CLI::Range(1, 1024));
  c->add_option("--allow", o.allow,
                "client addresses served, CIDR (repeatable; default 127.0.0.0/8 and ::1/128); "
                "others get 403");
  c->add_option("--connect-ports", o.connect_ports,
                "ports CONNECT may reach: list and ranges, e.g. 443,8443,9000-9100 (default 443)");
  c->add_option("--max-connections", o.max_connections,
                "client connections at most; beyond it accepting pauses (default: what the "
                "open-file limit allows, six fds each as a tunnel needs, and the upstream pool)");
  c->add_option("--idle-timeout", o.idle_timeout,
                "close client connections and tunnels idle for SECONDS (default 60)");
  c->add_option("--upstream-timeout", o.upstream_timeout,
                "SECONDS to connect upstream and get a response head, else 504 (default 30)");
  c->add_option("--buffer", o.buffer,
                "relay buffer per direction per connection, bytes (default 65536)")
      ->check(CLI::Range(std::size_t{32 * 1024}, std::size_t{16 * 1024 * 1024}));
  c->add_option("--tunnel-buffer", o.tunnel_buffer,
                "CONNECT tunnels: kernel socket buffers (SO_RCVBUF/SO_SNDBUF) of both sockets, "
                "bytes; 0 = autotuning (default 2097152)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{64 * 1024 * 1024}));
  c->add_option("-d,--duration", o.duration, "stop after SECONDS (default: until Ctrl-C)");
  c->add_option("--interval", o.interval, "SECONDS between table lines (default 1)");
  c->add_option("--json", o.json, "write the result document to FILE ('-' for stdout)");
  c->add_flag("-q,--quiet", o.quiet, "no per-interval lines");
}

namespace {

proxy::ProxySpec proxy_spec(const ProxyOptions& o, long fd_limit) {
  proxy::ProxySpec s;
  s.listen = parse_listen(o.listen);
  if (s.listen.empty()) throw UsageError("--listen: at least one address");
  s.threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
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
  s.idle_timeout_ns = static_cast<std::uint64_t>(idle * 1e9);
  s.upstream_timeout_ns = static_cast<std::uint64_t>(upstream * 1e9);
  s.buffer = o.buffer;
  s.tunnel_buffer = o.tunnel_buffer;
  return s;
}

}  // namespace

int run_proxy(const ProxyOptions& o) {
  const long fd_limit = net::raise_open_file_limit();
  proxy::ProxySpec spec = proxy_spec(o, fd_limit);
  const double duration = parse_seconds("-d", o.duration);
  const double interval = parse_seconds("--interval", o.interval);
  if (interval < 0.01) throw UsageError("--interval: at least 0.01 seconds");
  if (const std::uint64_t need = proxy::fds_needed(spec.max_connections, spec.threads);
      fd_limit > 0 && need > static_cast<std::uint64_t>(fd_limit))
    fmt::print(stderr,
               "warning: --max-connections {} needs up to {} fds (tunnels use six), the "
               "open-file limit is {}\n",
               spec.max_connections, need, fd_limit);
  StopSignals signals;
  proxy::Proxy px(std::move(spec));
  try {
    px.open();
  } catch (const std::runtime_error& e) {
    throw RunError(e.what());
  }
  std::vector<std::string> names, allow;
  for (const auto& a : px.addresses()) {
    names.push_back(a.to_string());
    fmt::print(stderr, "listening on {}\n", names.back());
  }
  for (const auto& c : px.spec().allow) allow.push_back(c.to_string());
  const proxy::ProxySpec& sp = px.spec();
  std::FILE* human = o.json == "-" ? stderr : stdout;
  nlohmann::json doc =
      document("proxy", {{"listen", names},
                         {"threads", sp.threads},
                         {"allow", allow},
                         {"connect_ports", sp.connect_ports.to_string()},
                         {"max_connections", sp.max_connections},
                         {"idle_timeout_s", static_cast<double>(sp.idle_timeout_ns) / 1e9},
                         {"upstream_timeout_s", static_cast<double>(sp.upstream_timeout_ns) / 1e9},
                         {"buffer", sp.buffer},
                         {"tunnel_buffer", sp.tunnel_buffer},
                         {"duration", duration}});
  if (!o.quiet) {
    fmt::print(human, "proxy {} — {} thread{}, clients from {}, CONNECT to ports {}\n{}\n",
               fmt::join(names, ", "), sp.threads, sp.threads == 1 ? "" : "s",
               fmt::join(allow, ", "), sp.connect_ports.to_string(), stats::proxy_header());
    std::fflush(human);
  }
  stats::ProxySnapshot prev, now;
  double last_t = 0;
  const std::uint64_t t0 = loop::now_ns();
  px.start();
  auto tick = [&](double t, std::uint64_t) {
    px.snapshot(now);
    stats::ProxySnapshot delta = now;
    delta -= prev;
    prev = now;
    const double secs = t - last_t;
    last_t = t;
    nlohmann::json j = stats::proxy_counts_json(delta);
    j["t"] = t;
    j["seconds"] = secs;
    j["active"] = now.active();
    doc["intervals"].push_back(std::move(j));
    if (!o.quiet) {
      fmt::print(human, "{}\n", stats::proxy_line(t, delta, now.active(), secs));
      std::fflush(human);
    }
  };
  drive(
      signals, t0, interval, duration, [] { return false; }, tick);
  px.stop();
  px.join();
  const double elapsed = static_cast<double>(loop::now_ns() - t0) / 1e9;
  px.snapshot(now);
  fmt::print(human, "{}", stats::proxy_summary_text(now, elapsed));
  std::fflush(human);
  doc["summary"] = stats::proxy_summary_json(now, elapsed);
  if (!o.json.empty()) write_json(o.json, doc);
  return kOk;
}

}  // namespace connperf::cli
