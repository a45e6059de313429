// The flags that several subcommands share, each declared once with its range, validation and
// help, parameterised only by what differs between subcommands (what -t's threads do, what -d
// bounds, what --json holds); and the groups built from them: output (--interval, --json,
// --ndjson, -q), targets and sources (HOST:PORT..., --bind, --request) and the load run (-t, -d,
// -n, --timeout, --max-error-rate). Enum flags (--model, --mode, --close) check against the
// engines' own name tables.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "load/phases.h"
#include "load/target.h"
#include "loop/clock.h"
#include "run/output.h"
#include "stats/conn_log.h"

namespace connperf::cli {

// A number flag's bounds, said as users read them in --help ("1..1024", "at least 1") and in the
// usage error ("--threads: 2000 is not in 1..1024").
template <typename T>
CLI::Validator in_range(T min, T max) {
  const std::string bounds = max == std::numeric_limits<T>::max()
                                 ? fmt::format("at least {}", min)
                                 : fmt::format("{}..{}", min, max);
  return CLI::Validator(
      [min, max, bounds](std::string& v) -> std::string {
        T x{};
        if (CLI::detail::lexical_cast(v, x) && x >= min && x <= max) return {};
        return fmt::format("{} is not {}{}", v, bounds[0] == 'a' ? "" : "in ", bounds);
      },
      bounds);
}
// A check from a function that throws Error on a bad value: the exception's text is the usage
// error (--cpus, lab --name).
template <typename Error, typename Check>
CLI::Validator check_by(Check check) {
  return CLI::Validator(
      [check](const std::string& v) -> std::string {
        try {
          check(v);
        } catch (const Error& e) {
          return e.what();
        }
        return {};
      },
      "");
}
// A number more than 0 (--rate, --ramp).
CLI::Validator more_than_zero();
// A time flag's value (10, 2.5, 500ms, 2s, 1m), checked at parse; read with parse_seconds.
CLI::Validator seconds_check();

// -t's range, for every subcommand (crr, rr, cc, server, proxy, models and its --server-threads).
inline constexpr unsigned kMaxThreads = 1024;

// -t,--threads N in 1..kMaxThreads; `what`: what the threads do ("epoll worker threads").
CLI::Option* add_threads_flag(CLI::App& c, unsigned& threads, const std::string& what);
// --cpus LIST ("0", "0,2", "0-3"): `what` (the workers) run round-robin on those CPUs; a list that
// does not parse or names a CPU this process may not use is a usage error at parse.
// cpu_list reads a value the flag checked ("" = anywhere).
void add_cpus_flag(CLI::App& c, std::string& cpus, const std::string& what);
std::vector<unsigned> cpu_list(const std::string& cpus);
// -d,--duration SECONDS (units allowed: 500ms, 2s, 1m), checked as a time at parse; `help`
// says what it bounds. Whether 0 is allowed is the subcommand's (server: 0 = until Ctrl-C).
CLI::Option* add_duration_flag(CLI::App& c, std::string& duration, const std::string& help);
// --timeout T, more than 0 and at most a day: a bare number counts `bare` seconds (1e-3: MS, as
// crr, rr and cc take it; 1: SECONDS, as echo does); any value may carry its unit (500ms, 2s,
// 1m). `what`: what it bounds ("a response"). timeout_ns reads a value the flag checked.
void add_timeout_flag(CLI::App& c, std::string& value, const std::string& what, double bare);
std::uint64_t timeout_ns(const std::string& value, double bare);
inline constexpr double kBareMs = 1e-3;
// --json FILE ('-' for stdout); `what`: the document written ("the result document").
void add_json_flag(CLI::App& c, std::string& file, const std::string& what);
// --ndjson FILE ('-' for stdout); `events`: what is streamed ("start, each interval ..., end").
void add_ndjson_flag(CLI::App& c, std::string& file, const std::string& events);
void add_quiet_flag(CLI::App& c, bool& quiet);        // -q,--quiet
void add_interval_flag(CLI::App& c, std::string& s);  // --interval SECONDS
// -c,--concurrency N in 1..max; `help`: what the connections are (in flight, held).
CLI::Option* add_concurrency_flag(CLI::App& c, unsigned& n, const std::string& help,
                                  unsigned max);
// --rate PER_SECOND, more than 0; `help`: of what; `unset`: what no --rate means.
void add_rate_flag(CLI::App& c, double& rate, const std::string& help, const std::string& unset);
// -n,--count N in 1..max; `help`: what is counted.
CLI::Option* add_count_flag(CLI::App& c, std::uint64_t& n, const std::string& help,
                            std::uint64_t max);
// --bind ADDR|RANGE|CIDR (repeatable); `what`: "source" or "planned source".
void add_bind_flag(CLI::App& c, std::vector<std::string>& binds, const std::string& what);

// The values an enum flag takes, from an engine's name table (server::kModelNames, ...).
CLI::IsMember member_of(std::span<const std::string_view> names);
// --model, --mode, --close checked against server::kModelNames, server::kModeNames,
// load::kCloseNames (or `names`, a subset of it). `help`: what each value means here.
void add_model_flag(CLI::App& c, std::string& model, const std::string& help);
void add_mode_flag(CLI::App& c, std::string& mode, const std::string& help,
                   std::span<const std::string_view> names = {});
void add_close_flag(CLI::App& c, std::string& close, const std::string& help);

struct OutputFlags {
  std::string interval = "1";
  std::string json;    // FILE, or "-" for stdout
  std::string ndjson;  // FILE, or "-" for stdout: start, interval and end events as they happen
  bool quiet = false;
  bool kernel_counters = false;  // --kernel-counters: TCP MIB deltas per interval and in all
  std::string hdr_log;  // --hdr-log FILE: HdrHistogram interval log of the latency histograms
  std::string log_connections;  // --log-connections FILE: a record per connection
  std::uint32_t log_sample = 1;   // --log-sample N: every Nth connection of each worker
  bool tcp_info = false;          // --tcp-info: TCP_INFO in each record

