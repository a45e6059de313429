#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "loop/event_loop.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_crr(CLI::App& app, CrrOptions& o) {
  CLI::App* c = app.add_subcommand(
      "crr", "new connections per second: connect, request, response, close (RST by default)");
  c->add_option("targets", o.targets, "HOST:PORT to connect to (repeatable, round-robin)")
      ->required();
  c->add_option("-t,--threads", o.threads, "worker threads, each with its own event loop")
      ->check(CLI::Range(1, 1024));
  c->add_option("-c,--concurrency", o.concurrency,
                "connections in flight in total (with --rate: the cap on in flight; default "
                "64, with --rate 10000)")
      ->check(CLI::Range(1, 10'000'000))
      ->each([&o](const std::string&) { o.concurrency_set = true; });
  c->add_option("--rate", o.rate, "new connections per second in total (open loop)")
      ->check(CLI::PositiveNumber);
  c->add_option("-d,--duration", o.duration, "run for SECONDS (default 10 unless -n)");
  c->add_option("-n,--count", o.count, "stop after N attempts")->check(CLI::Range(
      std::uint64_t{1}, UINT64_MAX));
  c->add_option("--timeout", o.timeout_ms, "MS for connect plus response (default 5000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}));
  c->add_option("--close", o.close, "how we close after the response: rst (SO_LINGER 0) or fin")
      ->check(CLI::IsMember({"rst", "fin"}));
  c->add_option("--request", o.request,
                "http (GET / HTTP/1.1), raw (send 'Get.', any reply completes) or TEXT to send "
                "(\\r \\n \\t \\\\ escapes)");
  c->add_option("--bind", o.binds, "source ADDR, range A-B, CIDR or comma list (repeatable)");
  c->add_option("--interval", o.interval, "SECONDS between table lines (default 1)");
  c->add_option("--json", o.json, "write the result document to FILE ('-' for stdout)");
  c->add_flag("-q,--quiet", o.quiet, "no per-interval lines");
  c->add_option("--max-error-rate", o.max_error_rate,
                "exit 3 when errors/started exceeds X (0..1)")
      ->check(CLI::Range(0.0, 1.0));
}

namespace {

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    switch (text[++i]) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '\\': out += '\\'; break;
      default: out += '\\'; out += text[i];
    }
  }
  return out;
}

nlohmann::json crr_config(const load::CrrSpec& s, double duration) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : s.targets) targets.push_back(t.addr.to_string());
  return {{"targets", targets},           {"threads", s.threads},
          {"concurrency", s.concurrency}, {"rate", s.rate},
          {"duration", duration},         {"count", s.count},
          {"close", load::to_string(s.close)},
          {"request", load::to_string(s.request)},
          {"timeout_ms", s.timeout_ns / 1'000'000},
          {"bind_addresses", s.binds.size()}};
}

void warn_ports_ran_out() {
  fmt::print(stderr,
             "warning: local ports ran out (EADDRNOTAVAIL): every source port to this target is "
             "in use or in TIME_WAIT. Use --close rst, add source addresses with --bind "
             "(e.g. 127.0.0.2-127.0.0.20), or lower --rate\n");
}

}  // namespace

load::CrrSpec crr_spec(const CrrOptions& o) {
  load::CrrSpec s;
  s.targets = parse_targets(o.targets);
  s.binds = parse_binds(o.binds);
  for (const auto& t : s.targets) {
    const bool match = s.binds.empty() ||
        std::any_of(s.binds.begin(), s.binds.end(),
                    [&t](const net::SockAddr& b) { return b.family() == t.addr.family(); });
    if (!match) throw UsageError("--bind has no address of the same family as " + t.name);
  }
  s.threads = o.threads;
  s.rate = o.rate;
  s.concurrency = o.rate > 0 && !o.concurrency_set ? 10'000 : o.concurrency;
  s.count = o.count;
  s.timeout_ns = o.timeout_ms * 1'000'000;
  s.close = o.close == "fin" ? load::CloseMode::Fin : load::CloseMode::Rst;
  if (o.request == "http") {
    s.request = load::RequestKind::Http;
  } else if (o.request == "raw") {
    s.request = load::RequestKind::Raw;
  } else {
    s.request = load::RequestKind::Text;
    s.text = unescape(o.request);
    if (s.text.empty()) throw UsageError("--request: empty request text");
  }
  return s;
}

