#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "load/rr.h"
#include "loop/event_loop.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_rr(CLI::App& app, RrOptions& o) {
  CLI::App* c = app.add_subcommand(
      "rr", "requests per second over persistent connections: request, full response, repeat");
  c->add_option("targets", o.targets, "HOST:PORT (repeatable, round-robin over connections)")
      ->required();
  c->add_option("-t,--threads", o.threads, "worker threads")->check(CLI::Range(1, 1024));
  c->add_option("-c,--concurrency", o.connections, "persistent connections in total (default 64)")
      ->check(CLI::Range(1, 1'000'000));
  c->add_option("--rate", o.rate,
                "requests per second in total, each connection on its own schedule (open "
                "loop: latency counts from the scheduled send)")
      ->check(CLI::PositiveNumber);
  c->add_option("-d,--duration", o.duration, "run for SECONDS (default 10 unless -n)");
  c->add_option("-n,--count", o.count, "stop after N requests")
      ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX));
  c->add_option("--timeout", o.timeout_ms, "MS for a response; then `timeout` and a new connection")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}));
  c->add_option("--request", o.request, "http (default), raw ('Get.') or TEXT, as for crr");
  c->add_option("--size", o.size, "send BYTES of payload and check the echo byte for byte "
                                  "(against server --mode echo)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64} << 20));
  c->add_option("--bind", o.binds, "source ADDR, range A-B, CIDR or comma list (repeatable)");
  c->add_option("--interval", o.interval, "SECONDS between table lines (default 1)");
  c->add_option("--json", o.json, "write the result document to FILE ('-' for stdout)");
  c->add_flag("-q,--quiet", o.quiet, "no per-interval lines");
  c->add_option("--max-error-rate", o.max_error_rate, "exit 3 when errors/requests exceeds X")
      ->check(CLI::Range(0.0, 1.0));
}

int run_rr(const RrOptions& o) {
  CrrOptions as_crr;  // the shared flags mean the same as for crr
  as_crr.targets = o.targets;
  as_crr.binds = o.binds;
  as_crr.request = o.request;
  const load::CrrSpec common = crr_spec(as_crr);
  load::RrSpec spec;
  spec.targets = common.targets;
  spec.binds = common.binds;
  spec.request = common.request;
  spec.text = common.text;
  spec.threads = o.threads;
  spec.connections = o.connections;
  spec.rate = o.rate;
  spec.count = o.count;
  spec.size = o.size;
  spec.timeout_ns = o.timeout_ms * 1'000'000;
  const double interval = parse_seconds("--interval", o.interval);
  if (interval < 0.01) throw UsageError("--interval: at least 0.01 seconds");
  const double duration = o.duration.empty() ? (o.count ? 0 : 10) : parse_seconds("-d", o.duration);
  if (!o.duration.empty() && duration <= 0) throw UsageError("-d: must be more than 0");
  const long files = net::raise_open_file_limit();
  if (files > 0 && spec.connections + 64 > static_cast<unsigned long>(files))
    fmt::print(stderr, "warning: {} connections exceed the open-file limit ({})\n",
               spec.connections, files);

  StopSignals signals;
  std::FILE* human = o.json == "-" ? stderr : stdout;
  load::RrEngine engine(std::move(spec));
  const load::RrSpec& s = engine.spec();
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : s.targets) targets.push_back(t.addr.to_string());
  nlohmann::json doc = document(
      "rr", {{"targets", targets}, {"threads", s.threads}, {"connections", s.connections},
             {"rate", s.rate}, {"duration", duration}, {"count", s.count},
             {"request", s.size ? "echo" : load::to_string(s.request)}, {"size", s.size},
             {"timeout_ms", s.timeout_ns / 1'000'000}});
  if (!o.quiet) {
    fmt::print(human, "rr {} — {} thread{}, {} connections, {}, request {}\n{}\n",
               o.targets.front(), s.threads, s.threads == 1 ? "" : "s", s.connections,
               s.rate > 0 ? fmt::format("{}/s scheduled", s.rate) : std::string("closed loop"),
               s.size ? fmt::format("echo {} bytes", s.size) : load::to_string(s.request),
               stats::rr_header());
    std::fflush(human);
  }
  stats::ClientSnapshot prev, now_snap, delta;
  double last_t = 0;
  const std::uint64_t t0 = engine.start();
  auto tick = [&](double t, std::uint64_t) {
    engine.snapshot(now_snap);
    delta = now_snap;
    delta -= prev;
    prev = now_snap;
    const double secs = t - last_t;
    last_t = t;
    nlohmann::json j = stats::crr_interval_json(t, delta, secs);
    j["requests"] = delta.completed;
    j["qps"] = j["cps"];
    j.erase("cps");
    j["connections"] = engine.open_connections();
    doc["intervals"].push_back(std::move(j));
    if (!o.quiet) {
      fmt::print(human, "{}\n", stats::rr_line(t, delta, engine.open_connections(), secs));
      std::fflush(human);
    }
  };
  drive(signals, t0, interval, duration, [&engine] { return engine.finished(); }, tick);
  engine.drain();
  const std::uint64_t end = loop::now_ns() + std::min<std::uint64_t>(2'000'000'000, s.timeout_ns);
  while (!engine.finished() && loop::now_ns() < end)
    if (signals.wait_until(std::min(end, loop::now_ns() + 2'000'000))) break;
  engine.stop();
  engine.join();
  const double elapsed = static_cast<double>(engine.stopped_at() - t0) / 1e9;
  if (elapsed - last_t >= interval / 4) tick(elapsed, 0);
  stats::ClientSnapshot total;
  engine.snapshot(total);
  const std::uint64_t aborted = engine.aborted();
  std::string text = stats::crr_summary_text(total, aborted, elapsed);
  fmt::print(human, "{}", text);
  std::fflush(human);
  doc["summary"] = stats::rr_summary_json(total, aborted, elapsed);
  if (!o.json.empty()) write_json(o.json, doc);
  if (o.max_error_rate >= 0 && total.started > 0 &&
      static_cast<double>(total.error_total()) / static_cast<double>(total.started) >
          o.max_error_rate)
    return kErrorRate;
  return kOk;
}

}  // namespace connperf::cli
