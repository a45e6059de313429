// What the load runs (crr, rr, cc) share on top of the driver: this rank's share of the job,
// the end of a load run (work in flight may finish within a grace), the exit code when nothing
// completed, a rank's row, and LoadJob — crr's and rr's Job around their engine.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "load/phases.h"
#include "load/split.h"
#include "loop/clock.h"
#include "net/address.h"
#include "ranks/reduce.h"
#include "run/conn_log.h"
#include "run/job.h"
#include "load/target.h"
#include "stats/client_stats.h"
#include "stats/printers.h"

namespace connperf::run {

// Under MPI (more than one rank in ranks::world()): this rank's share of the job's figures, by
// the threads' share rule; --bind sets split into disjoint subsets. `figures`: each flag and its
// value, which must give every rank at least one (0 = not given). Throws UsageError.
template <typename Spec>
Spec rank_share(const Spec& spec,
                std::initializer_list<std::pair<const char*, std::uint64_t>> figures) {
  const ranks::Comm& comm = ranks::world();
  if (comm.size() == 1) return spec;
  for (const auto& [flag, value] : figures)
    if (value > 0 && value < comm.size())
      throw UsageError(std::string(flag) + ": " + std::to_string(value) +
                       " cannot be split over " + std::to_string(comm.size()) + " ranks");
  if (!spec.binds.empty() && spec.binds.size() < comm.size())
    throw UsageError("--bind: " + std::to_string(spec.binds.size()) +
                     " source addresses cannot be split over " + std::to_string(comm.size()) +
                     " ranks (each rank needs its own)");
  return load::share_of(spec, comm.size(), comm.rank());
}

// At the end of a load run the work in flight may still finish, for a short grace time
// (at most 2 s, or the engine's timeout), so the counts match the target's; then, or at a
// second Ctrl-C, the engine stops and what is left is aborted.
template <typename Engine>
void finish_in_flight(Engine& engine, StopSignals& signals, std::uint64_t timeout_ns) {
  constexpr std::uint64_t kGraceNs = 2'000'000'000;
  engine.drain();
  const std::uint64_t end = loop::now_ns() + std::min(kGraceNs, timeout_ns);
  while (!engine.finished() && loop::now_ns() < end)
    if (signals.wait_until(std::min(end, loop::now_ns() + 2'000'000))) break;
  engine.stop();
}

// kCannotRun when attempts were made and none completed, else kOk (criteria such as
// --max-error-rate are the verdict's: run/verdict.h).
int exit_code_for(const stats::ClientSnapshot& total);
// What the job's targets are called in one line: the first, and how many more.
std::string targets_text(const load::Targets& t);

// With phases (load/phases.h): each interval's phase — the one its middle falls in — in its
// JSON (`phase`) and, on the first row of a phase, at the end of its line; and the sustain
// phase's own figures, the sum of its intervals.
class PhaseLabels {
 public:
  explicit PhaseLabels(const load::Phases& p) : phases_(p) {}
  // Labels the interval that ended at t; true when it belongs to the sustain phase.
  bool label(double t, double seconds, nlohmann::json& j, std::string& line);
  void add(const stats::ClientSnapshot& d, double seconds) {
    sustain_ += d;
    sustain_seconds_ += seconds;
  }
  bool on() const noexcept { return phases_.on(); }
  const stats::ClientSnapshot& sustain() const noexcept { return sustain_; }
  double sustain_seconds() const noexcept { return sustain_seconds_; }
  nlohmann::json phases_json() const;  // summary.phases: each phase's seconds
  // summary.sustain (its JSON by `make`, as the summary's own) and summary.phases; the text
  // leads with the sustain phase's figures.
  template <typename MakeJson>
  void summarize(nlohmann::json& j, std::string& text, const char* rate_key, MakeJson make) const {
    if (!on()) return;
    nlohmann::json s = make(sustain_, sustain_seconds_);
    s.erase("histograms");
    s.erase("aborted");
    text = sustain_text(s, rate_key) + text;
    j["sustain"] = std::move(s);
    j["phases"] = phases_json();
  }

 private:
  std::string sustain_text(const nlohmann::json& s, const char* rate_key) const;

