// loop::WorkerPool (one start for all workers, the run phase reaching each worker through
// wake(), the finish time, sums) and loop::share.
#include "loop/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../../poll_until.h"
#include "loop/cpus.h"
#include "loop/event_loop.h"
#include "loop/worker_pool_impl.h"

namespace connperf::loop {
namespace {

using namespace std::chrono_literals;
using test::poll_until;

class PoolWorker;
using Pool = WorkerPool<PoolWorker>;

// A worker like the engines' (an event loop on its own thread, reading the pool's phase when
// woken) that records what it saw. Draining: it finishes its "in-flight work" `drain_ns` later.
// Stopping: it ends at once.
class PoolWorker final : public Handler {
 public:
  struct Options {
    std::uint64_t value = 0;
    std::uint64_t drain_ns = 5 * kMs;
    bool ends_by_itself = false;          // run() returns without waiting for a phase
    std::atomic<int>* stopped = nullptr;  // counts Stopping seen, past the worker's life
  };

  PoolWorker(const Pool& pool, Options options) : pool_(pool), opt_(options) {}

  void run(std::uint64_t t0) {
    t0_seen = t0;
    entered = now_ns();
    thread = std::this_thread::get_id();
    cpus = allowed_cpus();
    if (!opt_.ends_by_itself) loop_.run(*this);
    left = now_ns();
  }
  void wake() noexcept { loop_.wake(); }

  void on_io(Token, std::uint32_t) override {}
  void on_deadline(std::uint64_t) override { loop_.stop(); }  // the in-flight work is done
  void on_wake() override {
    const Phase phase = pool_.phase();
    phases.push_back(phase);
    if (phase == Phase::Stopping) {
      if (opt_.stopped) ++*opt_.stopped;
      return loop_.stop();
    }
    if (phase == Phase::Draining) {
      saw_draining = true;
      loop_.set_deadline(now_ns() + opt_.drain_ns);
    }
  }

  std::uint64_t value() const { return opt_.value; }

  std::uint64_t t0_seen = 0, entered = 0, left = 0;
  std::thread::id thread;
  std::vector<unsigned> cpus;  // where the worker's thread may run, as it ran
  std::vector<Phase> phases;
  std::atomic<bool> saw_draining{false};

