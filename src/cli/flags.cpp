#include "cli/flags.h"

#include <algorithm>

#include <fmt/format.h>

#include "cli/common.h"
#include "load/crr.h"
#include "loop/cpus.h"
#include "net/socket.h"
#include "run/hdr_log.h"
#include "server/server.h"

namespace connperf::cli {

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

}  // namespace

// A time flag's value (10, 2.5, 500ms, 2s, 1m) checked at parse, so a bad one is a usage error
// before anything runs; the subcommand reads it with parse_seconds.
CLI::Validator seconds_check() {
  return CLI::Validator(
      [](const std::string& value) -> std::string {
        try {
          parse_seconds("", value);
        } catch (const UsageError&) {
          return "not a duration (e.g. 10, 2.5s, 500ms, 2m): " + value;
        }
        return {};
      },
      "");
}

CLI::Validator more_than_zero() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        double x = 0;
        if (CLI::detail::lexical_cast(v, x) && x > 0 && x < std::numeric_limits<double>::max())
          return {};
        return v + " is not a number more than 0";
      },
      "more than 0");
}

CLI::Option* add_threads_flag(CLI::App& c, unsigned& threads, const std::string& what) {
  return c.add_option("-t,--threads", threads, what)->check(in_range(1u, kMaxThreads));
}

void add_cpus_flag(CLI::App& c, std::string& cpus, const std::string& what) {
  c.add_option("--cpus", cpus,
               "pin " + what + " round-robin to these CPUs (e.g. 0, 0,2 or 0-3; like iperf3 -A)")
      ->check(check_by<loop::CpuListError>([](const std::string& v) { loop::checked_cpu_list(v); }))
      ->type_name("LIST")
      ->default_str("any");
}

std::vector<unsigned> cpu_list(const std::string& cpus) {
  if (cpus.empty()) return {};
  try {
    return loop::checked_cpu_list(cpus);
  } catch (const loop::CpuListError& e) {
    throw UsageError(e.what());
  }
}

CLI::Option* add_duration_flag(CLI::App& c, std::string& duration, const std::string& help) {
  return c.add_option("-d,--duration", duration, help)
      ->check(seconds_check())
      ->type_name("SECONDS");
}

