#include "run/states_job.h"

#include <system_error>

#include <fmt/format.h>

#include "diag/states_report.h"
#include "loop/clock.h"
#include "run/driver.h"
#include "run/errors.h"

namespace connperf::run {

namespace {

diag::StateCounts count_or_throw(const diag::StateFilter& f) {
  try {
    return diag::count_tcp_states(f);
  } catch (const std::system_error& e) {
    throw RunError(std::string("sock_diag: ") + e.what());
  }
}

// --watch: a line of counts every interval until -d or Ctrl-C.
class WatchJob final : public Job {
 public:
  explicit WatchJob(const diag::StateFilter& f) : filter_(f), last_(count_or_throw(f)) {}
  const diag::StateCounts& last() const noexcept { return last_; }

  std::uint64_t start() override { return loop::now_ns(); }
  void interval(double t, double, nlohmann::json& j, std::string& line) override {
    last_ = count_or_throw(filter_);
    j = {{"t", t}, {"states", diag::states_json(last_)}};
    line = diag::states_line(t, last_);
  }
  std::uint64_t stop(StopSignals&, bool) override { return loop::now_ns(); }
  bool reports_last_interval() const override { return false; }
  void summary(double, std::string&, nlohmann::json& j) override {
    j = {{"states", diag::states_json(last_)}, {"total", last_.total()}};
  }

 private:
  diag::StateFilter filter_;
  diag::StateCounts last_;
};

}  // namespace

int show_states(const diag::StateFilter& filter, const std::string& scope,
                const nlohmann::json& config, const OutputSettings& settings) {
  WatchJob job(filter);
  Output out(settings, "states", config);
  out.text(diag::states_block(job.last(), scope));
  std::string none;
  job.summary(0, none, out.document()["summary"]);
  out.end();
  return kOk;
}

int watch_states(const diag::StateFilter& filter, const std::string& scope,
                 const nlohmann::json& config, double duration, const OutputSettings& out,
                 loop::StopSignals& signals) {
  WatchJob job(filter);
  // The first line (t = 0) is part of the banner; the JSON has it as the first interval.
  std::string banner = fmt::format("TCP sockets {}\n{}\n{}\n", scope, diag::states_header(),
                                   diag::states_line(0, job.last()));
  nlohmann::json first = {{"t", 0.0}, {"states", diag::states_json(job.last())}};
  return drive(job, {"states", config, std::move(banner), duration, out, std::move(first)},
               signals);
}

}  // namespace connperf::run
