#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/criteria.h"
#include "run/preflight.h"
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
  add_object_flag(c, o.to.object);
  add_count_flag(c, o.count, "connections to open in total", 10'000'000);
  c.add_option("--ramp", o.ramp, "new connections per second (--ramp-up D instead: N/D per second)")
      ->check(more_than_zero())
      ->default_str("as fast as possible");
  c.add_option("--hold", o.hold, "SECONDS to hold them once all attempts ended")
      ->each([&o](const std::string&) { o.hold_set = true; });
  c.add_option("--ramp-up", o.ramp_up,
               "SECONDS over which the N connections open, linearly (RFC 9411 phases; "
               "not with --ramp)")
      ->check(seconds_check())->type_name("SECONDS");
  c.add_option("--sustain", o.sustain,
               "SECONDS all are held after the ramp-up (instead of --hold); the summary's "
               "sustain figures are this phase's")
      ->check(seconds_check())->type_name("SECONDS");
  c.add_option("--ramp-down", o.ramp_down, "SECONDS over which they are closed, linearly")
      ->check(seconds_check())->type_name("SECONDS");
  c.add_option("--keepalive", o.keepalive,
               "send the request on every held connection every SECONDS (any reply counts)")
      ->default_str("off");
  add_threads_flag(c, o.threads, "worker threads per process");
  add_cpus_flag(c, o.cpus, "the worker threads (of every process)");
  c.add_option("--processes", o.processes,
               "split the connections over P worker processes (each has its own fd limit)")
      ->check(in_range(1, 64));
  add_timeout_flag(c, o.timeout, "a connect or a keepalive reply", kBareMs);
  add_criteria_flag(c, o.criteria, Judged::Cc);
  add_output_flags(c, o.out);
  add_hdr_log_flag(c, o.out, true);
  add_conn_log_flags(c, o.out);
  add_kernel_counters_flag(c, o.out);
  add_tls_client_flags(c, o.tls);
}

// --log-connections: a ring per worker thread of every process; with --processes P > 1 in
// shared memory, mapped before the worker processes are forked.
std::shared_ptr<stats::ConnLog> cc_conn_log(const CcOptions& o) {
  check_modes({.ranks = ranks::world().size() > 1, .conn_log = !o.out.log_connections.empty()});
  return o.out.conn_log(o.threads * o.processes, o.processes > 1);
}

// --ramp-up/--sustain/--ramp-down in place of --ramp (a rate) and --hold.
load::Phases cc_phases(const CcOptions& o) {
  RunFlags f;
  f.ramp_up = o.ramp_up;
  f.sustain = o.sustain;
  f.ramp_down = o.ramp_down;
  const load::Phases p = f.phases();
  if (!p.on()) return p;
  if (p.up_ns > 0 && o.ramp > 0)
    throw UsageError("--ramp-up: not with --ramp (--ramp-up D opens the -n connections over D, "
                     "N/D per second: give one)");
  if (o.hold_set)
    throw UsageError("--hold: not with --ramp-up, --sustain or --ramp-down (--sustain holds them)");
  return p;
}

run::Prepared prepare_cc(const CcOptions& o) {
  load::CcSpec spec;
  static_cast<load::Targets&>(spec) = parse_target_flags(o.to);
  const double hold = parse_seconds("--hold", o.hold);
  const double keepalive = o.keepalive.empty() ? 0 : parse_seconds("--keepalive", o.keepalive);
  if (o.processes > o.count) throw UsageError("--processes: more processes than connections");
  spec.threads = o.threads;
  spec.cpus = cpu_list(o.cpus);
  spec.count = o.count;
  spec.ramp = o.ramp;
  spec.phases = cc_phases(o);
  spec.keepalive_ns = loop::ns_from_seconds(keepalive);
  if (!spec.objects.empty() && spec.keepalive_ns == 0)
    throw UsageError("--object: cc asks for objects with its keepalive requests: give --keepalive");
  spec.timeout_ns = timeout_ns(o.timeout, kBareMs);
  spec.log = cc_conn_log(o);
  spec.tls = tls_client_options(o.tls);
  o.out.interval_seconds();  // a bad --interval is a usage error before anything runs
  const load::CcSpec mine = run::rank_share(spec, {{"-n", spec.count}});
  if (o.processes > mine.count) throw UsageError("--processes: more processes than connections");
  run::check_sources(mine);
  run::preflight_held(mine, mine.count, o.processes);
  auto job = run::with_verdict(
      run::make_cc_job(mine, o.processes, loop::ns_from_seconds(hold), spec.count),
      run_criteria(o.criteria, -1, Judged::Cc));
  return {std::move(job), run::cc_plan(spec, o.processes, hold, o.out.settings())};
}

int run_cc(const CcOptions& o) {
  StopSignals signals;
  return run_load([&o] { return prepare_cc(o); }, o.to, signals);
}

}  // namespace connperf::cli
