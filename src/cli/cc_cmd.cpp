#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "run/cc_job.h"
#include "run/driver.h"
#include "run/load_job.h"
#include "loop/clock.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_cc(CLI::App& app, CcOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "cc", "concurrent connections: open N at a ramp rate, hold them, count what survives");
  add_target_flags(c, o.to, "what --keepalive sends: raw ('Get.'), http or TEXT");
  c.add_option("-n,--count", o.count, "connections to open in total")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  c.add_option("--ramp", o.ramp, "new connections per second")
      ->check(CLI::PositiveNumber)
      ->default_str("as fast as possible");
  c.add_option("--hold", o.hold, "SECONDS to hold them once all attempts ended");
  c.add_option("--keepalive", o.keepalive,
               "send the request on every held connection every SECONDS (any reply counts)")
      ->default_str("off");
  add_threads_flag(c, o.threads, "worker threads per process");
  c.add_option("--processes", o.processes,
               "split the connections over P worker processes (each has its own fd limit)")
      ->check(CLI::Range(1, 64));
  add_timeout_ms_flag(c, o.timeout_ms, "a connect or a keepalive reply");
  add_output_flags(c, o.out);
  add_kernel_counters_flag(c, o.out);
}

run::Prepared prepare_cc(const CcOptions& o) {
  load::CcSpec spec;
  static_cast<load::Targets&>(spec) = parse_target_flags(o.to);
  const double hold = parse_seconds("--hold", o.hold);
  const double keepalive = o.keepalive.empty() ? 0 : parse_seconds("--keepalive", o.keepalive);
  if (o.processes > o.count) throw UsageError("--processes: more processes than connections");
  spec.threads = o.threads;
  spec.count = o.count;
  spec.ramp = o.ramp;
  spec.keepalive_ns = loop::ns_from_seconds(keepalive);
  spec.timeout_ns = loop::ns_from_ms(o.timeout_ms);
  o.out.interval_seconds();  // a bad --interval is a usage error before anything runs
  const load::CcSpec mine = run::rank_share(spec, {{"-n", spec.count}});
  if (o.processes > mine.count) throw UsageError("--processes: more processes than connections");
  check_sources(mine);
  preflight_held(mine, mine.count, o.processes);
  auto job =
      run::make_cc_job(mine, o.processes, loop::ns_from_seconds(hold), spec.count);
  std::string banner = fmt::format(
      "cc {} — {} connections{}, hold {:.1f} s, {} process{}\n{:>7} {:>10} {:>11} {:>9} {:>7}\n",
      o.to.targets.front(), stats::format_count(o.count),
      o.ramp > 0 ? fmt::format(" at {}/s", o.ramp) : std::string(), hold, o.processes,
      o.processes == 1 ? "" : "es", "time", "open", "attempts/s", "failed/s", "lost");
  run::Plan report{"cc",
                {{"targets", o.to.targets}, {"count", o.count}, {"ramp", o.ramp},
                 {"hold", hold}, {"keepalive", keepalive}, {"threads", o.threads},
                 {"processes", o.processes}, {"bind_addresses", spec.binds.size()}},
                std::move(banner), 0, o.out.settings()};
  return {std::move(job), std::move(report)};
}

int run_cc(const CcOptions& o) {
  StopSignals signals;
  return run_load([&o] { return prepare_cc(o); }, o.to, signals);
}

}  // namespace connperf::cli