  // Validated: at least 0.01; --json and --ndjson not both "-"; --hdr-log's FILE can be written.
  double interval_seconds() const;
  run::OutputSettings settings() const;  // validated as interval_seconds()
  // --log-connections: the rings for `threads` workers, nullptr without the flag; --log-sample
  // and --tcp-info alone are usage errors.
  // `shared`: rings forked worker processes push into (cc --processes).
  std::shared_ptr<stats::ConnLog> conn_log(unsigned threads, bool shared = false) const;
  // Where the human-readable table goes: stderr when a JSON stream takes stdout.
  std::FILE* human() const noexcept { return run::OutputSettings{1, json, ndjson}.human(); }
};
// `interval` false: the subcommand prints no intervals (only --json and -q).
void add_output_flags(CLI::App& c, OutputFlags& o, bool interval = true);
// --kernel-counters (crr, rr, cc, server): read by run_and_report on its own thread.
void add_kernel_counters_flag(CLI::App& c, OutputFlags& o);
// --hdr-log FILE (crr, rr, cc): the interval latency histograms as an HdrHistogram log.
// `cc`: its tags are connect (tls) and, with --keepalive, response; crr and rr add total.
void add_hdr_log_flag(CLI::App& c, OutputFlags& o, bool cc = false);
// --log-connections FILE, --log-sample N, --tcp-info (crr, rr): a record per connection.
// `server`: the server's help text (a record per accepted connection).
void add_conn_log_flags(CLI::App& c, OutputFlags& o, bool server = false);

// --netns NAME: the run's sockets live in network namespace NAME (as `ip netns exec NAME`).
void add_netns_flag(CLI::App& c, std::string& netns);
void enter_netns(const std::string& netns);  // "" = stay; throws RunError

struct TargetFlags {
  std::vector<std::string> targets;
  std::vector<std::string> binds;
  std::string request = "http";
  std::string netns;
  std::string server_stats;  // http://HOST:PORT of the target server's --stats-listen
  std::string object;        // --object (crr, rr): SIZE|LIST|mix:WEIGHTS
};
void add_target_flags(CLI::App& c, TargetFlags& o, const std::string& request_help);
// --object SIZE|LIST|mix:WEIGHTS (crr, rr): the object sizes requests ask for by path.
void add_object_flag(CLI::App& c, std::string& spec);
// --object's and server --body's grammar (proto/object.h); a bad one is a UsageError.
proto::ObjectSet parse_object_flag(const char* flag, const std::string& text, bool allow_mix);
// Resolves targets and sources; every target needs a --bind address of its family when any is
// given. Throws UsageError.
load::Targets parse_target_flags(const TargetFlags& o);

// --stats-listen ADDR:PORT (server, proxy): the live /metrics and /stats endpoint.
void add_stats_listen_flag(CLI::App& c, std::string& spec);

struct RunFlags {
  unsigned threads = 1;
  std::string cpus;  // --cpus LIST ("" = anywhere)
  std::string duration = "10";
  bool duration_set = false;
  std::uint64_t count = 0;
  std::string timeout = "5000";  // MS unless it names a unit
  double max_error_rate = -1;
  std::string criteria;  // --criteria SPEC (cli/criteria.h), added by the command
  std::string ramp_up, sustain, ramp_down;  // phases (load/phases.h); "" = not given

  // -d in seconds: as given, else `unset` (0 with -n alone: until the count is reached); with
  // phases, their sum (-d with them is a usage error).
  double duration_seconds(double unset) const;
  load::Phases phases() const;
  std::uint64_t timeout_ns() const { return cli::timeout_ns(timeout, kBareMs); }
};
// `unit`: what -n counts ("attempts", "requests"); `timeout_help`: what --timeout bounds.
void add_run_flags(CLI::App& c, RunFlags& o, const std::string& unit,
                   const std::string& timeout_help);

}  // namespace connperf::cli
