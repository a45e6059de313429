#include "run/cc_job.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "loop/clock.h"
#include "ranks/reduce.h"
#include "run/conn_log.h"
#include "run/load_job.h"
#include "run/load_jobs.h"
#include "stats/format.h"
#include "stats/printers.h"

namespace connperf::run {

namespace {

std::string cc_summary_text(const load::CcTotals& t, std::uint64_t target) {
  return stats::cc_summary_text(
      t.counts.attempts, t.counts.lost, t.counts.open, target,
      t.all_reached ? std::optional(loop::seconds_from_ns(t.reached_ns)) : std::nullopt);
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

// With phases: the sustain phase of a cc run. What it holds was attempted before it ends, so
// attempted, established, failed and errors are the run's at its end; lost and keepalives are
// its own; held the connections open at its end (survived, for criteria), held_min the fewest
// open at the end of any of its intervals.
struct CcSustain {
  stats::ClientSnapshot attempts;
  stats::ClientSnapshot requests;  // the keepalives of its intervals
  std::uint64_t lost = 0, keepalives = 0, held = 0, held_min = UINT64_MAX;
  double seconds = 0;

  nlohmann::json json() const {
    return {{"seconds", seconds},
            {"attempted", attempts.started},
            {"established", attempts.completed},
            {"failed", attempts.error_total()},
            {"errors", stats::errors_json(attempts)},
            {"lost", lost},
            {"keepalives", keepalives},
            {"held", held},
            {"held_min", held_min == UINT64_MAX ? 0 : held_min},
            {"survived", held}};
  }
  std::string text(double phases_s) const {
    return fmt::format(
        "sustain phase ({:.1f} s of {:.1f}): held {} (at least {}), {} lost, {} failed of {} "
        "attempted, {} keepalives{}\n",
        seconds, phases_s, stats::format_count(held),
        stats::format_count(held_min == UINT64_MAX ? 0 : held_min), stats::format_count(lost),
        stats::format_count(attempts.error_total()), stats::format_count(attempts.started),
        stats::format_count(keepalives),
        stats::has_objects(requests) && seconds > 0
            ? ", goodput " +
                  stats::format_bytes(static_cast<std::uint64_t>(
                      static_cast<double>(requests.body_bytes) / seconds)) + "/s"
            : std::string());
  }
};

// --keepalive: the keepalive requests (sent, their errors by cause, latency: connect and the
// reply's), and with --object goodput and the objects, as crr and rr report them. `seconds`: what
// goodput divides by.
void add_requests_json(nlohmann::json& j, const stats::ClientSnapshot& attempts,
                       const stats::ClientSnapshot& r, double seconds, bool objects) {
  j["requests"] = r.started;
  j["request_errors"] = stats::errors_json(r);
  j["latency_us"] = {{"connect", stats::latency_json(attempts.connect_us)},
                     {"response", stats::latency_json(r.response_us)}};
  if (!objects) return;
  // RFC 9411's time to last byte, from the request's send, is the reply's latency (as rr's).
  j["latency_us"]["ttfb"] = stats::latency_json(r.ttfb_us);
  j["latency_us"]["ttlb"] = j["latency_us"]["response"];
  j["body_bytes"] = r.body_bytes;
  j["goodput_bytes_per_s"] = seconds > 0 ? static_cast<double>(r.body_bytes) / seconds : 0.0;
  j["objects"] = stats::objects_json(r, seconds);
}

std::string requests_text(const stats::ClientSnapshot& attempts, const stats::ClientSnapshot& r,
                          double seconds, bool objects) {
  std::string out = fmt::format("keepalives    {:>12} sent, {} answered\n",
                                stats::format_count(r.started), stats::format_count(r.completed));
  for (std::size_t k = 0; k < stats::kErrorKinds; ++k)
    if (r.errors[k])
      out += fmt::format("  {:<12}{:>12}\n", stats::to_string(static_cast<stats::ErrorKind>(k)),
                         stats::format_count(r.errors[k]));
  if (objects) out += stats::objects_text(r, seconds);
  out += fmt::format("\n  {:<10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "latency", "p50", "p90",
                     "p99", "p99.9", "max", "mean");
  out += stats::latency_row("connect", attempts.connect_us);
  if (objects) out += stats::latency_row("ttfb", r.ttfb_us);
  out += stats::latency_row(objects ? "ttlb" : "keepalive", r.response_us);
  return out;
}

class CcJob final : public Job {
 public:
  CcJob(const load::CcSpec& spec, unsigned processes, std::uint64_t hold_ns,
        std::uint64_t target)
      : fleet_(spec, processes, hold_ns),
        target_(target),
        sources_(spec.binds),
        targets_(targets_text(spec)),
        tls_(spec.tls.on),
        keepalive_(spec.keepalive_ns > 0),
        objects_(!spec.objects.empty()),
        phases_(spec.phases),
        phases_ns_(spec.phases.total_ns()) {
    if (spec.log) conn_log_.emplace(spec.log, spec, spec.phases);
  }

  std::uint64_t start() override {
    const std::uint64_t t0 = loop::now_ns();
    fleet_.start();  // forks its worker processes first: a fork while the log's writer thread
                     // runs may copy a lock it holds (ASan's allocator's: the child hung)
    if (conn_log_) conn_log_->start(t0);
    return t0;
  }
  bool reached_end() override {
    const bool done = fleet_.done();
    for (const auto& note : fleet_.take_notes()) fmt::print(stderr, "warning: {}\n", note);
    return done;
  }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    const load::CcCounts c = ranks::sum(ranks::world(), fleet_.total()).counts;
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
    stats::ClientSnapshot r;
    if (keepalive_) {  // the interval's keepalive requests
      r = c.requests;
      r -= prev_requests_;
      prev_requests_ = c.requests;
    }
    // --hdr-log: the interval's connects (and tls), its keepalive replies as the response.
    figures_ = c.attempts;
    figures_ -= prev_figures_;
    prev_figures_ = c.attempts;
    figures_.response_us = r.response_us;
    if (objects_) {
      j["body_bytes"] = r.body_bytes;
      j["goodput_bytes_per_s"] = static_cast<double>(r.body_bytes) / seconds;
      line += stats::goodput_cell(r, seconds);
    }
    if (phases_.on()) mark_phase(t, seconds, c, r, j, line);
  }

  // A signal ends the hold; a second one kills worker processes that still run.
  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    if (signalled) fleet_.stop();
    while (!reached_end())
      if (signals.wait_until(loop::now_ns() + 5 * loop::kMs)) fleet_.kill();
    fleet_.join();
    if (conn_log_) conn_log_->finish();
    return loop::now_ns();
  }
  bool reports_last_interval() const override { return false; }
  const stats::ClientSnapshot* interval_figures() const override { return &figures_; }
  // The ramp: attempts begun of -n.
  double done_fraction() override {
    return static_cast<double>(prev_attempts_) / static_cast<double>(target_);
  }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    own_ = fleet_.total();
    const load::CcTotals t = ranks::sum(ranks::world(), own_);
    attempts_ = t.counts.attempts;
    text = cc_summary_text(t, target_);
    j = cc_summary_json(t, target_, elapsed);
    if (keepalive_) {
      add_requests_json(j, t.counts.attempts, t.counts.requests, elapsed, objects_);
      text += requests_text(t.counts.attempts, t.counts.requests, elapsed, objects_);
    }
    if (phases_.on()) {  // the sustain phase leads; the whole run beside it
      text = sustain_.text(loop::seconds_from_ns(phases_ns_)) + text;
      j["sustain"] = sustain_.json();
      if (keepalive_)
        add_requests_json(j["sustain"], sustain_.attempts, sustain_.requests, sustain_.seconds,
                          objects_);
      j["phases"] = phases_.phases_json();
      j["closed"] = t.counts.closed;
    }
    if (conn_log_) conn_log_->summarize(text, j);
    if (tls_) {
      j["tls"] = stats::tls_json(t.counts.attempts, t.tls_names);
      text += stats::tls_summary_text(t.counts.attempts, t.tls_names);
    }
  }

