#include "proxy/session.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace connperf::proxy {

const char* to_string(Phase p) noexcept {
  static constexpr const char* kNames[] = {"head",     "lookup", "connect",
                                           "exchange", "tunnel", "closing"};
  return kNames[static_cast<int>(p)];
}

char* Relay::read_ptr(BufferPool& buffers, std::size_t& len) {
  if (!data) data = buffers.take();
  if (end == cap && start > 0) {
    std::memmove(data.get(), data.get() + start, end - start);
    end -= start;
    start = 0;
  }
  len = cap - end;
  return data.get() + end;
}

void Relay::sent(std::size_t n) noexcept {
  const std::size_t h = std::min(n, head.size() - head_off);
  head_off += h;
  pass -= n - h;
  drop(n - h);
}

void Relay::release(BufferPool& buffers) noexcept {
  if (!data || buffered() > 0) return;
  buffers.give(std::move(data));
  start = end = pass = 0;
}

void Relay::open_pipe(std::size_t size) noexcept {
  const net::Result res = net::open_pipe(pipe_r, pipe_w, size);
  pipe_cap = res.ok() ? static_cast<std::size_t>(res.value) : 0;
  if (pipe_cap == 0) pipe_r.reset(), pipe_w.reset();
}

void Session::close_upstream() noexcept {
  if (upstream >= 0) ::close(upstream);
  detach_upstream();
}

void Session::detach_upstream() noexcept {
  upstream = -1;
  ++up_gen;
  down.eof = false;
  down.ready = false;
  upstream_failed = false;
  up.blocked = false;
}

}  // namespace connperf::proxy
