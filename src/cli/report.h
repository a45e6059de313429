// The one run-and-report path of every subcommand that runs for a while: banner, a line and a
// JSON object per interval, the end of the run (by itself, -d, or Ctrl-C), the summary, the
// result document and the exit code. A subcommand describes its run as a Job.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <utility>
#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/flags.h"
#include "ranks/reduce.h"
#include "load/split.h"

namespace connperf::cli {

class Job {
 public:
  virtual ~Job() = default;
  virtual std::uint64_t start() = 0;  // returns the run's start time (t0)
  virtual bool finished() { return false; }  // the run ended by itself (a count was reached)
  // The interval that ended at t (seconds since t0), `seconds` long: its JSON object and line.
  virtual void interval(double t, double seconds, nlohmann::json& j, std::string& line) = 0;
  // The run is over (finished, -d, or a signal when `signalled`): stop it, let what is in
  // flight end as the subcommand does, join. Returns the time it ended.
  virtual std::uint64_t finish(StopSignals& signals, bool signalled) = 0;
  // Whether a last, shorter interval is reported when the run ended between two ticks.
  virtual bool reports_last_interval() const { return true; }
  // The summary: the text block for humans and the JSON summary object.
  virtual void summary(double elapsed, std::string& text, nlohmann::json& j) = 0;
  virtual int exit_code() const { return kOk; }
  // How much of a counted run (-n) is done, 0..1; negative when the run is not counted.
  virtual double done_fraction() { return -1; }
  // Last word on the result document before it is written (top-level sections of its own).
  virtual void complete(nlohmann::json& /*doc*/) {}
  // Under MPI, after summary(): this rank's own totals for `summary.per_rank[]` (run_and_report
  // adds host and rank).
  virtual nlohmann::json rank_row(double /*elapsed*/) { return nlohmann::json::object(); }
};

// A job that adds to another (lab run's device, --server-stats): everything goes to the inner
// job unless the decorator overrides it.
class JobDecorator : public Job {
 public:
  explicit JobDecorator(std::unique_ptr<Job> inner) : load_(std::move(inner)) {}
  std::uint64_t start() override { return load_->start(); }
  bool finished() override { return load_->finished(); }
  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    load_->interval(t, seconds, j, line);
  }
  std::uint64_t finish(StopSignals& signals, bool signalled) override {
    return load_->finish(signals, signalled);
  }
  bool reports_last_interval() const override { return load_->reports_last_interval(); }
  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
  }
  int exit_code() const override { return load_->exit_code(); }
  double done_fraction() override { return load_->done_fraction(); }
  void complete(nlohmann::json& doc) override { load_->complete(doc); }
  nlohmann::json rank_row(double elapsed) override { return load_->rank_row(elapsed); }

 protected:
  std::unique_ptr<Job> load_;
};

struct Report {
  std::string command;
  nlohmann::json config;
  std::string banner;     // printed before the run unless -q; ends with the column header
  double duration = 0;    // seconds; 0 = until finished() or a signal
  const OutputFlags* out = nullptr;
  nlohmann::json first_interval = nullptr;  // a sample taken before the run (states --watch)
};

// Under MPI (ranks::world() of more than one rank) every rank runs this together: they start from a
// barrier, agree each step (a signal on any rank stops all; the count ends when every rank is
// done; rank 0's clock ticks and ends -d), the Job reduces its figures, and rank 0 alone prints
// and writes the document, with `ranks` and `summary.per_rank[]`.
int run_and_report(Job& job, const Report& report, StopSignals& signals);

// --ndjson: one JSON object per line, flushed per line, so `jq` or a dashboard follows a run:
// {"event":"start","tool":"connperf","version":…,"command":…,"config":…}, then
// {"event":"interval",…the interval's object…} (a sweep: one per step), then
// {"event":"end","summary":…}. Does nothing when `path` is empty. Throws RunError.
class NdjsonStream {
 public:
  explicit NdjsonStream(const std::string& path);
  ~NdjsonStream();
  NdjsonStream(const NdjsonStream&) = delete;
  NdjsonStream& operator=(const NdjsonStream&) = delete;
  void start(const std::string& command, const nlohmann::json& config);
  void interval(const nlohmann::json& j);
  void end(const nlohmann::json& summary);