  // The interval's phase; a sustain interval's figures go to the sustain phase's.
  void mark_phase(double t, double seconds, const load::CcCounts& c,
                  const stats::ClientSnapshot& requests, nlohmann::json& j, std::string& line) {
    j["closed"] = c.closed - prev_closed_;
    const bool sustain = phases_.label(t, seconds, j, line);
    if (sustain) {
      sustain_.attempts = c.attempts;
      sustain_.requests += requests;
      sustain_.lost += c.lost - prev_lost_;
      sustain_.keepalives += c.keepalives - prev_keepalives_;
      sustain_.held = c.open;
      sustain_.held_min = std::min(sustain_.held_min, c.open);
      sustain_.seconds += seconds;
    }
    prev_lost_ = c.lost;
    prev_keepalives_ = c.keepalives;
    prev_closed_ = c.closed;
  }

  nlohmann::json rank_row(double elapsed) override {
    return rank_counts(own_.counts.attempts, elapsed, sources_);
  }
  int exit_code() const override { return exit_code_for(attempts_); }
  std::string exit_reason() const override {
    return stats::nothing_completed(attempts_, targets_);
  }

 private:
  load::CcFleet fleet_;
  std::uint64_t target_;
  load::CcTotals own_;  // this rank's, at the summary
  std::vector<net::SockAddr> sources_;
  std::string targets_;
  stats::ClientSnapshot attempts_;  // the job's, at the summary
  std::uint64_t prev_attempts_ = 0, prev_failed_ = 0;
  std::optional<ConnLogWriter> conn_log_;  // --log-connections
  bool tls_;
  bool keepalive_;       // --keepalive
  bool objects_;         // --object
  stats::ClientSnapshot prev_requests_;
  stats::ClientSnapshot figures_, prev_figures_;  // the interval's latency (--hdr-log)
  PhaseLabels phases_;  // --ramp-up, --sustain, --ramp-down
  std::uint64_t phases_ns_;  // their sum
  CcSustain sustain_;
  std::uint64_t prev_lost_ = 0, prev_keepalives_ = 0, prev_closed_ = 0;
};

}  // namespace

