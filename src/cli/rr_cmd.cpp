#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/criteria.h"
#include "run/preflight.h"
#include "run/driver.h"
#include "run/load_jobs.h"
#include "run/load_job.h"
#include "run/sweep.h"
#include "load/rr.h"
#include "loop/event_loop.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_rr(CLI::App& app, RrOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "rr", "requests per second over persistent connections: request, full response, repeat");
  add_target_flags(c, o.to, "http, raw ('Get.') or TEXT, as for crr");
  add_run_flags(c, o.run, "requests", "a response; then `timeout` and a new connection");
  add_concurrency_flag(c, o.connections, "persistent connections in total", 1'000'000);
  add_rate_flag(c, o.rate,
                "requests per second in total, each connection on its own schedule (open "
                "loop: latency counts from the scheduled send)",
                "closed loop");
  c.add_option("--size", o.size, "send BYTES of payload and check the echo byte for byte "
                                 "(against server --mode echo)")
      ->check(in_range(std::size_t{1}, std::size_t{64} << 20))
      ->default_str("off");
  add_object_flag(c, o.to.object);
  c.add_option("--sweep", o.sweep,
               "N1,N2,...: one step per connection count, -d seconds each (5 unless given) "
               "after --warmup; a closing table, summary.steps[] in JSON");
  c.add_option("--warmup", o.warmup, "with --sweep: SECONDS before each step's clock");
  c.add_option("--csv", o.csv, "with --sweep: write the steps as CSV to FILE");
  add_criteria_flag(c, o.run.criteria, Judged::Rr);
  add_output_flags(c, o.out);
  add_hdr_log_flag(c, o.out);
  add_conn_log_flags(c, o.out);
  add_kernel_counters_flag(c, o.out);
  add_search_flags(c, o.search);
  add_tls_client_flags(c, o.tls);
}

namespace {

std::string csv_row(const nlohmann::json& j) {
  const auto& lat = j["latency_us"]["response"];
  return fmt::format("{},{},{:.1f},{:.6f},{},{},{}\n", j["connections"].get<unsigned>(),
                     j["open_connections"].get<std::uint64_t>(), j["qps"].get<double>(),
                     j["error_rate"].get<double>(), lat["p50"].get<std::uint64_t>(),
                     lat["p99"].get<std::uint64_t>(), lat["p999"].get<std::uint64_t>());
}

void write_csv(const std::string& path, const std::string& csv) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  const bool ok = f && std::fputs(csv.c_str(), f) >= 0;
  if (f) std::fclose(f);
  if (!ok) throw RunError("cannot write CSV to " + path);
}

int run_sweep(const RrOptions& o, const load::RrSpec& base, StopSignals& signals) {
  run::SweepPlan plan;
  plan.warmup = parse_seconds("--warmup", o.warmup);
  plan.duration = o.run.duration_seconds(5);
  plan.counts = parse_sweep("--sweep", o.sweep);
  nlohmann::json config = run::rr_config(base, plan.duration);
  config["sweep"] = plan.counts;
  config["warmup"] = plan.warmup;
  run::Output out(o.out.settings(), "rr", config);
  out.text(run::sweep_header() + '\n');
  std::string csv = "connections,open_connections,qps,error_rate,p50_us,p99_us,p999_us\n";
  run::SweepHooks hooks;
  hooks.after_step = [&](const nlohmann::json& step) {
    out.step(step, run::sweep_row(step));
    csv += csv_row(step);
  };
  out.document()["summary"] = {{"steps", run::sweep_rr(base, plan, signals, out, hooks)}};
  if (run::interrupted(out.document()["summary"]["steps"]))
    out.document()["summary"]["interrupted"] = true;
  if (!o.csv.empty()) write_csv(o.csv, csv);
  out.end();
  return kOk;
}

}  // namespace

load::RrSpec rr_spec(const RrOptions& o) {
  load::RrSpec spec;
  static_cast<load::Targets&>(spec) = parse_target_flags(o.to);
  spec.threads = o.run.threads;
  spec.cpus = cpu_list(o.run.cpus);
  spec.connections = o.connections;
  spec.rate = o.rate;
  spec.count = o.run.count;
  spec.size = o.size;
  if (spec.size && !spec.objects.empty()) throw UsageError("--object: not with --size (an echo)");
  spec.timeout_ns = o.run.timeout_ns();
  spec.phases = o.run.phases();
  spec.log = o.out.conn_log(spec.threads);
  spec.tls = tls_client_options(o.tls);
  return spec;
}

int run_rr(const RrOptions& o) {
  check_modes({.search = o.search.on,
               .sweep = !o.sweep.empty(),
               .server_stats = !o.to.server_stats.empty(),
               .ranks = ranks::world().size() > 1,
               .criteria = !o.run.criteria.empty(),
               .phases = o.run.phases().on(),
               .hdr_log = !o.out.hdr_log.empty(),
               .conn_log = !o.out.log_connections.empty()});
  StopSignals signals;
  if (o.sweep.empty() && !o.search.on) {
    return run_load(
        [&o] {
          o.out.interval_seconds();
          return prepare_rr(o, rr_spec(o));
        },
        o.to, signals);
  }
  load::RrSpec spec = rr_spec(o);
  o.out.interval_seconds();  // a bad --interval is a usage error before anything runs
  run::preflight_held(spec, spec.connections, 0);
  if (o.search.on) return run::run_search(rr_search(o, std::move(spec), signals), o.out.settings());
  return run_sweep(o, spec, signals);
}

run::SearchPlan rr_search(const RrOptions& o, load::RrSpec spec, StopSignals& signals) {
  run::SearchPlan plan = search_plan(o.search, o.run, o.rate);
  plan.command = "rr";
  plan.unit = "requests/s";
  plan.config = run::rr_config(spec, plan.duration);
  return run::with_rate_steps<load::RrEngine>(std::move(plan), std::move(spec), signals);
}

run::Prepared prepare_rr(const RrOptions& o, load::RrSpec spec) {
  const double duration = o.run.duration_seconds(10);
  load::RrSpec mine = run::rank_share(spec, {{"-c", spec.connections}, {"-n", spec.count}});
  run::check_sources(mine);
  run::preflight_held(mine, mine.connections, 0);
  auto job = run::with_verdict(run::make_rr_job(std::move(mine)),
                               run_criteria(o.run.criteria, o.run.max_error_rate, Judged::Rr));
  return {std::move(job), run::rr_plan(spec, duration, o.out.settings())};
}

}  // namespace connperf::cli
