// The worker's loop side: accepting, the loop pass that drives a session, ending sessions,
// timeouts. Bytes in and out are in relay.cpp, the phases in exchange.cpp and upstream.cpp.
#include "proxy/worker.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

#include "loop/worker_pool.h"
#include "net/socket.h"
#include "proxy/rewrite.h"

namespace connperf::proxy {

ProxyWorker::ProxyWorker(Proxy& proxy, unsigned index)
    : proxy_(proxy), spec_(proxy.spec_), inbox_(loop_), buffers_(spec_.buffer) {
  max_sessions_ =
      std::max<std::uint64_t>(1, loop::share(spec_.max_connections, spec_.threads, index));
  sweep_ns_ = std::clamp<std::uint64_t>(
      std::min(spec_.idle_timeout_ns, spec_.upstream_timeout_ns) / 4, 10 * loop::kMs,
      250 * loop::kMs);
}

void ProxyWorker::run(std::uint64_t /*t0*/) {
  acceptor_.start();
  loop_.set_deadline(loop::now_ns() + sweep_ns_);
  if (proxy_.pool_.phase() != loop::Phase::Stopping) loop_.run(*this);
  acceptor_.close_all();
  for (std::uint32_t id = 0; id < sessions_.size(); ++id)
    if (sessions_[id].open()) close_session(id);
  upstreams_.clear();
}

void ProxyWorker::on_io(loop::Token token, std::uint32_t events) {
  if (token.kind == kListenerKind) return accept_burst(token.slot);
  if (token.kind == kPoolKind) return (void)upstreams_.drop(static_cast<int>(token.slot));
  const std::uint32_t id = token.slot;
  if (id >= sessions_.size() || !sessions_[id].open()) return;
  Session& s = sessions_[id];
  constexpr std::uint32_t kReadable = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
  constexpr std::uint32_t kWritable = EPOLLOUT | EPOLLERR | EPOLLHUP;
  if (token.kind == kUpstreamKind) {
    if (s.up_gen != token.gen || s.upstream < 0) return;
    if (s.phase == Phase::Connect) {
      finish_connect(id);
    } else {
      if (events & kWritable) s.up.blocked = false;
      if (events & kReadable) s.down.ready = true;
    }
  } else {
    if (s.gen != token.gen) return;
    if (events & kWritable) s.down.blocked = false;
    if (events & kReadable) s.up.ready = true;
  }
  if (sessions_[id].open()) advance(id);
}

void ProxyWorker::on_deadline(std::uint64_t now) {
  acceptor_.tick(now);
  for (std::uint32_t id = 0; id < sessions_.size(); ++id)
    if (sessions_[id].open()) check_timeout(id, now);
  upstreams_.expire(now);
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
    if (!allowed(peer) && sessions_[id].open()) {
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
  s.client = fd;
  s.up.cap = s.down.cap = spec_.buffer;
  s.last_active = loop::now_ns();
  ++live_;
  (void)net::set_nodelay(fd);
  s.up.ready = true;  // a request may be waiting already
  if (!loop_.add(fd, kEvents, client_token(id)).ok()) close_session(id);
  return id;
}

loop::Token ProxyWorker::client_token(std::uint32_t id) const noexcept {
  return {id, sessions_[id].gen, kClientKind};
}

loop::Token ProxyWorker::upstream_token(std::uint32_t id) const noexcept {
  return {id, sessions_[id].up_gen, kUpstreamKind};
}

void ProxyWorker::advance(std::uint32_t id) {
  for (int round = 0; round < 256; ++round) {
    bool moved = read_client(id);
    if (!sessions_[id].open()) return;
    moved |= read_upstream(id);
    moved |= run_phase(id);
    if (!sessions_[id].open() || !moved) return;
  }
  // Out of rounds with work left: the edges that announced it are spent, so go on later.
  if (deferred_.empty()) loop_.wake();
  deferred_.emplace_back(id, sessions_[id].gen);
}

bool ProxyWorker::run_phase(std::uint32_t id) {
  switch (sessions_[id].phase) {
    case Phase::Head: return request_head(id);
    case Phase::Lookup:
    case Phase::Connect: return false;  // an answer or a connect event comes
    case Phase::Exchange: return exchange(id);
    case Phase::Tunnel: return tunnel(id);
    case Phase::Closing: return closing(id);
  }
  return false;
}

void ProxyWorker::on_batch_end() {
  if (deferred_.empty()) return;
  deferred_now_.swap(deferred_);
  for (const auto& [id, gen] : deferred_now_)
    if (sessions_[id].open() && sessions_[id].gen == gen) advance(id);
  deferred_now_.clear();
}

void ProxyWorker::fail(std::uint32_t id, int status, std::string_view why) {
  Session& s = sessions_[id];
  leave_lookup(id);
  stats_.add(stats::proxy_status_count(status));
  s.close_upstream();
  if (s.ex.reply_started()) return close_session(id);
  s.down.start = s.down.end = s.down.pass = 0;
  s.down.head.erase(0, s.down.head_off);  // 1xx heads already begun go out whole, first
  s.down.head += error_reply(status, why);
  s.down.head_off = 0;
  s.ex.reply = Reply::Done;
  start_closing(id);
}

void ProxyWorker::start_closing(std::uint32_t id) {
  Session& s = sessions_[id];
  s.close_upstream();
  s.phase = Phase::Closing;
  s.up.start = s.up.end = s.up.pass = 0;
  s.last_active = loop::now_ns();
  closing(id);
}

bool ProxyWorker::closing(std::uint32_t id) {
  Session& s = sessions_[id];
  const Step sent = flush_down(id);
  if (sent == Step::Ended) return true;
  if (s.down.out_pending() || s.down.shut) return sent == Step::Moved;
  if (s.cut_short) return abort_client(id), true;
  s.down.shut = true;
  (void)net::shutdown_write(s.client);
  if (s.up.eof) close_session(id);
  return true;
}

bool ProxyWorker::drain_closing(std::uint32_t id) {
  Session& s = sessions_[id];
  char sink[4096];
  const net::Result r = net::read_some(s.client, sink, sizeof sink);
  if (r.err == net::Err::WouldBlock) return s.up.ready = false;
  if (!r.ok() || r.value == 0) {
    s.up.eof = true;
    if (s.down.shut || !r.ok()) close_session(id);
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
                             (s.phase == Phase::Exchange && s.ex.reply == Reply::Head);
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

void ProxyWorker::leave_lookup(std::uint32_t id) {
  if (sessions_[id].phase != Phase::Lookup) return;
  proxy_.resolver_->cancel(lookup_tag(id));
  sessions_[id].phase = Phase::Head;  // no answer is awaited any more
}

void ProxyWorker::close_session(std::uint32_t id) {
  Session& s = sessions_[id];
  leave_lookup(id);
  if (s.phase == Phase::Head && s.upstream >= 0) park_upstream(s);
  s.close_upstream();
  if (s.client >= 0) ::close(s.client);
  s.client = -1;
  s.up.start = s.up.end = s.down.start = s.down.end = 0;
  s.up.release(buffers_);
  s.down.release(buffers_);
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