int run_crr(const CrrOptions& o) {
  load::CrrSpec spec = crr_spec(o);
  StopSignals signals;
  return run_crr_spec(o, std::move(spec), signals);
}

int run_crr_spec(const CrrOptions& o, load::CrrSpec spec, StopSignals& signals) {
  const double interval = parse_seconds("--interval", o.interval);
  if (interval < 0.01) throw UsageError("--interval: at least 0.01 seconds");
  double duration = o.duration.empty() ? (o.count ? 0 : 10) : parse_seconds("-d", o.duration);
  if (!o.duration.empty() && duration <= 0) throw UsageError("-d: must be more than 0");
  preflight_warnings(spec, duration);

  std::FILE* human = o.json == "-" ? stderr : stdout;
  load::CrrEngine engine(std::move(spec));
  const load::CrrSpec& s = engine.spec();
  nlohmann::json doc = document("crr", crr_config(s, duration));
  if (!o.quiet) {
    fmt::print(human, "crr {} — {} thread{}, {}, close {}, request {}\n", o.targets.front() +
               (o.targets.size() > 1 ? fmt::format(" (+{} more)", o.targets.size() - 1) : ""),
               s.threads, s.threads == 1 ? "" : "s",
               s.rate > 0 ? fmt::format("{}/s (at most {} in flight)", s.rate, s.concurrency)
                          : fmt::format("{} in flight", s.concurrency),
               load::to_string(s.close), load::to_string(s.request));
    fmt::print(human, "{}\n", stats::crr_header());
    std::fflush(human);
  }

  stats::ClientSnapshot prev, now_snap, delta;
  bool warned = false;
  double last_t = 0;
  const std::uint64_t t0 = engine.start();
  auto tick = [&](double t, std::uint64_t) {
    engine.snapshot(now_snap);
    delta = now_snap;
    delta -= prev;
    prev = now_snap;
    const double secs = t - last_t;
    last_t = t;
    doc["intervals"].push_back(stats::crr_interval_json(t, delta, secs));
    if (!o.quiet) {
      fmt::print(human, "{}\n", stats::crr_line(t, delta, secs));
      std::fflush(human);
    }
    if (!warned && engine.saw_addr_unavailable()) {
      warned = true;
      warn_ports_ran_out();
    }
  };
  drive(signals, t0, interval, duration, [&engine] { return engine.finished(); }, tick);
  finish_in_flight(engine, signals, engine.spec().timeout_ns);
  engine.join();
  const double elapsed = static_cast<double>(engine.stopped_at() - t0) / 1e9;
  if (elapsed - last_t >= interval / 4) tick(elapsed, 0);

  stats::ClientSnapshot total;
  engine.snapshot(total);
  const std::uint64_t aborted = engine.aborted();
  if (!warned && engine.saw_addr_unavailable()) warn_ports_ran_out();
  fmt::print(human, "{}", stats::crr_summary_text(total, aborted, elapsed));
  doc["summary"] = stats::crr_summary_json(total, aborted, elapsed);
  std::vector<std::uint16_t> ports;
  for (const auto& t : engine.spec().targets) ports.push_back(t.addr.port());
  if (const auto tw = time_wait_on_ports(ports, false)) {
    fmt::print(human, "\nTIME_WAIT sockets to the target port{} now: {}{}\n",
               ports.size() == 1 ? "" : "s", stats::format_count(*tw),
               s.close == load::CloseMode::Fin && *tw > 0 ? " (from --close fin)" : "");
    doc["summary"]["time_wait"] = *tw;
  }
  std::fflush(human);
  if (!o.json.empty()) write_json(o.json, doc);

  return exit_code_for(total, o.max_error_rate);
}

}  // namespace connperf::cli
