// cc's supervision: the connections of one `connperf cc` run split over P worker processes (each
// has its own open-file limit), or run on one thread of this process when P is 1. Each worker
// runs a CcEngine over its share: it ramps, holds for `hold` once every attempt ended, and
// publishes its counts in shared memory, which total() sums. Command's thread; engines do not
// print, so a worker process that ended early is reported through take_notes().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "load/cc.h"
#include "stats/printers.h"

namespace connperf::load {

struct CcTotals {
  CcCounts counts;
  std::uint64_t aborted = 0;
  std::uint64_t reached_ns = 0;  // when the last worker had all its connections open
  bool all_reached = false;
  stats::TlsNames tls_names;     // --tls: the first handshake's of the first worker that had one
};

struct CcSlot;  // one worker's counts, in shared memory

class CcFleet {
 public:
  // Throws std::runtime_error when the shared memory cannot be mapped.
  CcFleet(const CcSpec& spec, unsigned processes, std::uint64_t hold_ns);
  ~CcFleet();
  CcFleet(const CcFleet&) = delete;
  CcFleet& operator=(const CcFleet&) = delete;

  // The spec of worker i: its share of the connections, the ramp and the source addresses.
  static CcSpec share_of(const CcSpec& spec, unsigned processes, unsigned i);

  void start();  // throws std::runtime_error when a worker process cannot be forked
  bool done();   // every worker ended (a worker process that died counts, with a note)
  void stop() noexcept;  // end the hold now
  void kill() noexcept;  // worker processes still running: at once (SIGKILL)
  void join();           // reaps every worker
  CcTotals total() const;
  std::vector<std::string> take_notes();

 private:
  CcSpec spec_;
  unsigned processes_;
  std::uint64_t hold_ns_;
  CcSlot* slots_ = nullptr;
  std::vector<pid_t> children_;
  std::vector<char> reaped_;
  std::thread thread_;  // processes == 1
  std::vector<std::string> notes_;
};

}  // namespace connperf::load
