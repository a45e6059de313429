#include "run/held_load.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "load/cc_fleet.h"
#include "loop/clock.h"
#include "ranks/reduce.h"
#include "stats/format.h"
#include "stats/printers.h"

namespace connperf::run {

namespace {

load::CcSpec held_spec(const load::CrrSpec& crr, const HoldSpec& hold) {
  load::CcSpec s;
  static_cast<load::Targets&>(s) = crr;  // the same targets, sources and request
  s.objects = {};                        // held connections ask for the default object
  s.threads = 1;
  s.count = hold.count;
  s.keepalive_ns = hold.interval_ns;
  s.timeout_ns = crr.timeout_ns;
  return s;
}

nlohmann::json held_json(const load::CcCounts& c) {
  return {{"attempted", c.attempts.started}, {"established", c.attempts.completed},
          {"failed", c.attempts.error_total()}, {"errors", stats::errors_json(c.attempts)},
          {"lost", c.lost}, {"open", c.open}, {"keepalives", c.keepalives}};
}

class HeldLoadJob final : public JobDecorator {
 public:
  HeldLoadJob(std::unique_ptr<Job> job, const load::CrrSpec& load, const HoldSpec& hold)
      : JobDecorator(std::move(job)),
        fleet_(held_spec(load, hold), 1, UINT64_MAX / 2),  // held until the run stops them
        count_(hold.count),
        limit_ns_(load.timeout_ns + loop::kMs * 1000) {}

  // The held connections first: every attempt ends (open or failed) within the connect timeout,
  // then the measurement starts.
  std::uint64_t start() override {
    fleet_.start();
    const std::uint64_t begun = loop::now_ns();
    while (!opened() && loop::now_ns() - begun < limit_ns_)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const load::CcCounts c = fleet_.total().counts;
    opened_in_s_ = loop::seconds_from_ns(loop::now_ns() - begun);
    if (c.attempts.completed < count_)
      fmt::print(stderr, "warning: --hold: {} of {} held connections open ({} failed)\n",
                 stats::format_count(c.attempts.completed), stats::format_count(count_),
                 stats::format_count(c.attempts.error_total()));
    return load_->start();
  }

  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    load_->interval(t, seconds, j, line);
    const load::CcCounts c = ranks::sum(ranks::world(), fleet_.total()).counts;
    j["held"] = {{"open", c.open}, {"failed", c.attempts.error_total()}, {"lost", c.lost}};
    line += fmt::format("  held {}", stats::format_count(c.open));
  }

  std::uint64_t stop(StopSignals& signals, bool signalled) override {
    const std::uint64_t end = load_->stop(signals, signalled);
    held_ = ranks::sum(ranks::world(), fleet_.total()).counts;  // before they are closed
    fleet_.stop();
    fleet_.join();
    return end;
  }

  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
    j["held"] = held_json(held_);
    j["held"]["opened_in_s"] = opened_in_s_;
    text += fmt::format(
        "held connections: {} open at the end of {} (opened in {:.2f} s), {} failed, {} lost, "
        "{} keepalives\n",
        stats::format_count(held_.open), stats::format_count(count_), opened_in_s_,
        stats::format_count(held_.attempts.error_total()), stats::format_count(held_.lost),
        stats::format_count(held_.keepalives));
  }

 private:
  bool opened() const {
    const load::CcCounts c = fleet_.total().counts;
    return c.attempts.completed + c.attempts.error_total() >= count_;
  }

  load::CcFleet fleet_;
  std::uint64_t count_;
  std::uint64_t limit_ns_;
  double opened_in_s_ = 0;
  load::CcCounts held_;
};

}  // namespace

std::unique_ptr<Job> with_held_load(std::unique_ptr<Job> job, const load::CrrSpec& load,
                                    const HoldSpec& hold) {
  if (hold.count == 0) return job;
  return std::make_unique<HeldLoadJob>(std::move(job), load, hold);
}

}  // namespace connperf::run
