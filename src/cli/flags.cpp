#include "cli/flags.h"

#include <algorithm>

#include "cli/common.h"
#include "net/socket.h"

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

double OutputFlags::interval_seconds() const {
  const double s = parse_seconds("--interval", interval);
  if (s < 0.01) throw UsageError("--interval: at least 0.01 seconds");
  if (json == "-" && ndjson == "-") throw UsageError("--json - and --ndjson - both want stdout");
  return s;
}

run::OutputSettings OutputFlags::settings() const {
  return {interval_seconds(), json, ndjson, quiet, kernel_counters};
}

void add_output_flags(CLI::App& c, OutputFlags& o, bool interval) {
  if (interval) c.add_option("--interval", o.interval, "SECONDS between table lines");
  c.add_option("--json", o.json, "write the result document to FILE ('-' for stdout)");
  if (!interval) return;
  c.add_option("--ndjson", o.ndjson,
               "stream JSON lines to FILE ('-' for stdout): start, each interval as it ends, end");
  c.add_flag("-q,--quiet", o.quiet, "no per-interval lines");
}

void add_kernel_counters_flag(CLI::App& c, OutputFlags& o) {
  c.add_flag("--kernel-counters", o.kernel_counters,
             "add the network namespace's TCP counters (ListenOverflows, AttemptFails, "
             "TCPSynRetrans, ...) per interval and over the run, and the likely limiter");
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
  c.add_option("--bind", o.binds, "source ADDR, range A-B, CIDR or comma list (repeatable)")
      ->default_str("");
  c.add_option("--request", o.request, request_help);
  c.add_option("--server-stats", o.server_stats,
               "http://HOST:PORT of the server's --stats-listen: read its counts at the start and "
               "end, print and record client vs server side by side");
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
  return t;
}

double RunFlags::duration_seconds(double unset) const {
  if (!duration_set) return count ? 0 : unset;
  const double d = parse_seconds("-d", duration);
  if (d <= 0) throw UsageError("-d: must be more than 0");
  return d;
}

void add_run_flags(CLI::App& c, RunFlags& o, const std::string& unit,
                   const std::string& timeout_help) {
  c.add_option("-t,--threads", o.threads, "worker threads, each with its own event loop")
      ->check(CLI::Range(1, 1024));
  c.add_option("-d,--duration", o.duration, "run for SECONDS; with -n alone, until N " + unit)
      ->each([&o](const std::string&) { o.duration_set = true; });
  c.add_option("-n,--count", o.count, "stop after N " + unit)
      ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX))
      ->default_str("off");
  c.add_option("--timeout", o.timeout_ms, timeout_help)
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}));
  c.add_option("--max-error-rate", o.max_error_rate, "exit 3 when errors/" + unit + " exceeds X")
      ->check(CLI::Range(0.0, 1.0))
      ->default_str("off");
}

}  // namespace connperf::cli
