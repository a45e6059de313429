// The worker's loop side: accepting, reading and writing both relays, the loop pass that drives a
// session, closing, timeouts and relay buffers. The HTTP and tunnel phases are in exchange.cpp.
#include "proxy/worker.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

#include "net/socket.h"
#include "proto/text.h"
#include "proxy/rewrite.h"

namespace connperf::proxy {

void ProxyWorker::run(std::uint64_t /*t0*/) {
  acceptor_.start();
  loop_.set_deadline(loop::now_ns() + sweep_ns_);
  if (proxy_.pool_.phase() != loop::Phase::Stopping) loop_.run(*this);
  acceptor_.close_all();
  for (std::uint32_t id = 0; id < sessions_.size(); ++id)
    if (sessions_[id].open) close_session(id);
  pool_expire(UINT64_MAX);
}

void ProxyWorker::on_io(loop::Token token, std::uint32_t events) {
  if (token.kind == kListenerKind) return accept_burst(token.slot);
  if (token.kind == kPoolKind) return pool_drop(static_cast<int>(token.slot));
  const std::uint32_t id = token.slot;
  const std::uint32_t gen = token.gen;
  if (id >= sessions_.size()) return;
  Session& s = sessions_[id];
  if (!s.open) return;
  constexpr std::uint32_t kReadable = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
  if (token.kind == kUpstreamKind) {
    if (s.up_gen != gen || s.upstream < 0) return;
    if (s.phase == Phase::Connect) {
      finish_connect(id);
    } else {
      if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) s.up.blocked = false;
      if (events & kReadable) s.down.ready = true;
    }
  } else {
    if (s.gen != gen) return;
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) s.down.blocked = false;
    if (events & kReadable) s.up.ready = true;
  }
  if (sessions_[id].open) advance(id);
}

void ProxyWorker::on_deadline(std::uint64_t now) {
  acceptor_.tick(now);
  for (std::uint32_t id = 0; id < sessions_.size(); ++id)
    if (sessions_[id].open) check_timeout(id, now);
  pool_expire(now);
  loop_.set_deadline(now + sweep_ns_);
}

void ProxyWorker::on_wake() {
  if (proxy_.pool_.phase() == loop::Phase::Stopping) return loop_.stop();
  inbox_.take(answers_);
  for (Answer& a : answers_) on_resolved(a);
}

void ProxyWorker::accept_burst(std::size_t li) {
  acceptor_.burst(li, live_, max_sessions_, [this](int fd, const net::SockAddr& peer, std::size_t) {
    stats_.add(ProxyCount::Accepted);
    const std::uint32_t id = adopt(fd);
    if (!allowed(peer) && sessions_[id].open) {
      stats_.add(ProxyCount::Denied);
      fail(id, 403, "your address is not allowed to use this proxy");
    }
    return live_;
  });
}

bool ProxyWorker::allowed(const net::SockAddr& peer) const noexcept {
  for (const net::Cidr& c : spec_.allow)
    if (c.contains(peer)) return true;
  return false;
}

std::uint32_t ProxyWorker::adopt(int fd) {
  std::uint32_t id;
  if (free_.empty()) {
    id = static_cast<std::uint32_t>(sessions_.size());
    sessions_.emplace_back();
  } else {
    id = free_.back();
    free_.pop_back();
  }
  Session& s = sessions_[id];
  const std::uint32_t gen = s.gen + 1, up_gen = s.up_gen + 1;
  s = Session{};
  s.gen = gen;
  s.up_gen = up_gen;
  s.open = true;
  s.client = fd;
  s.up.cap = s.down.cap = spec_.buffer;
  s.last_active = loop::now_ns();
  ++live_;
  (void)net::set_nodelay(fd);
  s.up.ready = true;  // a request may be waiting already
  if (!loop_.add(fd, kEvents, client_token(id)).ok()) close_session(id);
  return id;
}

bool ProxyWorker::read_client(std::uint32_t id) {
  Session& s = sessions_[id];
  if (!s.up.ready || s.up.eof) return false;
  if (s.phase == Phase::Closing) return drain_closing(id);
  if (s.phase == Phase::Tunnel && s.up.use_pipe()) return splice_in(id, s.up, s.client);
  if (s.up.room() == 0) return false;
  std::size_t len = 0;
  if (!s.up.data) s.up.data = take_buffer();
  char* p = s.up.read_ptr(len);
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
  if (!s.down.data) s.down.data = take_buffer();
  char* p = s.down.read_ptr(len);
  const net::Result r = net::read_some(s.upstream, p, len);
  if (r.err == net::Err::WouldBlock) return s.down.ready = false;
  s.last_active = loop::now_ns();
  if (!r.ok() || r.value == 0) {
    s.down.eof = true;
    s.upstream_reset = !r.ok();
    if (s.phase == Phase::Head) close_upstream(s);  // a kept connection the origin ended
    return true;
  }
  if (s.phase == Phase::Head) {  // nothing was asked: the connection cannot be trusted
    close_upstream(s);
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
    if (!res.ok()) s.upstream_reset = true;
    return true;
  }
  r.piped += static_cast<std::size_t>(res.value);
  return true;
}

