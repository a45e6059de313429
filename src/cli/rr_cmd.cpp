#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>

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
  c->add_option("--sweep", o.sweep,
                "N1,N2,...: one step per connection count, -d seconds each (default 5) after "
                "--warmup; a closing table, summary.steps[] in JSON");
  c->add_option("--warmup", o.warmup, "with --sweep: SECONDS before each step's clock (default 1)");
  c->add_option("--csv", o.csv, "with --sweep: write the steps as CSV to FILE");
  c->add_option("--bind", o.binds, "source ADDR, range A-B, CIDR or comma list (repeatable)");
  c->add_option("--interval", o.interval, "SECONDS between table lines (default 1)");
  c->add_option("--json", o.json, "write the result document to FILE ('-' for stdout)");
  c->add_flag("-q,--quiet", o.quiet, "no per-interval lines");
  c->add_option("--max-error-rate", o.max_error_rate, "exit 3 when errors/requests exceeds X")
      ->check(CLI::Range(0.0, 1.0));
}

namespace {

std::vector<unsigned> parse_sweep(const std::string& text) {
  std::vector<unsigned> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || ec != std::errc{} || end != item.data() + item.size() || n == 0)
      throw UsageError("--sweep: '" + text + "' is not a list of connection counts (e.g. 50,100)");
    out.push_back(n);
    start = comma + 1;
  }
  return out;
}

struct Step {
  unsigned connections;
  std::uint64_t open;
  stats::ClientSnapshot delta;
  double seconds;
};

nlohmann::json step_json(const Step& st) {
  const double started = static_cast<double>(st.delta.started);
  return {{"connections", st.connections},
          {"open_connections", st.open},
          {"requests", st.delta.completed},
          {"qps", static_cast<double>(st.delta.completed) / st.seconds},
          {"error_rate", started > 0 ? static_cast<double>(st.delta.error_total()) / started : 0.0},
          {"errors", stats::errors_json(st.delta)},
          {"latency_us", {{"response", stats::latency_json(st.delta.total_us)}}}};
}

std::string step_row(const nlohmann::json& j) {
  const auto& lat = j["latency_us"]["response"];
  return fmt::format("{:>11} {:>12} {:>10.4f} {:>9} {:>9} {:>9}", j["connections"].get<unsigned>(),
                     stats::format_count(static_cast<std::uint64_t>(j["qps"].get<double>())),
                     j["error_rate"].get<double>(), stats::format_us(lat["p50"]),
                     stats::format_us(lat["p99"]), stats::format_us(lat["p999"]));
}

// One engine per step: connections open during the warm-up, then the step's clock runs.
int run_sweep(const RrOptions& o, const load::RrSpec& base, double duration, StopSignals& signals,
              std::FILE* human, nlohmann::json& doc) {
  const double warmup = parse_seconds("--warmup", o.warmup);
  const std::vector<unsigned> counts = parse_sweep(o.sweep);
  fmt::print(human, "{:>11} {:>12} {:>10} {:>9} {:>9} {:>9}\n", "connections", "qps",
             "error rate", "p50", "p99", "p99.9");
  std::fflush(human);
  nlohmann::json steps = nlohmann::json::array();
  std::string csv = "connections,open_connections,qps,error_rate,p50_us,p99_us,p999_us\n";
  bool stopped = false;
  for (unsigned n : counts) {
    load::RrSpec spec = base;
    spec.connections = n;
    spec.count = 0;
    load::RrEngine engine(std::move(spec));
    const std::uint64_t t0 = engine.start();
    stopped = signals.wait_until(t0 + static_cast<std::uint64_t>(warmup * 1e9));
    stats::ClientSnapshot a, b;
    engine.snapshot(a);
    const std::uint64_t t1 = loop::now_ns();
    if (!stopped) stopped = signals.wait_until(t1 + static_cast<std::uint64_t>(duration * 1e9));
    engine.snapshot(b);
    const std::uint64_t open = engine.open_connections();
    const double secs = static_cast<double>(loop::now_ns() - t1) / 1e9;
    engine.stop();
    engine.join();
    b -= a;
    const nlohmann::json j = step_json({n, open, b, secs});
    fmt::print(human, "{}\n", step_row(j));
    std::fflush(human);
    const auto& lat = j["latency_us"]["response"];
    csv += fmt::format("{},{},{:.1f},{:.6f},{},{},{}\n", n, open, j["qps"].get<double>(),
                       j["error_rate"].get<double>(), lat["p50"].get<std::uint64_t>(),
                       lat["p99"].get<std::uint64_t>(), lat["p999"].get<std::uint64_t>());
    steps.push_back(j);
    if (stopped) break;
  }
  doc["summary"] = {{"steps", steps}};
  if (!o.csv.empty()) {
    std::FILE* f = std::fopen(o.csv.c_str(), "w");
    if (!f || std::fputs(csv.c_str(), f) < 0) throw RunError("cannot write CSV to " + o.csv);
    std::fclose(f);
  }
  if (!o.json.empty()) write_json(o.json, doc);
  return kOk;
}

}  // namespace

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
  const double duration = o.duration.empty() ? (o.count ? 0 : o.sweep.empty() ? 10 : 5)
                                            : parse_seconds("-d", o.duration);
  if (!o.duration.empty() && duration <= 0) throw UsageError("-d: must be more than 0");
  const long files = net::raise_open_file_limit();
  if (files > 0 && spec.connections + 64 > static_cast<unsigned long>(files))
    fmt::print(stderr, "warning: {} connections exceed the open-file limit ({})\n",
               spec.connections, files);

  StopSignals signals;
  std::FILE* human = o.json == "-" ? stderr : stdout;
  if (!o.sweep.empty()) {
    nlohmann::json doc = document("rr", {{"sweep", o.sweep}, {"duration", duration},
                                         {"warmup", o.warmup}, {"threads", spec.threads}});
    return run_sweep(o, spec, duration, signals, human, doc);
  }
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
  std::optional<std::uint64_t> open_at_end;  // the last line shows what was open before closing
  const std::uint64_t t0 = engine.start();
  auto tick = [&](double t, std::uint64_t) {
    const std::uint64_t open = open_at_end.value_or(engine.open_connections());
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
    j["connections"] = open;
    doc["intervals"].push_back(std::move(j));
    if (!o.quiet) {
      fmt::print(human, "{}\n", stats::rr_line(t, delta, open, secs));
      std::fflush(human);
    }
  };
  drive(signals, t0, interval, duration, [&engine] { return engine.finished(); }, tick);
  open_at_end = engine.open_connections();
  finish_in_flight(engine, signals, s.timeout_ns);
  engine.join();
  const double elapsed = static_cast<double>(engine.stopped_at() - t0) / 1e9;
  if (elapsed - last_t >= interval / 4) tick(elapsed, 0);
  stats::ClientSnapshot total;
  engine.snapshot(total);
  const std::uint64_t aborted = engine.aborted();
  fmt::print(human, "{}", stats::rr_summary_text(total, aborted, elapsed));
  std::fflush(human);
  doc["summary"] = stats::rr_summary_json(total, aborted, elapsed);
  if (!o.json.empty()) write_json(o.json, doc);
  return exit_code_for(total, o.max_error_rate);
}

}  // namespace connperf::cli
