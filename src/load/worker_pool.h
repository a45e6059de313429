// The thread machinery the load engines share: N workers, each running its own event loop on its
// own thread, released together from a latch; a run phase (running, draining, stopping) that
// workers read when woken; the end time when the last worker finished; and the sums of their
// counters. Engines derive from it with their worker type; everything but the workers' own
// loops is called from the command's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "loop/event_loop.h"
#include "stats/client_stats.h"

namespace connperf::load {

// Worker needs: run(std::latch& ready, std::latch& go, const std::uint64_t& t0), wake(),
// stats() -> const stats::ClientStats&, aborted() -> std::uint64_t. The members that touch
// workers are defined in load/worker_pool_impl.h and instantiated next to each worker type.
template <typename Worker>
class WorkerPool {
 public:
  enum Phase : int { kRunning, kDraining, kStopping };

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Spawns the workers and releases them together; returns the common start time.
  std::uint64_t start();
  void drain() noexcept;  // no new work; what is in flight may finish
  void stop() noexcept;   // at once: what is in flight becomes `aborted`
  void join();

  bool finished() const noexcept { return running_.load() == 0; }
  std::uint64_t stopped_at() const noexcept { return stopped_at_.load(); }  // last worker done
  int phase() const noexcept { return phase_.load(); }

  void snapshot(stats::ClientSnapshot& out) const;  // the sum over workers
  std::uint64_t aborted() const noexcept;            // valid after join()

  // Called by each worker as its loop ends.
  void worker_done(std::uint64_t now) noexcept {
    if (running_.fetch_sub(1) == 1) stopped_at_.store(now);
  }

 protected:
  WorkerPool() = default;
  ~WorkerPool() {
    stop();
    join();
  }

  std::vector<std::unique_ptr<Worker>> workers_;

 private:
  std::vector<std::thread> threads_;
  std::unique_ptr<std::latch> ready_;
  std::unique_ptr<std::latch> go_;
  std::uint64_t t0_ = 0;  // written before go_ opens; workers read it after
  std::atomic<int> phase_{kRunning};
  std::atomic<unsigned> running_{0};
  std::atomic<std::uint64_t> stopped_at_{0};
};

}  // namespace connperf::load