void add_timeout_flag(CLI::App& c, std::string& value, const std::string& what, double bare) {
  const char* unit = bare == 1 ? "SECONDS" : "MS";
  CLI::Validator check(
      [bare](const std::string& v) -> std::string {
        double s = 0;
        try {
          s = parse_time("", v, bare);
        } catch (const UsageError&) {
        }
        if (s > 0 && s <= 86'400) return {};
        return "not a time of more than 0 and at most a day (e.g. 500, 500ms, 2s): " + v;
      },
      "");
  c.add_option("--timeout", value,
               fmt::format("{} for {} (or with a unit: 500ms, 2s, 1m)", unit, what))
      ->check(check)
      ->type_name(unit);
}

std::uint64_t timeout_ns(const std::string& value, double bare) {
  return loop::ns_from_seconds(parse_time("--timeout", value, bare));
}

void add_json_flag(CLI::App& c, std::string& file, const std::string& what) {
  c.add_option("--json", file, "write " + what + " to FILE ('-' for stdout)");
}

void add_ndjson_flag(CLI::App& c, std::string& file, const std::string& events) {
  c.add_option("--ndjson", file, "stream JSON lines to FILE ('-' for stdout): " + events);
}

void add_quiet_flag(CLI::App& c, bool& quiet) {
  c.add_flag("-q,--quiet", quiet, "no per-interval lines");
}

void add_interval_flag(CLI::App& c, std::string& s) {
  c.add_option("--interval", s, "SECONDS between table lines")
      ->check(seconds_check())
      ->type_name("SECONDS");
}

CLI::Option* add_concurrency_flag(CLI::App& c, unsigned& n, const std::string& help,
                                  unsigned max) {
  return c.add_option("-c,--concurrency", n, help)->check(in_range(1u, max));
}

void add_rate_flag(CLI::App& c, double& rate, const std::string& help, const std::string& unset) {
  c.add_option("--rate", rate, help)->check(more_than_zero())->default_str(unset);
}

CLI::Option* add_count_flag(CLI::App& c, std::uint64_t& n, const std::string& help,
                            std::uint64_t max) {
  return c.add_option("-n,--count", n, help)->check(in_range(std::uint64_t{1}, max));
}

void add_bind_flag(CLI::App& c, std::vector<std::string>& binds, const std::string& what) {
  c.add_option("--bind", binds, what + " ADDR, range A-B, CIDR or comma list (repeatable)")
      ->allow_extra_args(false)  // one value per --bind: a target after it stays a target
      ->default_str("");
}

CLI::IsMember member_of(std::span<const std::string_view> names) {
  return CLI::IsMember(std::vector<std::string>(names.begin(), names.end()));
}

void add_model_flag(CLI::App& c, std::string& model, const std::string& help) {
  c.add_option("--model", model, help)->check(member_of(server::kModelNames));
}

void add_mode_flag(CLI::App& c, std::string& mode, const std::string& help,
                   std::span<const std::string_view> names) {
  c.add_option("--mode", mode, help)
      ->check(member_of(names.empty() ? std::span(server::kModeNames) : names));
}

void add_close_flag(CLI::App& c, std::string& close, const std::string& help) {
  c.add_option("--close", close, help)->check(member_of(load::kCloseNames));
}

double OutputFlags::interval_seconds() const {
  const double s = parse_seconds("--interval", interval);
  if (s < 0.01) throw UsageError("--interval: at least 0.01 seconds");
  if (json == "-" && ndjson == "-") throw UsageError("--json - and --ndjson - both want stdout");
  run::check_hdr_log_path(hdr_log);
  return s;
}

run::OutputSettings OutputFlags::settings() const {
  return {interval_seconds(), json, ndjson, quiet, kernel_counters, hdr_log};
}

void add_output_flags(CLI::App& c, OutputFlags& o, bool interval) {
  if (interval) add_interval_flag(c, o.interval);
  add_json_flag(c, o.json, "the result document");
  if (!interval) return;
  add_ndjson_flag(c, o.ndjson, "start, each interval as it ends, end");
  add_quiet_flag(c, o.quiet);
}

void add_kernel_counters_flag(CLI::App& c, OutputFlags& o) {
  c.add_flag("--kernel-counters", o.kernel_counters,
             "add the network namespace's TCP counters (ListenOverflows, AttemptFails, "
             "TCPSynRetrans, ...) per interval and over the run, and the likely limiter");
}

void add_hdr_log_flag(CLI::App& c, OutputFlags& o, bool cc) {
  c.add_option("--hdr-log", o.hdr_log,
               cc ? "write each interval's connect latency (and tls, and with --keepalive the "
                    "replies' as response) to FILE as an HdrHistogram interval log (v1.3, "
                    "compressed V2 histograms, microseconds)"
                  : "write each interval's connect (tls with --tls), response and total latency "
                    "to FILE as an HdrHistogram interval log (v1.3, compressed V2 histograms, "
                    "microseconds)")
      ->type_name("FILE");
}

void add_conn_log_flags(CLI::App& c, OutputFlags& o, bool server) {
  c.add_option("--log-connections", o.log_connections,
               server ? "write one record per accepted connection to FILE (NDJSON; CSV when FILE "
                        "ends in .csv): accept time, peer and local address, first request byte "
                        "and response times, requests, the counter it ended in (rst, fin, "
                        "closed_by_server, errors); a full buffer drops records, counted as "
                        "log_dropped"
                      : "write one record per connection to FILE (NDJSON; CSV when FILE ends in "
                        ".csv): start, source and target, latencies, requests, how it ended; a "
                        "full buffer drops records, counted as log_dropped")
      ->type_name("FILE");
  c.add_option("--log-sample", o.log_sample,
               server ? "with --log-connections: log each worker's (blocking models: the "
                        "acceptor's) 1st connection and every Nth after it"
                      : "with --log-connections: log each worker's 1st connection and every Nth "
                        "after it")
      ->check(in_range<std::uint32_t>(1, 1'000'000'000))
      ->default_str("1");
  c.add_flag("--tcp-info", o.tcp_info,
             "with --log-connections: add TCP_INFO read just before each close (rtt_us, "
             "rttvar_us, retransmits, total_retrans, snd_cwnd, lost, tcp_state)");
}

std::shared_ptr<stats::ConnLog> OutputFlags::conn_log(unsigned threads, bool shared) const {
  if (log_connections.empty()) {
    if (log_sample != 1) throw UsageError("--log-sample: only with --log-connections FILE");
    if (tcp_info) throw UsageError("--tcp-info: only with --log-connections FILE");
    return nullptr;
  }
  return std::make_shared<stats::ConnLog>(log_connections, std::max(threads, 1u), log_sample,
                                          tcp_info, stats::ConnLog::kRingCapacity, shared);
}

void add_netns_flag(CLI::App& c, std::string& netns) {
  c.add_option("--netns", netns, "run in network namespace NAME (e.g. a `connperf lab` one)");
}

void enter_netns(const std::string& netns) {
  if (netns.empty()) return;
  if (const net::Result r = net::enter_netns(netns); !r.ok())
    throw RunError("--netns " + netns + ": " + net::errno_text(r.sys_errno));
}

void add_target_flags(CLI::App& c, TargetFlags& o, const std::string& request_help) {
  add_netns_flag(c, o.netns);
  c.add_option("targets", o.targets, "HOST:PORT to connect to (repeatable, round-robin)")
      ->required()
      ->default_str("");
  add_bind_flag(c, o.binds, "source");
  c.add_option("--request", o.request, request_help);
  c.add_option("--server-stats", o.server_stats,
               "the server's --stats-listen (ADDR:PORT, PORT or http://HOST:PORT): read its "
               "counts at the start and end, print and record client vs server side by side");
}

void add_object_flag(CLI::App& c, std::string& spec) {
  c.add_option("--object", spec,
               "object sizes to ask for by path (GET /1k; k = 1024, m = 1024k, at most 16m): "
               "SIZE, LIST (1k,64k: in turn) or mix:SIZE=WEIGHT,... (e.g. mix:1k=50,64k=50: "
               "by weight, the same sequence every run); each response must be 200 with exactly "
               "that body; adds goodput")
      ->type_name("SIZE|LIST|mix:W");
}

proto::ObjectSet parse_object_flag(const char* flag, const std::string& text, bool allow_mix) {
  proto::ObjectSet set;
  if (const std::string why = proto::parse_object_set(text, allow_mix, set); !why.empty())
    throw UsageError(std::string(flag) + ": " + why);
  return set;
}

void add_stats_listen_flag(CLI::App& c, std::string& spec) {
  c.add_option("--stats-listen", spec,
               "serve live /metrics (Prometheus) and /stats (JSON) on ADDR:PORT (a PORT alone: "
               "127.0.0.1)");
}

load::Targets parse_target_flags(const TargetFlags& o) {
  enter_netns(o.netns);  // first: names and sources are of that namespace
  load::Targets t;
  t.targets = parse_targets(o.targets);
  t.binds = parse_binds(o.binds);
  for (const auto& target : t.targets) {
    const bool match = t.binds.empty() ||
        std::any_of(t.binds.begin(), t.binds.end(), [&target](const net::SockAddr& b) {
          return b.family() == target.addr.family();
        });
    if (!match) throw UsageError("--bind has no address of the same family as " + target.name);
  }
  if (o.request == "http") {
    t.request = load::RequestKind::Http;
  } else if (o.request == "raw") {
    t.request = load::RequestKind::Raw;
  } else {
    t.request = load::RequestKind::Text;
    t.text = unescape(o.request);
    if (t.text.empty()) throw UsageError("--request: empty request text");
  }
  if (o.object.empty()) return t;
  if (t.request != load::RequestKind::Http) throw UsageError("--object: only with --request http");
  t.objects = parse_object_flag("--object", o.object, true);
  return t;
}

load::Phases RunFlags::phases() const {
  auto ns = [](const char* flag, const std::string& v) {
    return v.empty() ? 0 : loop::ns_from_seconds(parse_seconds(flag, v));
  };
  load::Phases p{ns("--ramp-up", ramp_up), ns("--sustain", sustain), ns("--ramp-down", ramp_down)};
  if (!ramp_up.empty() || !sustain.empty() || !ramp_down.empty()) {
    if (duration_set)
      throw UsageError("-d: not with --ramp-up, --sustain or --ramp-down (the run lasts their sum)");
    if (p.sustain_ns == 0) throw UsageError("--sustain: phases need a sustain phase of more than 0");
  }
  return p;
}

double RunFlags::duration_seconds(double unset) const {
  if (const load::Phases p = phases(); p.on()) return loop::seconds_from_ns(p.total_ns());
  if (!duration_set) return count ? 0 : unset;
  const double d = parse_seconds("-d", duration);
  if (d <= 0) throw UsageError("-d: must be more than 0");
  return d;
}

void add_run_flags(CLI::App& c, RunFlags& o, const std::string& unit,
                   const std::string& timeout_help) {
  add_threads_flag(c, o.threads, "worker threads, each with its own event loop");
  add_cpus_flag(c, o.cpus, "the worker threads");
  add_duration_flag(c, o.duration, "run for SECONDS; with -n alone, until N " + unit)
      ->each([&o](const std::string&) { o.duration_set = true; });
  add_count_flag(c, o.count, "stop after N " + unit, UINT64_MAX)->default_str("off");
  add_timeout_flag(c, o.timeout, timeout_help, kBareMs);
  const std::string level = "the " + std::string(unit == "attempts" ? "connection" : "request") +
                            " rate with --rate, else the concurrency";
  c.add_option("--ramp-up", o.ramp_up,
               "SECONDS over which " + level + " rises linearly from 0 (RFC 9411 phases; the "
               "summary's sustain figures leave the ramps out)")
      ->check(seconds_check())->type_name("SECONDS");
  c.add_option("--sustain", o.sustain, "SECONDS at the full load; -d is then the phases' sum")
      ->check(seconds_check())->type_name("SECONDS");
  c.add_option("--ramp-down", o.ramp_down, "SECONDS over which " + level + " falls to 0")
      ->check(seconds_check())->type_name("SECONDS");
  c.add_option("--max-error-rate", o.max_error_rate, "exit 3 when errors/" + unit + " exceeds X")
      ->check(in_range(0.0, 1.0))
      ->default_str("off");
}

}  // namespace connperf::cli