 private:
  void line(const nlohmann::json& j);
  std::FILE* f_ = nullptr;
  bool owned_ = false;
};

// One self-updating status line on stderr, only when stderr is a terminal: nothing of it
// reaches files or pipes. clear() before other output goes to the same terminal.
class Progress {
 public:
  Progress();
  ~Progress();
  bool enabled() const noexcept { return tty_; }
  void show(const std::string& text);
  void clear();

 private:
  bool tty_;
  bool shown_ = false;
};

// "12.0 s of 30 s, 40%, 18 s left"; "7,500 of 10,000 (75%)"; "step 2 of 9". `total` 0 = no
// limit; `fraction` < 0 = not counted. Pure, for the status line.
std::string progress_text(double elapsed, double total, double fraction);
std::string step_progress_text(std::size_t step, std::size_t steps, double elapsed_in_step,
                               double step_seconds, const std::string& what);

// A rank's row: started, completed, errors, cps and, with --bind, the source addresses it used.
nlohmann::json rank_counts(const stats::ClientSnapshot& own, double elapsed,
                           const std::vector<net::SockAddr>& sources);

// Under MPI (more than one rank in ranks::world()): this rank's share of the job's figures, by the
// threads' share rule; --bind sets split into disjoint subsets. `figures`: each flag and its
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

// Binds a socket to each source address (port 0, nothing sent): a run that cannot use one of
// its --bind addresses cannot start. Throws RunError naming the address and the reason.
void check_sources(const load::Targets& spec);

// A subcommand's run, ready to start: what `lab run` drives in its namespaces.
struct Prepared {
  std::unique_ptr<Job> job;
  Report report;
};

// prepare() then run_and_report. Under MPI every rank prepares its part and they agree first: a
// rank that cannot start ends the job (rank 0 names it); an error during the run ends the job.
int run_prepared(const std::function<Prepared()>& prepare, const TargetFlags& to,
                 StopSignals& signals);

// The part of a Job that crr and rr share: their engine's start and end (work in flight may
// finish within its grace), the counters since the last interval, the totals and the exit code
// by --max-error-rate.
template <typename Engine>
class LoadJob : public Job {
 public:
  template <typename Spec>
  LoadJob(Spec spec, double max_error_rate)
      : engine_(std::move(spec)), max_error_rate_(max_error_rate) {}
  const auto& spec() const noexcept { return engine_.spec(); }

  std::uint64_t start() override { return engine_.start(); }
  bool finished() override { return engine_.finished(); }
  std::uint64_t finish(StopSignals& signals, bool) override {
    finish_in_flight(engine_, signals, spec().timeout_ns);
    engine_.join();
    return engine_.stopped_at();
  }
  int exit_code() const override { return exit_code_for(total_, max_error_rate_); }
  double done_fraction() override {
    if (spec().count == 0) return -1;
    return static_cast<double>(prev_.started) / static_cast<double>(spec().count);
  }

  nlohmann::json rank_row(double elapsed) override {
    return rank_counts(own_, elapsed, spec().binds);
  }

 protected:
  // The counters since the last interval, summed over ranks with `extra` (job-wide figures).
  stats::ClientSnapshot delta(std::span<std::uint64_t> extra = {}) {
    stats::ClientSnapshot now;
    engine_.snapshot(now);
    stats::ClientSnapshot d = now;
    d -= prev_;
    prev_ = now;
    ranks::sum(ranks::world(), d, extra);
    return d;
  }
  std::uint64_t take_totals() {  // fills total_ (the job's); returns the aborted count
    engine_.snapshot(total_);
    own_ = total_;
    std::uint64_t aborted = engine_.aborted();
    ranks::sum(ranks::world(), total_, {&aborted, 1});
    return aborted;
  }

  Engine engine_;
  stats::ClientSnapshot total_;

 private:
  double max_error_rate_;
  stats::ClientSnapshot prev_;
  stats::ClientSnapshot own_;  // this rank's totals
};

}  // namespace connperf::cli
