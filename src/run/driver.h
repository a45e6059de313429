// The one driver of every run that lasts a while: banner, a line and a JSON object per interval,
// the end of the run (by itself, -d, or Ctrl-C), the last short interval, the summary, the result
// document and the exit code. A subcommand describes its run as a Job and a Plan; the driver
// wraps the job in what the settings ask for (kernel counters; MPI ranks under a launcher).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "diag/tcp_mib.h"
#include "run/job.h"
#include "run/output.h"

namespace connperf::run {

struct Plan {
  std::string command;
  nlohmann::json config;
  std::string banner;     // printed before the run unless -q; ends with the column header
  double duration = 0;    // seconds; 0 = until reached_end() or a signal
  OutputSettings out;
  nlohmann::json first_interval = nullptr;  // a sample taken before the run (states --watch)
};

// Under MPI (ranks::world() of more than one rank) every rank runs this together: they start from
// a barrier, agree each step (a signal on any rank stops all; the count ends when every rank is
// done; rank 0's clock ticks and ends -d), the Job reduces its figures, and rank 0 alone prints
// and writes the document, with `ranks` and `summary.per_rank[]`. Returns the exit code.
int drive(Job& job, const Plan& plan, StopSignals& signals);

// --kernel-counters: what the namespace's TCP counters did over an interval or a step (`delta`),
// in its JSON object ("kernel") and at the end of its line.
void add_kernel_delta(const diag::TcpMib& delta, nlohmann::json& j, std::string& line);

// A run ready to start: what `lab run` and --server-stats wrap before it starts.
struct Prepared {
  std::unique_ptr<Job> job;
  Plan plan;
};

// prepare() then drive(). Under MPI every rank prepares its part and they agree first: a rank that
// cannot start ends the job (rank 0 names it); an error during the run ends the job.
int run_prepared(const std::function<Prepared()>& prepare, StopSignals& signals);

}  // namespace connperf::run
