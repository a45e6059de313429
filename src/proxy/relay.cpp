// Bytes in and out of a session: reading both sockets into their relays (or a tunnel's pipes),
// writing heads and cleared bytes on, and the tunnel phase, where everything passes.
#include <algorithm>

#include "net/socket.h"
#include "proxy/worker.h"

namespace connperf::proxy {

bool ProxyWorker::read_client(std::uint32_t id) {
  Session& s = sessions_[id];
  if (!s.up.ready || s.up.eof) return false;
  if (s.phase == Phase::Closing) return drain_closing(id);
  if (s.phase == Phase::Tunnel && s.up.use_pipe()) return splice_in(id, s.up, s.client);
  if (s.up.room() == 0) return false;
  std::size_t len = 0;
  char* p = s.up.read_ptr(buffers_, len);
  const net::Result r = net::read_some(s.client, p, len);
  if (r.err == net::Err::WouldBlock) return s.up.ready = false;
  if (!r.ok()) return client_failed(id), true;
  s.last_active = loop::now_ns();
  if (s.phase == Phase::Head && s.up.buffered() == 0) s.head_since = s.last_active;
  if (r.value == 0) s.up.eof = true;
  s.up.end += static_cast<std::size_t>(r.value);
  return true;
}

bool ProxyWorker::read_upstream(std::uint32_t id) {
  Session& s = sessions_[id];
  if (s.upstream < 0 || s.phase == Phase::Connect || !s.down.ready || s.down.eof ||
      s.down.room() == 0)
    return false;
  if (s.phase == Phase::Tunnel && s.down.use_pipe()) return splice_in(id, s.down, s.upstream);
  std::size_t len = 0;
  char* p = s.down.read_ptr(buffers_, len);
  const net::Result r = net::read_some(s.upstream, p, len);
  if (r.err == net::Err::WouldBlock) return s.down.ready = false;
  s.last_active = loop::now_ns();
  if (!r.ok() || r.value == 0) {
    s.down.eof = true;
    s.upstream_failed = !r.ok();
    if (s.phase == Phase::Head) s.close_upstream();  // a kept connection the origin ended
    return true;
  }
  if (s.phase == Phase::Head) {  // nothing was asked: the connection cannot be trusted
    s.close_upstream();
    return true;
  }
  s.down.end += static_cast<std::size_t>(r.value);
  return true;
}

bool ProxyWorker::splice_in(std::uint32_t id, Relay& r, int from) {
  if (r.piped >= r.pipe_cap) return false;
  const net::Result res = net::splice_some(from, r.pipe_w.get(), r.pipe_cap - r.piped);
  if (res.err == net::Err::WouldBlock) {
    if (r.piped == 0) r.ready = false;
    return false;
  }
  Session& s = sessions_[id];
  s.last_active = loop::now_ns();
  if (!res.ok() && from == s.client) return client_failed(id), true;
  if (!res.ok() || res.value == 0) {
    r.eof = true;
    if (!res.ok()) s.upstream_failed = true;
    return true;
  }
  r.piped += static_cast<std::size_t>(res.value);
  return true;
}

Step ProxyWorker::splice_out(std::uint32_t id, Relay& r, int to, ProxyCount counter) {
  Session& s = sessions_[id];
  Step step = Step::Idle;
  while (r.piped > 0 && !r.blocked) {
    const net::Result res = net::splice_some(r.pipe_r.get(), to, r.piped);
    if (res.err == net::Err::WouldBlock) {
      r.blocked = true;
      break;
    }
    if (!res.ok()) {
      if (to == s.client) return client_failed(id), Step::Ended;
      stats_.add(ProxyCount::UpstreamResets);
      return abort_client(id), Step::Ended;
    }
    r.piped -= static_cast<std::size_t>(res.value);
    stats_.add(counter, static_cast<std::size_t>(res.value));
    s.last_active = loop::now_ns();
    step = Step::Moved;
  }
  return step;
}

Step ProxyWorker::flush_up(std::uint32_t id) {
  Session& s = sessions_[id];
  if (s.upstream < 0 || s.phase == Phase::Connect) return Step::Idle;
  Step step = Step::Idle;
  while (s.up.copy_pending() && !s.up.blocked) {
    const std::size_t hlen = s.up.head.size() - s.up.head_off;
    const net::Result r = net::send_two(s.upstream, s.up.head.data() + s.up.head_off, hlen,
                                        s.up.data.get() + s.up.start, s.up.pass);
    if (r.err == net::Err::WouldBlock) {
      s.up.blocked = true;
      break;
    }
    if (!r.ok()) {
      s.upstream_failed = true;
      if (s.phase != Phase::Tunnel) return upstream_ended(id), Step::Ended;
      stats_.add(ProxyCount::UpstreamResets);
      return abort_client(id), Step::Ended;
    }
    stats_.add(ProxyCount::BytesUp, static_cast<std::size_t>(r.value));
    s.up.sent(static_cast<std::size_t>(r.value));
    s.last_active = loop::now_ns();
    step = Step::Moved;
  }
  return step;
}

Step ProxyWorker::flush_down(std::uint32_t id) {
  Session& s = sessions_[id];
  Step step = Step::Idle;
  while (s.down.copy_pending() && !s.down.blocked) {
    const std::size_t hlen = s.down.head.size() - s.down.head_off;
    const net::Result r =
        net::send_two(s.client, s.down.head.data() + s.down.head_off, hlen,
                      s.down.data ? s.down.data.get() + s.down.start : nullptr, s.down.pass);
    if (r.err == net::Err::WouldBlock) {
      s.down.blocked = true;
      break;
    }
    if (!r.ok()) return client_failed(id), Step::Ended;
    stats_.add(ProxyCount::BytesDown, static_cast<std::size_t>(r.value));
    s.down.sent(static_cast<std::size_t>(r.value));
    s.last_active = loop::now_ns();
    step = Step::Moved;
  }
  return step;
}

bool ProxyWorker::tunnel(std::uint32_t id) {
  Session& s = sessions_[id];
  Step step = s.up.pass != s.up.buffered() || s.down.pass != s.down.buffered() ? Step::Moved
                                                                                : Step::Idle;
  s.up.pass = s.up.buffered();
  s.down.pass = s.down.buffered();
  if (!go_on(step, flush_up(id)) || !go_on(step, flush_down(id)) ||
      !go_on(step, splice_out(id, s.up, s.upstream, ProxyCount::BytesUp)) ||
      !go_on(step, splice_out(id, s.down, s.client, ProxyCount::BytesDown)))
    return true;
  if (s.upstream_failed) {  // the client learns it too: a reset, not a clean end (no FIN first)
    stats_.add(ProxyCount::UpstreamResets);
    return abort_client(id), true;
  }
  if (s.up.eof && !s.up.out_pending() && !s.up.shut) {
    s.up.shut = true;
    (void)net::shutdown_write(s.upstream);
    step = Step::Moved;
  }
  if (s.down.eof && !s.down.out_pending() && !s.down.shut) {
    s.down.shut = true;
    (void)net::shutdown_write(s.client);
    step = Step::Moved;
  }
  if (s.up.shut && s.down.shut) return close_session(id), true;
  return step != Step::Idle;
}

}  // namespace connperf::proxy
