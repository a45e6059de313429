// WorkerPool's members that need the worker type complete; included by the engine that
// instantiates it (`template class WorkerPool<CrrWorker>;`).
#pragma once

#include "load/worker_pool.h"

namespace connperf::load {

template <typename Worker>
std::uint64_t WorkerPool<Worker>::start() {
  ready_ = std::make_unique<std::latch>(static_cast<std::ptrdiff_t>(workers_.size()));
  go_ = std::make_unique<std::latch>(1);
  running_ = static_cast<unsigned>(workers_.size());
  for (auto& w : workers_) threads_.emplace_back([this, &w] { w->run(*ready_, *go_, t0_); });
  ready_->wait();
  t0_ = loop::now_ns();
  go_->count_down();
  return t0_;
}

template <typename Worker>
void WorkerPool<Worker>::drain() noexcept {
  int expected = kRunning;
  if (phase_.compare_exchange_strong(expected, kDraining))
    for (auto& w : workers_) w->wake();
}

template <typename Worker>
void WorkerPool<Worker>::stop() noexcept {
  if (phase_.exchange(kStopping) == kStopping) return;
  for (auto& w : workers_) w->wake();
}

template <typename Worker>
void WorkerPool<Worker>::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

template <typename Worker>
void WorkerPool<Worker>::snapshot(stats::ClientSnapshot& out) const {
  out = stats::ClientSnapshot{};
  stats::ClientSnapshot one;
  for (const auto& w : workers_) {
    w->stats().snapshot(one);
    out += one;
  }
}

template <typename Worker>
std::uint64_t WorkerPool<Worker>::aborted() const noexcept {
  std::uint64_t n = 0;
  for (const auto& w : workers_) n += w->aborted();
  return n;
}

}  // namespace connperf::load
