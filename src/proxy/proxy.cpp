#include "proxy/proxy.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "loop/acceptor.h"
#include "loop/event_loop.h"
#include "net/socket.h"
#include "proto/http_head.h"
#include "proto/text.h"
#include "proxy/resolver.h"
#include "proxy/rewrite.h"
#include "proxy/session.h"

namespace connperf::proxy {

using stats::ProxyCount;

namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kListenerBit = std::uint64_t{1} << 63;
constexpr std::uint64_t kUpstreamBit = std::uint64_t{1} << 62;
constexpr std::uint64_t kPoolBit = std::uint64_t{1} << 61;  // | fd: an idle upstream connection
constexpr std::uint64_t kLingerNs = 2000 * kMs;      // reading a closing client's rest
constexpr std::size_t kSpareBuffers = 256;  // per worker
// Idle upstream connections kept for any client of the worker: at most this many, this long
// (shorter than common server keep-alive timeouts, so the origin rarely closes one under us).
constexpr std::size_t kPoolMax = 512;
constexpr std::uint64_t kPoolIdleNs = 4000 * kMs;
// Edge-triggered, registered once: readiness is kept in the relays (Relay::ready, ::blocked)
// and every loop pass does what it allows, so interest never changes.
constexpr std::uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

std::uint64_t share(std::uint64_t total, unsigned parts, unsigned index) {
  return std::max<std::uint64_t>(1, total / parts + (index < total % parts ? 1 : 0));
}

}  // namespace

const char* to_string(Phase p) noexcept {
  static constexpr const char* kNames[] = {"head", "lookup", "connect", "exchange", "tunnel",
                                           "closing"};
  return kNames[static_cast<int>(p)];
}

PortSet PortSet::parse(std::string_view spec) {
  PortSet set;
  auto number = [spec](std::string_view t) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size() || v == 0 || v > 65535)
      throw std::invalid_argument(fmt::format("bad port '{}' in '{}' (1-65535)", t, spec));
    return static_cast<std::uint16_t>(v);
  };
  for (std::size_t pos = 0; pos <= spec.size();) {
    const std::size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string_view item = spec.substr(pos, comma - pos);
    const std::size_t dash = item.find('-');
    const std::uint16_t lo = number(item.substr(0, dash));
    const std::uint16_t hi = dash == std::string_view::npos ? lo : number(item.substr(dash + 1));
    if (hi < lo) throw std::invalid_argument(fmt::format("range '{}' runs backwards", item));
    set.ranges_.emplace_back(lo, hi);
    pos = comma + 1;
  }
  return set;
}

bool PortSet::contains(std::uint16_t port) const noexcept {
  for (const auto& [lo, hi] : ranges_)
    if (port >= lo && port <= hi) return true;
  return false;
}

std::string PortSet::to_string() const {
  std::string s;
  for (const auto& [lo, hi] : ranges_) {
    if (!s.empty()) s += ',';
    s += lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
  }
  return s;
}

class ProxyWorker final : public loop::Handler {
 public:
  ProxyWorker(Proxy& proxy, unsigned index)
      : proxy_(proxy), spec_(proxy.spec_), inbox_(loop_) {
    max_sessions_ = share(spec_.max_connections, spec_.threads, index);
    sweep_ns_ = std::clamp<std::uint64_t>(
        std::min(spec_.idle_timeout_ns, spec_.upstream_timeout_ns) / 4, 10 * kMs, 250 * kMs);
  }

  void add_listener(net::Fd fd) { acceptor_.add(std::move(fd)); }

  void run() {
    acceptor_.start();
    loop_.set_deadline(loop::now_ns() + sweep_ns_);
    if (!proxy_.stopping_.load()) loop_.run(*this);
    acceptor_.close_all();
    for (std::uint32_t id = 0; id < sessions_.size(); ++id)
      if (sessions_[id].open) close_session(id);
    pool_expire(UINT64_MAX);
  }