std::unique_ptr<Job> make_cc_job(const load::CcSpec& spec, unsigned processes,
                                 std::uint64_t hold_ns, std::uint64_t target) {
  return std::make_unique<CcJob>(spec, processes, hold_ns, target);
}

Plan cc_plan(const load::CcSpec& s, unsigned processes, double hold, const OutputSettings& out) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : s.targets) targets.push_back(t.name);
  const load::Phases& p = s.phases;
  const std::string held =
      p.on() ? fmt::format("ramp-up {:.1f} s, sustain {:.1f} s, ramp-down {:.1f} s",
                           loop::seconds_from_ns(p.up_ns), loop::seconds_from_ns(p.sustain_ns),
                           loop::seconds_from_ns(p.down_ns))
             : fmt::format("hold {:.1f} s", hold);
  std::string banner = fmt::format(
      "cc {} — {} connections{}, {}, {} process{}{}\n{:>7} {:>10} {:>11} {:>9} {:>7}{}\n",
      s.targets.front().name, stats::format_count(s.count),
      s.ramp > 0 ? fmt::format(" at {}/s", s.ramp) : std::string(), held, processes,
      processes == 1 ? "" : "es", tls_banner(s.tls), "time", "open", "attempts/s", "failed/s",
      "lost", s.objects.empty() ? std::string() : fmt::format(" {:>12}", "goodput"));
  Plan plan{"cc",
          {{"targets", targets}, {"count", s.count}, {"ramp", s.ramp}, {"hold", hold},
           {"keepalive", loop::seconds_from_ns(s.keepalive_ns)}, {"threads", s.threads},
           {"processes", processes}, {"bind_addresses", s.binds.size()},
           {"timeout_ms", loop::ms_from_ns(s.timeout_ns)}, {"cpus", s.cpus}},
          std::move(banner), 0, out};
  if (s.tls.on) plan.config["tls"] = tls_config(s.tls);
  add_objects_config(plan.config, s);
  if (p.on()) plan.config.erase("hold");  // the phases hold them (summary.phases)
  return plan;
}

}  // namespace connperf::run
