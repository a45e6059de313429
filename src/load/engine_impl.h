// LoadEngine's members that need the worker type complete (see load/engine.h).
#pragma once

#include "load/engine.h"
#include "loop/worker_pool_impl.h"

namespace connperf::load {

template <typename Worker>
void LoadEngine<Worker>::snapshot(stats::ClientSnapshot& out) const {
  out = this->template sum<stats::ClientSnapshot>([](const Worker& w) {
    stats::ClientSnapshot one;
    w.stats().snapshot(one);
    return one;
  });
}

template <typename Worker>
std::uint64_t LoadEngine<Worker>::aborted() const noexcept {
  return this->template sum<std::uint64_t>([](const Worker& w) { return w.aborted(); });
}

template <typename Worker>
stats::TlsNames LoadEngine<Worker>::tls_names() const {
  stats::TlsNames names;
  this->each([&names](const Worker& w) {
    if (names.version.empty()) names = w.tls_names();
  });
  return names;
}

}  // namespace connperf::load