  void wake() noexcept { loop_.wake(); }
  const stats::ProxyStats& stats() const noexcept { return stats_; }

  void on_io(std::uint64_t token, std::uint32_t events) override {
    if (token & kListenerBit) return accept_burst(static_cast<std::size_t>(token & 0xffff));
    if (token & kPoolBit) return pool_drop(static_cast<int>(token & 0xffffffff));
    const auto id = static_cast<std::uint32_t>((token & ~kUpstreamBit) >> 32);
    const auto gen = static_cast<std::uint32_t>(token);
    if (id >= sessions_.size()) return;
    Session& s = sessions_[id];
    if (!s.open) return;
    constexpr std::uint32_t kReadable = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
    if (token & kUpstreamBit) {
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

  void on_deadline(std::uint64_t now) override {
    acceptor_.tick(now);
    for (std::uint32_t id = 0; id < sessions_.size(); ++id)
      if (sessions_[id].open) check_timeout(id, now);
    pool_expire(now);
    loop_.set_deadline(now + sweep_ns_);
  }

  void on_wake() override {
    if (proxy_.stopping_.load()) return loop_.stop();
    inbox_.take(answers_);
    for (Answer& a : answers_) on_resolved(a);
  }

 private:
  // Accepting.

  void accept_burst(std::size_t li) {
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

  bool allowed(const net::SockAddr& peer) const noexcept {
    for (const net::Cidr& c : spec_.allow)
      if (c.contains(peer)) return true;
    return false;
  }

  std::uint32_t adopt(int fd) {
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
    if (!loop_.add(fd, kEvents, client_token(id))) close_session(id);
    return id;
  }

  std::uint64_t client_token(std::uint32_t id) const noexcept {
    return std::uint64_t{id} << 32 | sessions_[id].gen;
  }
  std::uint64_t upstream_token(std::uint32_t id) const noexcept {
    return kUpstreamBit | std::uint64_t{id} << 32 | sessions_[id].up_gen;
  }

  // Events.

  // Reads what the client sent, if the relay has room. False when nothing moved.
  bool read_client(std::uint32_t id) {
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
    if (r.value == 0) s.up.eof = true;
    s.up.end += static_cast<std::size_t>(r.value);
    return true;
  }

  bool read_upstream(std::uint32_t id) {
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

  // Tunnels: from a socket into the relay's pipe. EAGAIN with bytes in the pipe may mean the
  // pipe is out of slots rather than the socket empty, so readiness is kept until it drains.
  bool splice_in(std::uint32_t id, Relay& r, int from) {
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

  // From the pipe to the other socket. False when the session ended.
  bool splice_out(std::uint32_t id, Relay& r, int to, ProxyCount counter) {
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
        return close_session(id), false;
      }
      r.piped -= static_cast<std::size_t>(res.value);
      stats_.add(counter, static_cast<std::size_t>(res.value));
      s.last_active = loop::now_ns();
    }
    return true;
  }

  // The work an event made possible, until nothing moves: reads while the relays have room,
  // the phase's framing, writes while the sockets take them.
  void advance(std::uint32_t id) {
    for (int round = 0; round < 256; ++round) {
      bool moved = read_client(id);
      if (!sessions_[id].open) return;
      moved |= read_upstream(id);
      Session& s = sessions_[id];
      const auto before = signature(s);
      switch (s.phase) {
        case Phase::Head: request_head(id); break;
        case Phase::Lookup:
        case Phase::Connect: break;
        case Phase::Exchange: exchange(id); break;
        case Phase::Tunnel: tunnel(id); break;
        case Phase::Closing: closing(id); break;
      }
      if (!sessions_[id].open) return;
      if (!moved && signature(sessions_[id]) == before) return;
    }
  }

  static std::array<std::size_t, 11> signature(const Session& s) noexcept {
    return {static_cast<std::size_t>(s.phase), static_cast<std::size_t>(s.reply), s.up.start,
            s.up.end, s.up.pass + s.up.head_off, s.down.start, s.down.end,
            s.down.pass + s.down.head_off, static_cast<std::size_t>(s.upstream), s.up.piped,
            s.down.piped};
  }

  // Phase::Head: a complete request head starts the next exchange.

  void request_head(std::uint32_t id) {
    Session& s = sessions_[id];
    if (s.up.buffered() == 0) {
      if (s.up.eof) return close_session(id);
      release_buffer(s.up);
      release_buffer(s.down);
      return;
    }
    const std::string_view data = s.up.unframed();
    std::size_t end = 0, skip = 0;
    switch (proto::find_head_end(data, proto::kMaxRequestLine, proto::kMaxHeaderBytes, end, skip)) {
      case proto::HeadScan::NeedMore:
        if (s.up.eof) return close_session(id);  // a client gave up halfway through a head
        return;
      case proto::HeadScan::LineTooLong:
        return fail(id, 414, "the request line is longer than 8 KiB");
      case proto::HeadScan::TooLarge:
        return fail(id, 431, "the request head is larger than 16 KiB");
      case proto::HeadScan::Complete: break;
    }
    if (const char* why = proto::parse_request_head(data.substr(skip, end - skip), head_))
      return fail(id, 400, why);
    start_request(id, end);
  }

  void start_request(std::uint32_t id, std::size_t head_len) {
    Session& s = sessions_[id];
    if (head_.method == "CONNECT") return start_tunnel(id, head_len);
    if (head_.method == "TRACE") return fail(id, 405, "TRACE is not forwarded");
    if (head_.target.front() == '/' || head_.target == "*")
      return fail(id, 400, "a proxy needs an absolute URI (http://host/path) in the request");
    proto::AbsoluteUri uri;
    if (const char* why = proto::parse_absolute_uri(head_.target, uri)) return fail(id, 400, why);
    if (!proto::iequals(uri.scheme, "http"))
      return fail(id, 501,
                  fmt::format("scheme '{}' is not supported (use CONNECT for https)", uri.scheme));
    if (head_.content_lengths > 1) return fail(id, 400, "more than one Content-Length");
    proto::BodyFramer::Kind kind{};
    std::uint64_t length = 0;
    if (const char* why = proto::request_body(head_.info, kind, length))
      return fail(id, head_.info.has_te && !head_.info.has_length ? 501 : 400, why);
    s.client_keep = head_.keep_alive();
    s.client_minor = static_cast<std::uint8_t>(head_.minor);
    s.head_request = head_.method == "HEAD";
    upstream_request(head_, uri, true, s.up.head);  // the upstream may serve other clients
    s.up.head_off = 0;
    const bool same = s.upstream >= 0 && s.port == uri.port && s.host == uri.host;
    if (!same) {
      s.host.assign(uri.host);
      s.port = uri.port;
    }
    s.up.drop(head_len);
    s.req_body.start(kind, length);
    s.bodyless = kind == proto::BodyFramer::Kind::Length && length == 0;
    s.req_done = false;
    s.reply = Reply::Head;
    s.reply_started = false;
    s.reused = same;
    s.retried = false;
    stats_.add(ProxyCount::Requests);
    if (!same && s.upstream >= 0) park_upstream(s);
    if (same || pool_take(id)) {
      s.reused = true;
      stats_.add(ProxyCount::UpstreamReused);
      s.phase = Phase::Exchange;
      return;
    }
    lookup(id);
  }

  void start_tunnel(std::uint32_t id, std::size_t head_len) {
    Session& s = sessions_[id];
    std::string_view host;
    std::uint16_t port = 0;
    if (const char* why = proto::parse_authority(head_.target, host, port))
      return fail(id, 400, why);
    if (!spec_.connect_ports.contains(port))
      return fail(id, 403,
                  fmt::format("CONNECT to port {} is not allowed (--connect-ports {})", port,
                              spec_.connect_ports.to_string()));
    s.host.assign(host);
    s.port = port;
    s.up.drop(head_len);
    s.tunnel = true;
    close_upstream(s);
    lookup(id);
  }

  // Upstream connections.

  void lookup(std::uint32_t id) {
    Session& s = sessions_[id];
    s.next_addr = 0;
    s.last_connect_errno = 0;
    if (auto literal = net::parse_ip_literal(s.host)) {
      literal->set_port(s.port);
      s.addrs.assign(1, *literal);
      return connect_next(id);
    }
    s.phase = Phase::Lookup;
    proxy_.resolver_->lookup(s.host, s.port, std::uint64_t{id} << 32 | s.gen, inbox_);
  }

  void on_resolved(Answer& a) {
    const auto id = static_cast<std::uint32_t>(a.tag >> 32);
    if (id >= sessions_.size()) return;
    Session& s = sessions_[id];
    if (!s.open || s.gen != static_cast<std::uint32_t>(a.tag) || s.phase != Phase::Lookup) return;
    if (!a.error.empty()) {
      fail(id, 502, a.error);
    } else {
      s.addrs = std::move(a.addresses);
      connect_next(id);
    }
    if (sessions_[id].open) advance(id);
  }

  void connect_next(std::uint32_t id) {
    Session& s = sessions_[id];
    while (s.next_addr < s.addrs.size()) {
      const net::SockAddr& a = s.addrs[s.next_addr++];
      net::Result r = net::tcp_socket(a.family());
      if (!r.ok()) {
        s.last_connect_errno = r.sys_errno;
        continue;
      }
      const int fd = static_cast<int>(r.value);
      (void)net::set_nodelay(fd);
      r = net::connect_to(fd, a);
      if (!r.ok() && r.err != net::Err::InProgress) {
        s.last_connect_errno = r.sys_errno;
        ::close(fd);
        continue;
      }
      s.upstream = fd;
      ++s.up_gen;
      s.phase = Phase::Connect;
      s.last_active = loop::now_ns();
      if (!loop_.add(fd, kEvents, upstream_token(id))) {
        close_upstream(s);
        continue;
      }
      return;
    }
    const std::string where = fmt::format("{}:{}", s.host, s.port);
    if (s.last_connect_errno == ECONNREFUSED)
      return fail(id, 502, "connection refused by " + where);
    fail(id, 502, fmt::format("cannot connect to {}: {}", where,
                              s.last_connect_errno ? net::errno_text(s.last_connect_errno)
                                                   : "no address"));
  }

  void finish_connect(std::uint32_t id) {
    Session& s = sessions_[id];
    const net::Result r = net::pending_error(s.upstream);
    if (!r.ok()) {
      s.last_connect_errno = r.sys_errno;
      close_upstream(s);
      return connect_next(id);
    }
    stats_.add(ProxyCount::UpstreamConnects);
    s.last_active = loop::now_ns();
    s.up.blocked = false;
    s.down.ready = true;
    if (!s.tunnel) {
      s.phase = Phase::Exchange;
      return;
    }
    stats_.add(ProxyCount::Tunnels);
    open_pipes(s.up);
    open_pipes(s.down);
    if (spec_.tunnel_buffer > 0) {  // a second hop wants deep queues on both ends (bench/proxy.sh)
      (void)net::set_buffers(s.client, static_cast<int>(spec_.tunnel_buffer));
      (void)net::set_buffers(s.upstream, static_cast<int>(spec_.tunnel_buffer));
    }
    s.phase = Phase::Tunnel;
    s.reply_started = true;
    s.down.head.assign(kConnectEstablished);
    s.down.head_off = 0;
  }

  // Without a pipe (no fds left) the tunnel copies through the buffer instead.
  void open_pipes(Relay& r) {
    const net::Result res = net::open_pipe(r.pipe_r, r.pipe_w, spec_.buffer);
    r.pipe_cap = res.ok() ? static_cast<std::size_t>(res.value) : 0;
    if (r.pipe_cap == 0) r.pipe_r.reset(), r.pipe_w.reset();
  }

  void close_upstream(Session& s) {
    if (s.upstream >= 0) ::close(s.upstream);
    detach_upstream(s);
  }

  void detach_upstream(Session& s) {
    s.upstream = -1;
    ++s.up_gen;
    s.down.eof = false;
    s.down.ready = false;
    s.down.shut = false;
    s.upstream_reset = false;
    s.up.blocked = false;
  }

  // Phase::Exchange: frame the request going up and the response coming down.

  void exchange(std::uint32_t id) {
    Session& s = sessions_[id];
    if (!s.req_done) {
      std::size_t used = 0;
      const std::string_view in = s.up.unframed();
      const proto::FrameStatus st = s.req_body.feed(in.data(), in.size(), used);
      s.up.pass += used;
      if (st == proto::FrameStatus::Error) return fail(id, 400, s.req_body.error());
      if (st == proto::FrameStatus::Complete) s.req_done = true;
      else if (s.up.eof) return client_failed(id);  // the body ended early
    }
    if (!flush_up(id)) return;
    if (s.reply == Reply::Head) response_head(id);
    if (!sessions_[id].open || s.phase != Phase::Exchange) return;
    if (s.reply == Reply::Body) response_body(id);
    if (!sessions_[id].open || s.phase != Phase::Exchange) return;
    if (!flush_down(id)) return;
    if (s.reply == Reply::Done && !s.down.out_pending()) end_exchange(id);
  }

  void response_head(std::uint32_t id) {
    Session& s = sessions_[id];
    for (;;) {
      const std::string_view data = s.down.unframed();
      std::size_t end = 0, skip = 0;
      const proto::HeadScan scan =
          proto::find_head_end(data, proto::kMaxHeaderBytes, proto::kMaxHeaderBytes, end, skip);
      if (scan == proto::HeadScan::NeedMore) {
        if (s.down.eof) return upstream_ended(id);
        return;
      }
      if (scan != proto::HeadScan::Complete)
        return upstream_broken(id, "the upstream's response head is larger than 16 KiB");
      if (const char* why = proto::parse_response_head(data.substr(skip, end - skip), head_))
        return upstream_broken(id, fmt::format("bad response from the upstream: {}", why));
      if (head_.status == 101) return upstream_broken(id, "the upstream switched protocols");
      const bool interim = head_.status < 200;
      if (!interim) start_response(id);
      else if (s.client_minor >= 1) client_response(head_, s.client_minor, true, s.down.head);
      s.down.drop(skip + end);
      if (!interim) return;
    }
  }

  void start_response(std::uint32_t id) {
    Session& s = sessions_[id];
    proto::BodyFramer::Kind kind{};
    std::uint64_t length = 0;
    proto::response_body(head_.info, head_.status, s.head_request, kind, length);
    const bool delimited = kind != proto::BodyFramer::Kind::UntilClose;
    s.keep_client = s.client_keep && delimited && s.req_done;
    s.keep_upstream = delimited && head_.keep_alive();
    client_response(head_, s.client_minor, s.keep_client, s.down.head);
    s.resp_body.start(kind, length);
    s.reply = Reply::Body;
    s.reply_started = true;
  }

  void response_body(std::uint32_t id) {
    Session& s = sessions_[id];
    std::size_t used = 0;
    const std::string_view in = s.down.unframed();
    const proto::FrameStatus st = s.resp_body.feed(in.data(), in.size(), used);
    s.down.pass += used;
    if (st == proto::FrameStatus::Error) return upstream_broken(id, s.resp_body.error());
    if (st == proto::FrameStatus::Complete) {
      s.reply = Reply::Done;
      if (s.down.pass < s.down.buffered()) {  // bytes after the response: not reusable
        s.keep_upstream = false;
        s.down.discard_unframed();
      }
      return;
    }
    if (!s.down.eof) return;
    if (s.resp_body.until_close() && !s.upstream_reset) {
      s.reply = Reply::Done;
      s.keep_upstream = false;
      return;
    }
    upstream_broken(id, "the upstream closed before the end of its response");
  }

  // The upstream ended before any response byte: a kept connection may have been closed by the
  // origin just as the request went out, so a request without a body is tried once more.
  void upstream_ended(std::uint32_t id) {
    Session& s = sessions_[id];
    if (s.reused && !s.retried && s.bodyless && s.down.buffered() == 0 && !s.reply_started) {
      s.retried = true;
      s.reused = false;
      close_upstream(s);
      s.up.head_off = 0;
      s.next_addr = 0;
      return connect_next(id);
    }
    upstream_broken(id, s.upstream_reset ? "the upstream reset the connection"
                                        : "the upstream closed the connection without a response");
  }

  // The upstream broke the exchange: a 502 if the client has seen nothing yet, else the client
  // gets what arrived and then the close, so it sees the response is cut short.
  void upstream_broken(std::uint32_t id, std::string_view why) {
    Session& s = sessions_[id];
    stats_.add(ProxyCount::UpstreamResets);
    if (!s.reply_started) return fail(id, 502, why);
    s.down.discard_unframed();
    start_closing(id);
  }

  void end_exchange(std::uint32_t id) {
    Session& s = sessions_[id];
    stats_.add(ProxyCount::Responses);
    if (!s.req_done || s.up.out_pending()) s.keep_upstream = false;
    if (!s.keep_upstream) close_upstream(s);
    else if (!s.keep_client) park_upstream(s);
    if (!s.keep_client) return start_closing(id);
    s.phase = Phase::Head;
    s.reply = Reply::Head;
    s.up.reset_head();
    s.down.reset_head();
  }

  // Phase::Tunnel: everything passes; an end of stream is passed on as a shutdown.

  void tunnel(std::uint32_t id) {
    Session& s = sessions_[id];
    s.up.pass = s.up.buffered();
    s.down.pass = s.down.buffered();
    if (!flush_up(id) || !flush_down(id)) return;
    if (!splice_out(id, s.up, s.upstream, ProxyCount::BytesUp) ||
        !splice_out(id, s.down, s.client, ProxyCount::BytesDown))
      return;
    if (s.up.eof && !s.up.out_pending() && !s.up.shut) {
      s.up.shut = true;
      (void)net::shutdown_write(s.upstream);
    }
    if (s.down.eof && !s.down.out_pending() && !s.down.shut) {
      s.down.shut = true;
      (void)net::shutdown_write(s.client);
    }
    if (s.upstream_reset) {
      stats_.add(ProxyCount::UpstreamResets);
      return close_session(id);
    }
    if (s.up.shut && s.down.shut) close_session(id);
  }

  // Writing.

  // Sends the head and the cleared bytes upstream. False when the session's phase changed.
  bool flush_up(std::uint32_t id) {
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
        return close_session(id), false;
      }
      advance_sent(s.up, static_cast<std::size_t>(r.value), ProxyCount::BytesUp);
      s.last_active = loop::now_ns();
    }
    return true;
  }

  bool flush_down(std::uint32_t id) {
    Session& s = sessions_[id];
    while (s.down.copy_pending() && !s.down.blocked) {
      const std::size_t hlen = s.down.head.size() - s.down.head_off;
      const net::Result r = net::send_two(s.client, s.down.head.data() + s.down.head_off, hlen,
                                          s.down.data ? s.down.data.get() + s.down.start : nullptr,
                                          s.down.pass);
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

  void advance_sent(Relay& r, std::size_t n, ProxyCount counter) {
    stats_.add(counter, n);
    const std::size_t h = std::min(n, r.head.size() - r.head_off);
    r.head_off += h;
    r.pass -= n - h;
    r.drop(n - h);
  }

  // Ending.

  // A reply of the proxy's own; the connection closes after it.
  void fail(std::uint32_t id, int status, std::string_view why) {
    Session& s = sessions_[id];
    stats_.add(stats::proxy_status_count(status));
    close_upstream(s);
    if (s.reply_started) return close_session(id);
    s.down.start = s.down.end = s.down.pass = 0;
    s.down.head = error_reply(status, why);
    s.down.head_off = 0;
    s.reply_started = true;
    start_closing(id);
  }

  // Phase::Closing: the rest goes to the client, then our FIN; what the client still sends is
  // read and dropped until it closes (closing with unread data would reset the connection and
  // could destroy the reply in flight), for at most kLingerNs.
  void start_closing(std::uint32_t id) {
    Session& s = sessions_[id];
    close_upstream(s);
    s.phase = Phase::Closing;
    s.up.start = s.up.end = s.up.pass = 0;
    s.last_active = loop::now_ns();
    closing(id);
  }

  void closing(std::uint32_t id) {
    Session& s = sessions_[id];
    if (!flush_down(id) || s.down.out_pending() || s.shut_client) return;
    s.shut_client = true;
    (void)net::shutdown_write(s.client);
    if (s.up.eof) close_session(id);
  }

  bool drain_closing(std::uint32_t id) {
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

  // The client reset or broke its connection, or ended in the middle of a request.
  void client_failed(std::uint32_t id) {
    Session& s = sessions_[id];
    const bool idle = s.phase == Phase::Head && s.up.buffered() == 0;
    if (!idle) stats_.add(ProxyCount::ClientResets);
    close_session(id);
  }

  void check_timeout(std::uint32_t id, std::uint64_t now) {
    Session& s = sessions_[id];
    const bool upstream_wait = s.phase == Phase::Lookup || s.phase == Phase::Connect ||
                               (s.phase == Phase::Exchange && s.reply == Reply::Head);
    const std::uint64_t limit = s.phase == Phase::Closing ? kLingerNs
                                : upstream_wait            ? spec_.upstream_timeout_ns
                                                           : spec_.idle_timeout_ns;
    if (now - s.last_active < limit) return;
    if (upstream_wait) {
      fail(id, 504,
           fmt::format("no answer from {}:{} within {} s", s.host, s.port,
                       static_cast<double>(spec_.upstream_timeout_ns) / 1e9));
    } else {
      close_session(id);
    }
  }

  // The idle upstream pool, keyed by the target as written in requests ("host:port").

  static std::string pool_key(const Session& s) { return fmt::format("{}:{}", s.host, s.port); }

  // An upstream connection that finished its exchange cleanly waits here for the next request
  // of any client to the same target; epoll tells if the origin closes it meanwhile.
  void park_upstream(Session& s) {
    const int fd = s.upstream;
    if (pool_fds_.size() >= kPoolMax || s.down.buffered() > 0 || s.down.eof ||
        !loop_.modify(fd, EPOLLIN | EPOLLRDHUP | EPOLLET, kPoolBit | static_cast<unsigned>(fd)))
      return close_upstream(s);
    std::string key = pool_key(s);
    pool_[key].push_back({fd, loop::now_ns()});
    pool_fds_.emplace(fd, std::move(key));
    detach_upstream(s);
  }

  bool pool_take(std::uint32_t id) {
    Session& s = sessions_[id];
    const auto it = pool_.find(pool_key(s));
    if (it == pool_.end() || it->second.empty()) return false;
    const int fd = it->second.back().fd;  // the most recently used: the least likely closed
    it->second.pop_back();
    pool_fds_.erase(fd);
    s.upstream = fd;
    ++s.up_gen;
    s.down.ready = true;
    s.up.blocked = false;
    if (!loop_.modify(fd, kEvents, upstream_token(id))) {
      close_upstream(s);
      return false;
    }
    return true;
  }

  // The origin closed (or wrote to) an idle connection.
  void pool_drop(int fd) {
    const auto f = pool_fds_.find(fd);
    if (f == pool_fds_.end()) return;
    auto& list = pool_[f->second];
    list.erase(std::remove_if(list.begin(), list.end(), [fd](const Pooled& p) { return p.fd == fd; }),
               list.end());
    pool_fds_.erase(f);
    ::close(fd);
  }

  void pool_expire(std::uint64_t now) {
    for (auto& [key, list] : pool_) {
      std::size_t keep = 0;
      for (const Pooled& p : list) {
        if (now - p.since < kPoolIdleNs) {
          list[keep++] = p;
        } else {
          pool_fds_.erase(p.fd);
          ::close(p.fd);
        }
      }
      list.resize(keep);
    }
  }

  // Relay buffers: taken when a connection has bytes to hold, given back when it is idle, kept
  // for reuse up to a bound (no zeroing, no trip through the allocator per request).
  std::unique_ptr<char[]> take_buffer() {
    if (spare_.empty()) return std::unique_ptr<char[]>(new char[spec_.buffer]);
    std::unique_ptr<char[]> b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }

  void release_buffer(Relay& r) {
    if (!r.data || r.buffered() > 0) return;
    if (spare_.size() < kSpareBuffers) spare_.push_back(std::move(r.data));
    r.data.reset();
    r.start = r.end = r.pass = 0;
  }

  void close_session(std::uint32_t id) {
    Session& s = sessions_[id];
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

  Proxy& proxy_;
  const ProxySpec& spec_;
  loop::EventLoop loop_;
  Inbox inbox_;
  std::vector<Answer> answers_;
  loop::Acceptor acceptor_{loop_, kListenerBit};
  std::vector<Session> sessions_;
  std::vector<std::uint32_t> free_;
  std::vector<std::unique_ptr<char[]>> spare_;
  struct Pooled {
    int fd;
    std::uint64_t since;
  };
  std::unordered_map<std::string, std::vector<Pooled>> pool_;
  std::unordered_map<int, std::string> pool_fds_;
  stats::ProxyStats stats_;
  proto::Head head_;  // scratch: the head being parsed
  std::uint64_t live_ = 0;
  std::uint64_t max_sessions_ = 0;
  std::uint64_t sweep_ns_ = 0;
};

Proxy::Proxy(ProxySpec spec) : spec_(std::move(spec)) {
  spec_.threads = std::max(1u, spec_.threads);
  resolver_ = std::make_unique<Resolver>(std::max(1u, spec_.resolver_threads));
  for (unsigned i = 0; i < spec_.threads; ++i)
    workers_.push_back(std::make_unique<ProxyWorker>(*this, i));
}

Proxy::~Proxy() {
  stop();
  join();
  resolver_.reset();  // before the workers: its threads answer into their inboxes
}

void Proxy::open() {
  for (const net::SockAddr& want : spec_.listen) {
    net::SockAddr addr;
    loop::bind_listener(want, false, spec_.backlog, addr);
    for (auto& w : workers_) {
      net::SockAddr same;
      w->add_listener(loop::bind_listener(addr, true, spec_.backlog, same));
    }
    bound_.push_back(addr);
  }
}

void Proxy::start() {
  for (auto& w : workers_) threads_.emplace_back([&w] { w->run(); });
}

void Proxy::stop() noexcept {
  if (stopping_.exchange(true)) return;
  for (auto& w : workers_) w->wake();
}

void Proxy::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void Proxy::snapshot(stats::ProxySnapshot& out) const {
  out = {};
  stats::ProxySnapshot one;
  for (const auto& w : workers_) {
    w->stats().snapshot(one);
    out += one;
  }
}

}  // namespace connperf::proxy