 private:
  const Pool& pool_;
  Options opt_;
  EventLoop loop_;
};

void fill(Pool& pool, std::size_t n, PoolWorker::Options options = {}) {
  for (std::size_t i = 0; i < n; ++i) {
    options.value = i + 1;
    pool.add(std::make_unique<PoolWorker>(pool, options));
  }
}

std::uint64_t last_left(const Pool& pool) {
  std::uint64_t last = 0;
  pool.each([&](const PoolWorker& w) { last = std::max(last, w.left); });
  return last;
}

TEST(LoopWorkerPool, StartReleasesAllWorkersTogetherWithOneT0) {
  Pool pool;
  fill(pool, 4);
  const std::uint64_t before = now_ns();
  const std::uint64_t t0 = pool.start();
  EXPECT_GE(t0, before);
  pool.stop();
  pool.join();
  std::set<std::thread::id> threads;
  pool.each([&](const PoolWorker& w) {
    EXPECT_EQ(w.t0_seen, t0) << "every worker gets the one start time";
    EXPECT_GE(w.entered, t0) << "no worker starts before the release";
    EXPECT_NE(w.thread, std::this_thread::get_id());
    threads.insert(w.thread);
  });
  EXPECT_EQ(threads.size(), 4u) << "one thread per worker";
}

TEST(LoopWorkerPool, PinPutsWorkerIOnTheListsCpuIModuloItsSize) {
  const std::vector<unsigned> allowed = allowed_cpus();
  const std::vector<unsigned> list{allowed.back(), allowed.front()};
  Pool pool;
  fill(pool, 3);
  pool.pin(list);
  pool.start();
  pool.stop();
  pool.join();
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(pool.worker(i).cpus, std::vector<unsigned>{list[i % 2]}) << "worker " << i;
  EXPECT_EQ(allowed_cpus(), allowed) << "the command's thread stays where it was";
}

TEST(LoopWorkerPool, WithoutPinWorkersRunAnywhereAllowed) {
  Pool pool;
  fill(pool, 2);
  pool.start();
  pool.stop();
  pool.join();
  pool.each([](const PoolWorker& w) { EXPECT_EQ(w.cpus, allowed_cpus()); });
}

TEST(LoopWorkerPool, NothingIsFinishedWhileWorkersRun) {
  Pool pool;
  fill(pool, 2);
  const std::uint64_t t0 = pool.start();
  EXPECT_EQ(pool.phase(), Phase::Running);
  EXPECT_FALSE(pool.finished());
  EXPECT_EQ(pool.stopped_at(), 0u);
  pool.stop();
  pool.join();
  EXPECT_TRUE(pool.finished());
  EXPECT_GE(pool.stopped_at(), t0);
  EXPECT_GE(pool.stopped_at(), last_left(pool)) << "stopped_at is when the last worker ended";
}

TEST(LoopWorkerPool, DrainReachesEveryWorkerThroughWake) {
  Pool pool;
  fill(pool, 3);
  const std::uint64_t t0 = pool.start();
  pool.drain();
  EXPECT_EQ(pool.phase(), Phase::Draining);
  // Each worker ends once its in-flight work is done. (Not join(): a worker the drain never
  // reached would hang it; the pool's destructor stops such a worker after the failure.)
  ASSERT_TRUE(poll_until([&] { return pool.finished(); }, 1s)) << "the drain missed a worker";
  pool.join();
  EXPECT_TRUE(pool.finished());
  EXPECT_EQ(pool.phase(), Phase::Draining);
  pool.each([&](const PoolWorker& w) {
    EXPECT_EQ(w.phases, std::vector<Phase>{Phase::Draining});
    EXPECT_GE(w.left, t0 + 5 * kMs) << "it finished its in-flight work first";
  });
  EXPECT_GE(pool.stopped_at(), last_left(pool));
}

TEST(LoopWorkerPool, StopAfterDrainCutsTheInFlightWorkOff) {
  Pool pool;
  fill(pool, 3, {.drain_ns = 30 * kSec});
  pool.start();
  pool.drain();
  ASSERT_TRUE(poll_until(
      [&] {
        bool all = true;
        pool.each([&](const PoolWorker& w) { all = all && w.saw_draining; });
        return all;
      },
      1s));
  const auto t = std::chrono::steady_clock::now();
  pool.stop();
  pool.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t, 1s) << "stop waited for the drain";
  EXPECT_EQ(pool.phase(), Phase::Stopping);
  pool.each([&](const PoolWorker& w) {
    EXPECT_EQ(w.phases, (std::vector<Phase>{Phase::Draining, Phase::Stopping}));
  });
}

TEST(LoopWorkerPool, PhasesOnlyMoveForward) {
  Pool pool;
  fill(pool, 1);
  pool.start();
  pool.stop();
  pool.stop();
  pool.drain();  // too late: stopping stays stopping
  EXPECT_EQ(pool.phase(), Phase::Stopping);
  pool.join();
  pool.each([&](const PoolWorker& w) {
    ASSERT_FALSE(w.phases.empty());
    for (const Phase p : w.phases) EXPECT_EQ(p, Phase::Stopping);
  });
}

TEST(LoopWorkerPool, WorkersThatEndByThemselvesFinishThePool) {
  Pool pool;
  fill(pool, 3, {.ends_by_itself = true});
  const std::uint64_t t0 = pool.start();
  ASSERT_TRUE(poll_until([&] { return pool.finished(); }, 1s));
  EXPECT_GE(pool.stopped_at(), t0);
  EXPECT_EQ(pool.phase(), Phase::Running);
  pool.join();
  EXPECT_GE(pool.stopped_at(), last_left(pool));
}

TEST(LoopWorkerPool, TheDestructorStopsAndJoins) {
  std::atomic<int> stopped{0};
  {
    Pool pool;
    fill(pool, 3, {.stopped = &stopped});
    pool.start();
  }
  EXPECT_EQ(stopped.load(), 3);
}

TEST(LoopWorkerPool, SumAndEachGoOverEveryWorkerInOrder) {
  Pool pool;
  fill(pool, 4);
  EXPECT_EQ(pool.size(), 4u);
  EXPECT_EQ(pool.worker(2).value(), 3u);
  EXPECT_EQ(pool.sum<std::uint64_t>([](const PoolWorker& w) { return w.value(); }), 10u);
  const auto half = [](const PoolWorker& w) { return 0.5 * static_cast<double>(w.value()); };
  EXPECT_DOUBLE_EQ(pool.sum<double>(half), 5.0);
  std::vector<std::uint64_t> order;
  pool.each([&](const PoolWorker& w) { order.push_back(w.value()); });
  EXPECT_EQ(order, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  Pool empty;
  EXPECT_EQ(empty.sum<std::uint64_t>([](const PoolWorker& w) { return w.value(); }), 0u);
}

TEST(LoopWorkerPool, PhaseNames) {
  EXPECT_STREQ(to_string(Phase::Running), "running");
  EXPECT_STREQ(to_string(Phase::Draining), "draining");
  EXPECT_STREQ(to_string(Phase::Stopping), "stopping");
}

// --- share ---------------------------------------------------------------------------------

static_assert(share(10, 3, 0) == 4 && share(10, 3, 1) == 3 && share(10, 3, 2) == 3);

TEST(LoopShare, TheFirstPartsGetTheRemainder) {
  EXPECT_EQ(share(10, 3, 0), 4u);
  EXPECT_EQ(share(10, 3, 1), 3u);
  EXPECT_EQ(share(10, 3, 2), 3u);
  EXPECT_EQ(share(2, 5, 0), 1u);
  EXPECT_EQ(share(2, 5, 1), 1u);
  EXPECT_EQ(share(2, 5, 2), 0u);
  EXPECT_EQ(share(0, 4, 3), 0u);
  EXPECT_EQ(share(7, 1, 0), 7u);
}

TEST(LoopShare, PartsAddUpAndDifferByAtMostOne) {
  for (const std::uint64_t total :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{99}, std::uint64_t{1000},
        std::uint64_t{15'000}, std::uint64_t{10'000'007}, std::uint64_t{1} << 40})
    for (const unsigned parts : {1u, 2u, 3u, 7u, 16u, 64u, 1000u}) {
      std::uint64_t sum = 0, lo = ~std::uint64_t{0}, hi = 0, prev = ~std::uint64_t{0};
      for (unsigned i = 0; i < parts; ++i) {
        const std::uint64_t s = share(total, parts, i);
        EXPECT_LE(s, prev) << total << "/" << parts << " part " << i << ": the first get more";
        prev = s;
        sum += s;
        lo = std::min(lo, s);
        hi = std::max(hi, s);
      }
      EXPECT_EQ(sum, total) << total << "/" << parts;
      EXPECT_LE(hi - lo, 1u) << total << "/" << parts;
    }
}

}  // namespace
}  // namespace connperf::loop