bool ProxyWorker::splice_out(std::uint32_t id, Relay& r, int to, ProxyCount counter) {
  Session& s = sessions_[id];
  while (r.piped > 0 && !r.blocked) {
    const net::Result res = net::splice_some(r.pipe_r.get(), to, r.piped);
    if (res.err == net::Err::WouldBlock) {
      r.blocked = true;
      break;
    }
    if (!res.ok()) {
      if (to == s.client) return client_failed(id), false;
      stats_.add(ProxyCount::UpstreamResets);
      return abort_client(id), false;
    }
    r.piped -= static_cast<std::size_t>(res.value);
    stats_.add(counter, static_cast<std::size_t>(res.value));
    s.last_active = loop::now_ns();
  }
  return true;
}

void ProxyWorker::advance(std::uint32_t id) {
  for (int round = 0; round < 256; ++round) {
    bool moved = read_client(id);
    if (!sessions_[id].open) return;
    moved |= read_upstream(id);
    Session& s = sessions_[id];
    const auto before = signature(s);
    switch (s.phase) {
      case Phase::Head:
        request_head(id);
        break;
      case Phase::Lookup:
      case Phase::Connect:
        break;
      case Phase::Exchange:
        exchange(id);
        break;
      case Phase::Tunnel:
        tunnel(id);
        break;
      case Phase::Closing:
        closing(id);
        break;
    }
    if (!sessions_[id].open) return;
    if (!moved && signature(sessions_[id]) == before) return;
  }
  // Out of rounds with work left: the edges that announced it are spent, so go on later.
  if (deferred_.empty()) loop_.wake();
  deferred_.emplace_back(id, sessions_[id].gen);
}

void ProxyWorker::on_batch_end() {
  if (deferred_.empty()) return;
  deferred_now_.swap(deferred_);
  for (const auto& [id, gen] : deferred_now_)
    if (sessions_[id].open && sessions_[id].gen == gen) advance(id);
  deferred_now_.clear();
}

std::array<std::size_t, 11> ProxyWorker::signature(const Session& s) noexcept {
  return {static_cast<std::size_t>(s.phase),
          static_cast<std::size_t>(s.reply),
          s.up.start,
          s.up.end,
          s.up.pass + s.up.head_off,
          s.down.start,
          s.down.end,
          s.down.pass + s.down.head_off,
          static_cast<std::size_t>(s.upstream),
          s.up.piped,
          s.down.piped};
}

bool ProxyWorker::flush_up(std::uint32_t id) {
  Session& s = sessions_[id];
  if (s.upstream < 0 || s.phase == Phase::Connect) return true;
  while (s.up.copy_pending() && !s.up.blocked) {
    const std::size_t hlen = s.up.head.size() - s.up.head_off;
    const net::Result r = net::send_two(s.upstream, s.up.head.data() + s.up.head_off, hlen,
                                        s.up.data.get() + s.up.start, s.up.pass);
    if (r.err == net::Err::WouldBlock) {
      s.up.blocked = true;
      break;
    }
    if (!r.ok()) {
      s.upstream_reset = true;
      if (s.phase != Phase::Tunnel) return upstream_ended(id), false;
      stats_.add(ProxyCount::UpstreamResets);
      return abort_client(id), false;
    }
    advance_sent(s.up, static_cast<std::size_t>(r.value), ProxyCount::BytesUp);
    s.last_active = loop::now_ns();
  }
  return true;
}

bool ProxyWorker::flush_down(std::uint32_t id) {
  Session& s = sessions_[id];
  while (s.down.copy_pending() && !s.down.blocked) {
    const std::size_t hlen = s.down.head.size() - s.down.head_off;
    const net::Result r =
        net::send_two(s.client, s.down.head.data() + s.down.head_off, hlen,
                      s.down.data ? s.down.data.get() + s.down.start : nullptr, s.down.pass);
    if (r.err == net::Err::WouldBlock) {
      s.down.blocked = true;
      break;
    }
    if (!r.ok()) {
      client_failed(id);
      return false;
    }
    advance_sent(s.down, static_cast<std::size_t>(r.value), ProxyCount::BytesDown);
    s.last_active = loop::now_ns();
  }
  return true;
}

void ProxyWorker::advance_sent(Relay& r, std::size_t n, ProxyCount counter) {
  stats_.add(counter, n);
  const std::size_t h = std::min(n, r.head.size() - r.head_off);
  r.head_off += h;
  r.pass -= n - h;
  r.drop(n - h);
}

