// The one worker lifecycle every engine uses (crr, rr, cc, server, proxy): N workers, each running
// its own event loop on its own thread, released together from a latch; a run phase (running,
// draining, stopping) that workers read when woken; the time the last worker finished; and sums
// over the workers. Everything but the workers' own loops is called from the command's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

namespace connperf::loop {

// Running: work goes on. Draining: no new work; what is in flight may finish. Stopping: end
// now; what is in flight is cut off.
enum class Phase : int { Running, Draining, Stopping };
const char* to_string(Phase phase) noexcept;

// Part `index` of `total` split over `parts` as evenly as possible (the first ones get one more).
constexpr std::uint64_t share(std::uint64_t total, unsigned parts, unsigned index) noexcept {
  return total / parts + (index < total % parts ? 1 : 0);
}

// Worker needs: void run(std::uint64_t t0) (its loop, on its own thread, until the worker is
// done; t0 is the common start) and void wake() noexcept (any thread: look at phase()). The
// members that touch workers are defined in loop/worker_pool_impl.h and instantiated next to
// each worker type (`template class loop::WorkerPool<CrrWorker>;`).
template <typename Worker>
class WorkerPool {
 public:
  WorkerPool() = default;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // stops and joins

  Worker& add(std::unique_ptr<Worker> worker);  // before start()
  // --cpus: worker i pins its thread to cpus[i % size] as it starts; empty = anywhere. The list
  // was checked (loop/cpus.h); a CPU the kernel refuses leaves that worker unpinned.
  void pin(std::vector<unsigned> cpus) { cpus_ = std::move(cpus); }
  std::size_t size() const noexcept { return workers_.size(); }
  Worker& worker(std::size_t i) noexcept { return *workers_[i]; }  // before start()

  // Spawns the workers and releases them together; returns the common start time.
  std::uint64_t start();
  void drain() noexcept;  // no new work; what is in flight may finish
  void stop() noexcept;   // at once
  void join();

  bool finished() const noexcept { return running_.load() == 0; }
  std::uint64_t stopped_at() const noexcept { return stopped_at_.load(); }  // last worker done
  Phase phase() const noexcept { return phase_.load(); }

  // f(const Worker&) for each worker, in order.
  template <typename F>
  void each(F&& f) const {
    for (const auto& w : workers_) f(*w);
  }
  // The sum of f(const Worker&) over the workers.
  template <typename T, typename F>
  T sum(F&& f) const {
    T total{};
    for (const auto& w : workers_) total += f(*w);
    return total;
  }

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<unsigned> cpus_;
  std::unique_ptr<std::latch> ready_;
  std::unique_ptr<std::latch> go_;
  std::uint64_t t0_ = 0;  // written before go_ opens; workers read it after
  std::atomic<Phase> phase_{Phase::Running};
  std::atomic<unsigned> running_{0};
  std::atomic<std::uint64_t> stopped_at_{0};
};

}  // namespace connperf::loop
