// What the load engines (crr, rr, cc) share on top of the worker lifecycle: the sum of their
// workers' client counters and of the work cut off at the end. Command's thread.
#pragma once

#include <cstdint>

#include "loop/clock.h"
#include "loop/worker_pool.h"
#include "stats/client_stats.h"
#include "stats/printers.h"

namespace connperf::load {

using loop::kMs;
using loop::share;

// Worker needs, besides loop::WorkerPool's: stats() -> const stats::ClientStats&, and
// aborted() -> std::uint64_t (work in flight when it stopped; valid after join()) and
// tls_names() -> const stats::TlsNames& (its first handshake's; valid after join()). Members are
// defined in load/engine_impl.h, instantiated next to each worker type like the pool's.
template <typename Worker>
class LoadEngine : public loop::WorkerPool<Worker> {
 public:
  void snapshot(stats::ClientSnapshot& out) const;  // the sum over workers
  std::uint64_t aborted() const noexcept;            // valid after join()
  // --tls: what the first completed handshake negotiated (empty when none did). After join().
  stats::TlsNames tls_names() const;
};

}  // namespace connperf::load