  load::Phases phases_;
  std::string last_;
  stats::ClientSnapshot sustain_;
  double sustain_seconds_ = 0;
};

// A rank's row: started, completed, errors, cps and, with --bind, the source addresses it used.
nlohmann::json rank_counts(const stats::ClientSnapshot& own, double elapsed,
                           const std::vector<net::SockAddr>& sources);

// The part of a Job that crr and rr share: their engine's start and stop (work in flight may
// finish within its grace), the counters since the last interval, the totals and the exit code.
template <typename Engine>
class LoadJob : public Job {
 public:
  template <typename Spec>
  explicit LoadJob(Spec spec) : engine_(std::move(spec)), phases_(engine_.spec().phases) {
    if (const auto& s = engine_.spec(); s.log) conn_log_.emplace(s.log, s, s.phases);
  }
  const auto& spec() const noexcept { return engine_.spec(); }

  std::uint64_t start() override {
    t0_ = engine_.start();
    if (conn_log_) conn_log_->start(t0_);
    return t0_;
  }
  bool reached_end() override { return engine_.finished(); }
  // The load ends when the run asks it to (or earlier, when it reached -n by itself); what was
  // in flight then may finish after it.
  std::uint64_t stop(StopSignals& signals, bool) override {
    const std::uint64_t asked = loop::now_ns();
    finish_in_flight(engine_, signals, spec().timeout_ns);
    engine_.join();
    if (conn_log_) conn_log_->finish();  // the records of every attempt, or their drops counted
    load_end_ = std::min(asked, engine_.stopped_at());
    return engine_.stopped_at();
  }
  int exit_code() const override { return exit_code_for(total_); }
  std::string exit_reason() const override {
    return stats::nothing_completed(total_, targets_text(spec()));
  }
  double done_fraction() override {
    if (spec().count == 0) return -1;
    return static_cast<double>(prev_.started) / static_cast<double>(spec().count);
  }

  nlohmann::json rank_row(double elapsed) override {
    nlohmann::json row = rank_counts(own_, elapsed, spec().binds);
    if (conn_log_) row["log_records"] = conn_log_->written();  // this rank's file
    return row;
  }
  const stats::ClientSnapshot* interval_figures() const override { return &last_delta_; }

 protected:
  // The counters since the last interval, summed over ranks with `extra` (job-wide figures).
  stats::ClientSnapshot delta(std::span<std::uint64_t> extra = {}) {
    stats::ClientSnapshot now;
    engine_.snapshot(now);
    stats::ClientSnapshot d = now;
    d -= prev_;
    prev_ = now;
    // crr and rr record one total latency per completion, just before counting it: the snapshot
    // of the counter may run a record ahead of or behind the histogram copied beside it, so an
    // interval's completions are those its histogram holds (the sum over the run is the same).
    d.completed = d.total_us.count();
    ranks::sum(ranks::world(), d, extra);
    last_delta_ = d;
    return d;
  }
  // The load's seconds of a run that lasted `elapsed` (its drain is the rest).
  double load_seconds(double elapsed) const {
    return std::min(elapsed, loop::seconds_from_ns(load_end_ - t0_));
  }
  std::uint64_t take_totals() {  // fills total_ (the job's); returns the aborted count
    engine_.snapshot(total_);
    own_ = total_;
    std::uint64_t aborted = engine_.aborted();
    ranks::sum(ranks::world(), total_, {&aborted, 1});
    return aborted;
  }

  // --log-connections: summary.log_records, summary.log_dropped and their line.
  void add_log_summary(std::string& text, nlohmann::json& j) const {
    if (conn_log_) conn_log_->summarize(text, j);
  }

  // The interval's phase, and its figures added to the sustain phase's when it is one.
  void mark_phase(double t, double seconds, const stats::ClientSnapshot& d, nlohmann::json& j,
                  std::string& line) {
    if (phases_.on() && phases_.label(t, seconds, j, line)) phases_.add(d, seconds);
  }

  Engine engine_;
  stats::ClientSnapshot total_;
  PhaseLabels phases_;
  std::optional<ConnLogWriter> conn_log_;  // --log-connections

 private:
  stats::ClientSnapshot prev_;
  stats::ClientSnapshot own_;  // this rank's totals
  stats::ClientSnapshot last_delta_;  // the job's last interval (delta()), for --hdr-log
  std::uint64_t t0_ = 0, load_end_ = 0;
};

}  // namespace connperf::run
