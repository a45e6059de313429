#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/live_stats.h"
#include "run/driver.h"
#include "run/load_job.h"
#include "load/cc_fleet.h"
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

namespace {

std::string cc_summary_text(const load::CcTotals& t, std::uint64_t target) {
  const load::CcCounts& c = t.counts;
  std::string out = fmt::format("\n{:<14}{:>12}\n{:<14}{:>12}\n{:<14}{:>12}\n", "attempted",
                                stats::format_count(c.attempts.started), "established",
                                stats::format_count(c.attempts.completed), "failed",
                                stats::format_count(c.attempts.error_total()));
  for (std::size_t k = 0; k < stats::kErrorKinds; ++k)
    if (c.attempts.errors[k])
      out += fmt::format("  {:<12}{:>12}\n", stats::to_string(static_cast<stats::ErrorKind>(k)),
                         stats::format_count(c.attempts.errors[k]));
  out += fmt::format("{:<14}{:>12}\n{:<14}{:>12}   (open at the end of the hold)\n", "lost",
                     stats::format_count(c.lost), "survived", stats::format_count(c.open));
  if (t.all_reached)
    return out + fmt::format("all {} open after {:.2f} s\n", stats::format_count(target),
                             loop::seconds_from_ns(t.reached_ns));
  return out + fmt::format("never had all {} open at once\n", stats::format_count(target));
}

nlohmann::json cc_summary_json(const load::CcTotals& t, std::uint64_t target, double elapsed) {
  const load::CcCounts& c = t.counts;
  return {{"target", target},
          {"attempted", c.attempts.started},
          {"established", c.attempts.completed},
          {"failed", c.attempts.error_total()},
          {"errors", stats::errors_json(c.attempts)},
          {"aborted", t.aborted},
          {"lost", c.lost},
          {"survived", c.open},
          {"keepalives", c.keepalives},
          {"time_to_reach_s", t.all_reached ? nlohmann::json(loop::seconds_from_ns(t.reached_ns))
                                            : nlohmann::json(nullptr)},
          {"seconds", elapsed}};
}

// The job's totals under MPI: counts summed over ranks; reached when the slowest rank had all of
// its connections open, and only if every rank did.
load::CcTotals job_totals(const load::CcTotals& own) {
  ranks::Comm& comm = ranks::world();
  if (comm.size() == 1) return own;
  load::CcTotals t = own;
  load::CcCounts& c = t.counts;
  std::vector<std::uint64_t> v{c.attempts.started, c.attempts.completed, c.open, c.lost,
                               c.keepalives, t.aborted};
  v.insert(v.end(), c.attempts.errors.begin(), c.attempts.errors.end());
  comm.sum(v);
  std::uint64_t slowest[2] = {t.reached_ns, t.all_reached ? 0u : 1u};
  comm.max(slowest);
  std::size_t at = 0;
  for (std::uint64_t* n : {&c.attempts.started, &c.attempts.completed, &c.open, &c.lost,
                           &c.keepalives, &t.aborted})
    *n = v[at++];
  for (auto& e : c.attempts.errors) e = v[at++];
  t.reached_ns = slowest[0];
  t.all_reached = slowest[1] == 0;
  return t;
}

class CcJob final : public run::Job {
 public:
  CcJob(const load::CcSpec& spec, unsigned processes, std::uint64_t hold_ns,
        std::uint64_t target)
      : fleet_(spec, processes, hold_ns), target_(target), sources_(spec.binds) {}

  std::uint64_t start() override {
    const std::uint64_t t0 = loop::now_ns();
    fleet_.start();
    return t0;
  }
  bool reached_end() override {
    const bool done = fleet_.done();
    for (const auto& note : fleet_.take_notes()) fmt::print(stderr, "warning: {}\n", note);
    return done;
  }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    const load::CcCounts c = job_totals(fleet_.total()).counts;
    const std::uint64_t attempts = c.attempts.started - prev_attempts_;
    const std::uint64_t failed = c.attempts.error_total() - prev_failed_;
    prev_attempts_ = c.attempts.started;
    prev_failed_ = c.attempts.error_total();
    j = {{"t", t}, {"open", c.open}, {"attempts", attempts}, {"failed", failed}, {"lost", c.lost}};
    auto per_second = [seconds](std::uint64_t n) {
      return stats::format_count(static_cast<std::uint64_t>(static_cast<double>(n) / seconds));
    };
    line = fmt::format("{:>6.1f}s {:>10} {:>11} {:>9} {:>7}", t, stats::format_count(c.open),
                       per_second(attempts), per_second(failed), stats::format_count(c.lost));
  }

  // A signal ends the hold; a second one kills worker processes that still run.
  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    if (signalled) fleet_.stop();
    while (!reached_end())
      if (signals.wait_until(loop::now_ns() + 5 * loop::kMs)) fleet_.kill();
    fleet_.join();
    return loop::now_ns();
  }
  bool reports_last_interval() const override { return false; }
  // The ramp: attempts begun of -n.
  double done_fraction() override {
    return static_cast<double>(prev_attempts_) / static_cast<double>(target_);
  }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    own_ = fleet_.total();
    const load::CcTotals t = job_totals(own_);
    text = cc_summary_text(t, target_);
    j = cc_summary_json(t, target_, elapsed);
  }

  nlohmann::json rank_row(double elapsed) override {
    return run::rank_counts(own_.counts.attempts, elapsed, sources_);
  }

 private:
  load::CcFleet fleet_;
  std::uint64_t target_;
  load::CcTotals own_;  // this rank's, at the summary
  std::vector<net::SockAddr> sources_;
  std::uint64_t prev_attempts_ = 0, prev_failed_ = 0;
};

}  // namespace

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
      std::make_unique<CcJob>(mine, o.processes, loop::ns_from_seconds(hold), spec.count);
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
