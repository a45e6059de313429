#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "diag/sock_diag.h"
#include "cli/live_stats.h"
#include "run/driver.h"
#include "run/load_jobs.h"
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
  c.add_option("-c,--concurrency", o.concurrency,
               "connections in flight in total (with --rate: the cap on in flight, 10000 "
               "unless given)")
      ->check(CLI::Range(1, 10'000'000))
      ->each([&o](const std::string&) { o.concurrency_set = true; });
  c.add_option("--rate", o.rate, "new connections per second in total (open loop)")
      ->check(CLI::PositiveNumber)
      ->default_str("closed loop");
  add_close_flag(c, o.close, "how we close after the response: rst (SO_LINGER 0) or fin");
  add_output_flags(c, o.out);
  add_kernel_counters_flag(c, o.out);
  add_search_flags(c, o.search);
}

load::CrrSpec crr_spec(const CrrOptions& o) {
  load::CrrSpec s;
  static_cast<load::Targets&>(s) = parse_target_flags(o.to);
  s.threads = o.run.threads;
  s.rate = o.rate;
  s.concurrency = (o.rate > 0 || o.search.on) && !o.concurrency_set ? 10'000 : o.concurrency;
  s.count = o.run.count;
  s.timeout_ns = o.run.timeout_ns();
  s.close = o.close == "fin" ? load::CloseMode::Fin : load::CloseMode::Rst;
  return s;
}

namespace {

nlohmann::json crr_config(const load::CrrSpec& s, double duration) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : s.targets) targets.push_back(t.addr.to_string());
  return {{"targets", targets},           {"threads", s.threads},
          {"concurrency", s.concurrency}, {"rate", s.rate},
          {"duration", duration},         {"count", s.count},
          {"close", load::to_string(s.close)},
          {"request", load::to_string(s.request)},
          {"timeout_ms", loop::ms_from_ns(s.timeout_ns)},
          {"bind_addresses", s.binds.size()}};
}

std::string crr_banner(const load::CrrSpec& s, const std::vector<std::string>& names) {
  const std::string more =
      names.size() > 1 ? fmt::format(" (+{} more)", names.size() - 1) : std::string();
  return fmt::format("crr {}{} — {} thread{}, {}, close {}, request {}\n{}\n", names.front(), more,
                     s.threads, s.threads == 1 ? "" : "s",
                     s.rate > 0 ? fmt::format("{}/s (at most {} in flight)", s.rate, s.concurrency)
                                : fmt::format("{} in flight", s.concurrency),
                     load::to_string(s.close), load::to_string(s.request), stats::crr_header());
}

}  // namespace

int run_crr(const CrrOptions& o) {
  StopSignals signals;
  if (o.search.on) {
    if (!o.to.server_stats.empty()) throw UsageError("--server-stats: not with --search");
    if (ranks::world().size() > 1) throw UsageError("--search does not run under mpirun yet");
    return run_crr_search(o, crr_spec(o), signals);
  }
  return run_load([&o] { return prepare_crr(o, crr_spec(o)); }, o.to, signals);
}

int run_crr_search(const CrrOptions& o, load::CrrSpec spec, StopSignals& signals) {
  run::SearchPlan plan = search_plan(o.search, o.run, o.rate);
  plan.command = "crr";
  plan.unit = "connections/s";
  plan.config = crr_config(spec, plan.duration);
  preflight_warnings(spec, plan.duration);
  return run::search_rates<load::CrrEngine>(std::move(plan), std::move(spec), o.out.settings(),
                                            signals);
}

run::Prepared prepare_crr(const CrrOptions& o, load::CrrSpec spec) {
  o.out.interval_seconds();  // a bad --interval is a usage error before anything runs
  const double duration = o.run.duration_seconds(10);
  load::CrrSpec mine =
      run::rank_share(spec, {{"-c", spec.concurrency}, {"-n", spec.count}});
  check_sources(mine);
  preflight_warnings(mine, duration);
  auto job = run::make_crr_job(std::move(mine), o.run.max_error_rate);
  run::Plan report{"crr", crr_config(spec, duration), crr_banner(spec, o.to.targets), duration,
                o.out.settings()};
  return {std::move(job), std::move(report)};
}

int run_crr_spec(const CrrOptions& o, load::CrrSpec spec, StopSignals& signals) {
  return run_load([&] { return prepare_crr(o, std::move(spec)); }, o.to, signals);
}

}  // namespace connperf::cli
