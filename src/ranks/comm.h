// The one place that knows a run may be one of many processes started by an MPI launcher
// (mpirun): this process's rank, and the few collective steps the run/report loop needs. A plain
// run gets a one-process Comm and never loads or initializes MPI. Command's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace connperf::ranks {

class Comm {
 public:
  virtual ~Comm() = default;
  virtual unsigned rank() const noexcept = 0;
  virtual unsigned size() const noexcept = 0;
  virtual const std::string& host() const noexcept = 0;
  virtual void barrier() = 0;
  // Element-wise over every rank, in place; every rank gets the result.
  virtual void sum(std::span<std::uint64_t> values) = 0;
  virtual void min(std::span<std::uint64_t> values) = 0;
  virtual void max(std::span<std::uint64_t> values) = 0;
  // Rank 0 gets every rank's row in rank order; the others get nothing.
  virtual std::vector<std::string> gather(const std::string& row) = 0;
  // Ends the whole job now (a rank failed where the others cannot learn of it).
  [[noreturn]] virtual void abort(int code) = 0;
};

// The name of the first launcher variable set (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK), or ""
// when none is: then this process was not started by an MPI launcher.
std::string launcher_variable(const std::function<const char*(const char*)>& getenv);

// This process's Comm: one process unless join_job() joined an MPI job.
Comm& world();

// Under an MPI launcher: loads the MPI module next to the binary and initializes MPI, making
// world() the job's. Returns false when not launched. Throws std::runtime_error when launched
// but this build has no MPI (or it cannot start). Blocks SIGINT and SIGTERM first, so MPI's own
// threads leave them to the run's StopSignals.
bool join_job();
// Finalizes MPI when join_job() initialized it.
void leave_job() noexcept;

}  // namespace connperf::ranks
