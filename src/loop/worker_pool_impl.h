// WorkerPool's members that need the worker type complete; included by the engine that
// instantiates it (`template class loop::WorkerPool<CrrWorker>;`).
#pragma once

#include "loop/cpus.h"
#include "loop/event_loop.h"
#include "loop/worker_pool.h"

namespace connperf::loop {

template <typename Worker>
WorkerPool<Worker>::~WorkerPool() {
  stop();
  join();
}

template <typename Worker>
Worker& WorkerPool<Worker>::add(std::unique_ptr<Worker> worker) {
  workers_.push_back(std::move(worker));
  return *workers_.back();
}

template <typename Worker>
std::uint64_t WorkerPool<Worker>::start() {
  ready_ = std::make_unique<std::latch>(static_cast<std::ptrdiff_t>(workers_.size()));
  go_ = std::make_unique<std::latch>(1);
  running_ = static_cast<unsigned>(workers_.size());
  for (std::size_t i = 0; i < workers_.size(); ++i)
    threads_.emplace_back([this, i, &w = workers_[i]] {
      if (!cpus_.empty()) pin_this_thread(cpus_[i % cpus_.size()]);
      ready_->count_down();
      go_->wait();
      w->run(t0_);
      if (running_.fetch_sub(1) == 1) stopped_at_.store(now_ns());
    });
  ready_->wait();
  t0_ = now_ns();
  go_->count_down();
  return t0_;
}

template <typename Worker>
void WorkerPool<Worker>::drain() noexcept {
  Phase expected = Phase::Running;
  if (phase_.compare_exchange_strong(expected, Phase::Draining))
    for (auto& w : workers_) w->wake();
}

template <typename Worker>
void WorkerPool<Worker>::stop() noexcept {
  if (phase_.exchange(Phase::Stopping) == Phase::Stopping) return;
  for (auto& w : workers_) w->wake();
}

template <typename Worker>
void WorkerPool<Worker>::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace connperf::loop
