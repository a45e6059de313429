#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/criteria.h"
#include "run/preflight.h"
#include "diag/sock_diag.h"
#include "run/driver.h"
#include "run/load_jobs.h"
#include "run/held_load.h"
#include "run/load_job.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_crr(CLI::App& app, CrrOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "crr", "new connections per second: connect, request, response, close (RST by default)");
  add_target_flags(c, o.to,
                   "http (GET / HTTP/1.1), raw (send 'Get.', any reply completes) or TEXT to "
                   "send (\\r \\n \\t \\\\ escapes)");
  add_run_flags(c, o.run, "attempts", "connect plus response");
  add_concurrency_flag(c, o.concurrency,
                       "connections in flight in total (with --rate: the cap on in flight, "
                       "10000 unless given)",
                       10'000'000)
      ->each([&o](const std::string&) { o.concurrency_set = true; });
  add_rate_flag(c, o.rate, "new connections per second in total (open loop)", "closed loop");
  add_close_flag(c, o.close, "how we close after the response: rst (SO_LINGER 0) or fin");
  add_object_flag(c, o.to.object);
  add_criteria_flag(c, o.run.criteria, Judged::Crr);
  c.add_option("--hold", o.hold,
               "N connections opened before the measurement and held for the whole run beside "
               "it (CPS under held load); their failures are counted apart")
      ->check(in_range<std::uint64_t>(1, 10'000'000))
      ->default_str("none");
  c.add_option("--hold-interval", o.hold_interval,
               "each held connection sends its request every SECONDS (so a device cannot age "
               "it out)")
      ->check(seconds_check())
      ->type_name("SECONDS");
  add_output_flags(c, o.out);
  add_hdr_log_flag(c, o.out);
  add_conn_log_flags(c, o.out);
  add_kernel_counters_flag(c, o.out);
  add_search_flags(c, o.search);
  add_tls_client_flags(c, o.tls);
  c.add_option("--proxy", o.proxy,
               "HOST:PORT of an HTTP proxy: each connection asks it for a tunnel (CONNECT) to the "
               "target, then (with --tls) the handshake and the request go through it");
}

load::CrrSpec crr_spec(const CrrOptions& o) {
  load::CrrSpec s;
  static_cast<load::Targets&>(s) = parse_target_flags(o.to);
  s.threads = o.run.threads;
  s.cpus = cpu_list(o.run.cpus);
  s.rate = o.rate;
  s.concurrency = (o.rate > 0 || o.search.on) && !o.concurrency_set ? 10'000 : o.concurrency;
  s.count = o.run.count;
  s.timeout_ns = o.run.timeout_ns();
  s.close = o.close == "fin" ? load::CloseMode::Fin : load::CloseMode::Rst;
  s.phases = o.run.phases();
  s.tls = tls_client_options(o.tls);
  s.log = o.out.conn_log(s.threads);
  if (!o.proxy.empty()) s.proxy = parse_targets({o.proxy}).front().addr;
  return s;
}

int run_crr(const CrrOptions& o) {
  check_modes({.search = o.search.on,
               .server_stats = !o.to.server_stats.empty(),
               .ranks = ranks::world().size() > 1,
               .criteria = !o.run.criteria.empty(),
               .phases = o.run.phases().on(),
               .hold = o.hold > 0,
               .hdr_log = !o.out.hdr_log.empty(),
               .conn_log = !o.out.log_connections.empty()});
  StopSignals signals;
  if (o.search.on) return run::run_search(crr_search(o, crr_spec(o), signals), o.out.settings());
  return run_load([&o] { return prepare_crr(o, crr_spec(o)); }, o.to, signals);
}

run::SearchPlan crr_search(const CrrOptions& o, load::CrrSpec spec, StopSignals& signals) {
  run::SearchPlan plan = search_plan(o.search, o.run, o.rate);
  plan.command = "crr";
  plan.unit = "connections/s";
  plan.config = run::crr_config(spec, plan.duration);
  run::preflight_crr(spec, plan.duration);
  return run::with_rate_steps<load::CrrEngine>(std::move(plan), std::move(spec), signals);
}

run::Prepared prepare_crr(const CrrOptions& o, load::CrrSpec spec) {
  o.out.interval_seconds();  // a bad --interval is a usage error before anything runs
  const double duration = o.run.duration_seconds(10);
  load::CrrSpec mine =
      run::rank_share(spec, {{"-c", spec.concurrency}, {"-n", spec.count}});
  run::check_sources(mine);
  run::preflight_crr(mine, duration);
  const run::HoldSpec hold{ranks::world().size() == 1
                               ? o.hold
                               : load::share(o.hold, ranks::world().size(), ranks::world().rank()),
                           loop::ns_from_seconds(parse_seconds("--hold-interval", o.hold_interval))};
  if (hold.count && !o.proxy.empty())
    throw UsageError("--hold: not with --proxy (the held connections would not ask for a tunnel)");
  if (hold.count && o.tls.on)
    throw UsageError("--hold: not with --tls yet (the held connections speak plaintext)");
  if (hold.count) run::preflight_held(mine, hold.count + mine.concurrency, 0);
  auto job = run::with_verdict(run::with_held_load(run::make_crr_job(mine), mine, hold),
                               run_criteria(o.run.criteria, o.run.max_error_rate, Judged::Crr));
  return {std::move(job), run::crr_plan(spec, duration, o.out.settings())};
}

}  // namespace connperf::cli