void ProxyWorker::fail(std::uint32_t id, int status, std::string_view why) {
  Session& s = sessions_[id];
  leave_lookup(id);
  stats_.add(stats::proxy_status_count(status));
  close_upstream(s);
  if (s.reply_started) return close_session(id);
  s.down.start = s.down.end = s.down.pass = 0;
  s.down.head.erase(0, s.down.head_off);  // 1xx heads already begun go out whole, first
  s.down.head += error_reply(status, why);
  s.down.head_off = 0;
  s.reply_started = true;
  start_closing(id);
}

void ProxyWorker::start_closing(std::uint32_t id) {
  Session& s = sessions_[id];
  close_upstream(s);
  s.phase = Phase::Closing;
  s.up.start = s.up.end = s.up.pass = 0;
  s.last_active = loop::now_ns();
  closing(id);
}

void ProxyWorker::closing(std::uint32_t id) {
  Session& s = sessions_[id];
  if (!flush_down(id) || s.down.out_pending() || s.shut_client) return;
  if (s.abort_client) return abort_client(id);
  s.shut_client = true;
  (void)net::shutdown_write(s.client);
  if (s.up.eof) close_session(id);
}

bool ProxyWorker::drain_closing(std::uint32_t id) {
  Session& s = sessions_[id];
  char sink[4096];
  const net::Result r = net::read_some(s.client, sink, sizeof sink);
  if (r.err == net::Err::WouldBlock) return s.up.ready = false;
  if (!r.ok() || r.value == 0) {
    s.up.eof = true;
    if (s.shut_client || !r.ok()) close_session(id);
  }
  return true;
}

void ProxyWorker::abort_client(std::uint32_t id) {
  (void)net::set_linger_rst(sessions_[id].client);
  close_session(id);
}

void ProxyWorker::client_failed(std::uint32_t id) {
  Session& s = sessions_[id];
  const bool idle = s.phase == Phase::Head && s.up.buffered() == 0;
  if (!idle) stats_.add(ProxyCount::ClientResets);
  // The origin learns that what it got was cut short: a reset, never a clean end.
  if (s.phase != Phase::Head && s.upstream >= 0) (void)net::set_linger_rst(s.upstream);
  close_session(id);
}

void ProxyWorker::check_timeout(std::uint32_t id, std::uint64_t now) {
  Session& s = sessions_[id];
  const bool upstream_wait = s.phase == Phase::Lookup || s.phase == Phase::Connect ||
                             (s.phase == Phase::Exchange && s.reply == Reply::Head);
  const std::uint64_t limit = s.phase == Phase::Closing ? kLingerNs
                              : upstream_wait           ? spec_.upstream_timeout_ns
                                                        : spec_.idle_timeout_ns;
  // A head must arrive whole within the idle timeout, however slowly its bytes trickle in.
  const bool head_wait = s.phase == Phase::Head && s.up.buffered() > 0;
  if (now - (head_wait ? s.head_since : s.last_active) < limit) return;
  if (upstream_wait) {
    fail(id, 504,
         fmt::format("no answer from {}:{} within {} s", s.host, s.port,
                     loop::seconds_from_ns(spec_.upstream_timeout_ns)));
  } else {
    close_session(id);
  }
}

std::unique_ptr<char[]> ProxyWorker::take_buffer() {
  if (spare_.empty()) return std::unique_ptr<char[]>(new char[spec_.buffer]);
  std::unique_ptr<char[]> b = std::move(spare_.back());
  spare_.pop_back();
  return b;
}

void ProxyWorker::release_buffer(Relay& r) {
  if (!r.data || r.buffered() > 0) return;
  if (spare_.size() < kSpareBuffers) spare_.push_back(std::move(r.data));
  r.data.reset();
  r.start = r.end = r.pass = 0;
}

void ProxyWorker::leave_lookup(std::uint32_t id) {
  if (sessions_[id].phase != Phase::Lookup) return;
  proxy_.resolver_->cancel(lookup_tag(id));
  sessions_[id].phase = Phase::Head;  // no answer is awaited any more
}

void ProxyWorker::close_session(std::uint32_t id) {
  Session& s = sessions_[id];
  leave_lookup(id);
  if (s.phase == Phase::Head && s.upstream >= 0) park_upstream(s);
  close_upstream(s);
  if (s.client >= 0) ::close(s.client);
  s.client = -1;
  s.open = false;
  s.up.start = s.up.end = s.down.start = s.down.end = 0;
  release_buffer(s.up);
  release_buffer(s.down);
  s.up = Relay{};
  s.down = Relay{};
  s.addrs.clear();
  s.addrs.shrink_to_fit();
  free_.push_back(id);
  --live_;
  stats_.add(ProxyCount::Closed);
  acceptor_.connection_closed();
}

}  // namespace connperf::proxy
