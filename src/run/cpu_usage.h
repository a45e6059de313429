// Every driven run's own CPU time and the host's busy share (diag/cpu_time.h): read on the
// reporting thread when the run starts, at every tick and at the summary, never on a worker's
// path. Intervals get `cpu` {user_s, sys_s} and `host_cpu` {busy_pct, steal_pct}; the summary
// gets the run's totals, the share of the CPUs the run could use, CPU µs per connection or per
// request, and a warning when that share says the process itself may have been the limit.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "diag/cpu_time.h"
#include "ranks/comm.h"
#include "run/job.h"

namespace connperf::run {

// At or above this share of its usable CPUs' time, a run warns that it may be the limit.
inline constexpr double kSaturatedPct = 95;

// How many CPUs the run described by `config` (its result document's config) could keep busy:
// its workers (threads × processes; the blocking server models: unbounded) and no more than its
// --cpus, else the CPUs this process may run on.
unsigned usable_cpus(const nlohmann::json& config);

// A CPU time difference as intervals and steps carry it, {"user_s","sys_s"}; with `units` of
// work done in it, also the µs per unit under the command's name for it ("us_per_connection":
// crr, cc, server; "us_per_request": rr, proxy).
nlohmann::json cpu_json(const diag::CpuTime& d, std::uint64_t units = 0,
                        std::string_view command = {});

// The summary's warning line when a run used `pct`% of its `usable` CPUs: the generator (crr, rr,
// cc) or this server or proxy may be the limit.
std::string limit_warning(const std::string& command, double pct, unsigned usable);

// Under MPI (`comm` of more than one rank) the CPU time is the ranks' sum, as the job's counts
// are, and the usable CPUs every rank's; the host's shares stay this rank's host.
class CpuUsageJob final : public JobDecorator {
 public:
  // `command` and `config`: the plan's (what a unit of work is, how many CPUs it could use).
  CpuUsageJob(Job& inner, std::string command, const nlohmann::json& config, ranks::Comm& comm);
  std::uint64_t start() override;
  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override;
  void summary(double elapsed, std::string& text, nlohmann::json& j) override;
  nlohmann::json rank_row(double elapsed) override;

 private:
  diag::CpuTime over_ranks(const diag::CpuTime& mine);
  ranks::Comm& comm_;
  std::string command_;
  unsigned usable_;
  std::uint64_t t0_ = 0;
  diag::CpuTime first_cpu_, last_cpu_;
  std::optional<diag::HostCpu> first_host_, last_host_;
};

}  // namespace connperf::run
