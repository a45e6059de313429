// What the driver (run/driver.h) runs: a Job is one subcommand's run — its engine, the figures of
// each interval, the summary. Every verb names one moment of the run, in this order:
//   start → reached_end? (polled) → interval (each tick) → stop → summary → add_sections.
// Called on the command's (reporting) thread only; the engines' workers run on their own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "loop/signals.h"
#include "run/errors.h"
#include "stats/client_stats.h"

namespace connperf::run {

using loop::StopSignals;

class Job {
 public:
  virtual ~Job() = default;
  // Starts the engine; returns the run's start time (t0, monotonic ns).
  virtual std::uint64_t start() = 0;
  // The run ended by itself (a count was reached, a ramp completed).
  virtual bool reached_end() { return false; }
  // The interval that ended at t (seconds since t0), `seconds` long: its JSON object and line.
  virtual void interval(double t, double seconds, nlohmann::json& j, std::string& line) = 0;
  // The latency histograms of the interval interval() just reported (--hdr-log); nullptr when
  // the job has none (cc, server).
  virtual const stats::ClientSnapshot* interval_figures() const { return nullptr; }
  // The run is over (it reached its end, -d passed, or a signal when `signalled`): stop the
  // engine, let what is in flight end as the subcommand does, join. Returns when it stopped.
  virtual std::uint64_t stop(StopSignals& signals, bool signalled) = 0;
  // Whether a last, shorter interval is reported when the run ended between two ticks.
  virtual bool reports_last_interval() const { return true; }
  // The summary: the text block for humans and the JSON summary object.
  virtual void summary(double elapsed, std::string& text, nlohmann::json& j) = 0;
  // Sections of the result document beside `summary` (reconciliation, dut, …): the last word.
  virtual void add_sections(nlohmann::json& /*doc*/) {}
  virtual int exit_code() const { return kOk; }
  // Why exit_code() is not kOk, as one line for stderr; empty when there is nothing to say.
  virtual std::string exit_reason() const { return {}; }
  // How much of a counted run (-n) is done, 0..1; negative when the run is not counted.
  virtual double done_fraction() { return -1; }
  // Under MPI, after summary(): this rank's own totals for `summary.per_rank[]`.
  virtual nlohmann::json rank_row(double /*elapsed*/) { return nlohmann::json::object(); }
};

// A job that adds to another (kernel counters, --server-stats, the lab's device, MPI ranks):
// everything goes to the inner job unless the decorator overrides it.
class JobDecorator : public Job {
 public:
  explicit JobDecorator(std::unique_ptr<Job> inner) : owned_(std::move(inner)), load_(owned_.get()) {}
  explicit JobDecorator(Job& inner) : load_(&inner) {}  // `inner` outlives the decorator
  std::uint64_t start() override { return load_->start(); }
  bool reached_end() override { return load_->reached_end(); }
  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    load_->interval(t, seconds, j, line);
  }
  const stats::ClientSnapshot* interval_figures() const override {
    return load_->interval_figures();
  }
  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    return load_->stop(signals, signalled);
  }
  bool reports_last_interval() const override { return load_->reports_last_interval(); }
  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
  }
  void add_sections(nlohmann::json& doc) override { load_->add_sections(doc); }
  int exit_code() const override { return load_->exit_code(); }
  std::string exit_reason() const override { return load_->exit_reason(); }
  double done_fraction() override { return load_->done_fraction(); }
  nlohmann::json rank_row(double elapsed) override { return load_->rank_row(elapsed); }

 private:
  std::unique_ptr<Job> owned_;

 protected:
  Job* load_;
};

}  // namespace connperf::run
