// The phases of a session: a request head starts an exchange (or a tunnel), the upstream is
// found (pool, resolver, connect), the request goes up and the response comes down with their
// framing, a tunnel relays both ways; and the pool of idle upstream connections.
#include <fmt/format.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

#include "net/socket.h"
#include "proto/text.h"
#include "proxy/rewrite.h"
#include "proxy/worker.h"

namespace connperf::proxy {

void ProxyWorker::request_head(std::uint32_t id) {
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
    case proto::HeadScan::Complete:
      break;
  }
  if (const char* why = proto::parse_request_head(data.substr(skip, end - skip), head_))
    return fail(id, 400, why);
  start_request(id, end);
}

void ProxyWorker::start_request(std::uint32_t id, std::size_t head_len) {
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
  if (head_.info.has_te && head_.minor == 0)  // RFC 9112 6.1: faulty framing, never forwarded
    return fail(id, 400, "Transfer-Encoding in an HTTP/1.0 request");
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
    if (s.upstream >= 0) park_upstream(s);  // under its own origin's key, before it changes
    s.host.assign(uri.host);
    s.port = uri.port;
    s.addrs.clear();  // they were the old origin's
  }
  s.up.drop(head_len);
  s.req_body.start(kind, length);
  s.bodyless = kind == proto::BodyFramer::Kind::Length && length == 0;
  s.req_done = false;
  s.reply = Reply::Head;
  s.reply_started = false;
  s.reused = same;
  s.retried = false;
  s.interims = 0;
  stats_.add(ProxyCount::Requests);
  if (same || pool_take(id)) {
    s.reused = true;
    stats_.add(ProxyCount::UpstreamReused);
    s.phase = Phase::Exchange;
    return;
  }
  lookup(id);
}

void ProxyWorker::start_tunnel(std::uint32_t id, std::size_t head_len) {
  Session& s = sessions_[id];
  std::string_view host;
  std::uint16_t port = 0;
  if (const char* why = proto::parse_authority(head_.target, host, port)) return fail(id, 400, why);
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

void ProxyWorker::lookup(std::uint32_t id) {
  Session& s = sessions_[id];
  s.next_addr = 0;
  s.last_connect_errno = 0;
  if (auto literal = net::parse_ip_literal(s.host)) {
    literal->set_port(s.port);
    s.addrs.assign(1, *literal);
    return connect_next(id);
  }
  s.phase = Phase::Lookup;
  if (!proxy_.resolver_->lookup(s.host, s.port, lookup_tag(id), inbox_))
    fail(id, 502, fmt::format("cannot resolve '{}' now: {} lookups are waiting", s.host,
                              Resolver::kMaxQueued));
}

void ProxyWorker::on_resolved(Answer& a) {
  const loop::Token tag = loop::Token::unpack(a.tag);
  const std::uint32_t id = tag.slot;
  if (id >= sessions_.size()) return;
  Session& s = sessions_[id];
  if (!s.open || s.gen != tag.gen || s.phase != Phase::Lookup) return;
  if (!a.error.empty()) {
    fail(id, 502, a.error);
  } else {
    s.addrs = std::move(a.addresses);
    connect_next(id);
  }
  if (sessions_[id].open) advance(id);
}

void ProxyWorker::connect_next(std::uint32_t id) {
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
    if (!loop_.add(fd, kEvents, upstream_token(id)).ok()) {
      close_upstream(s);
      continue;
    }
    return;
  }
  const std::string where = fmt::format("{}:{}", s.host, s.port);
  if (s.last_connect_errno == ECONNREFUSED) return fail(id, 502, "connection refused by " + where);
  fail(id, 502,
       fmt::format("cannot connect to {}: {}", where,
                   s.last_connect_errno ? net::errno_text(s.last_connect_errno) : "no address"));
}

void ProxyWorker::finish_connect(std::uint32_t id) {
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

void ProxyWorker::open_pipes(Relay& r) {
  const net::Result res = net::open_pipe(r.pipe_r, r.pipe_w, spec_.buffer);
  r.pipe_cap = res.ok() ? static_cast<std::size_t>(res.value) : 0;
  if (r.pipe_cap == 0) r.pipe_r.reset(), r.pipe_w.reset();
}

void ProxyWorker::close_upstream(Session& s) {
  if (s.upstream >= 0) ::close(s.upstream);
  detach_upstream(s);
}

void ProxyWorker::detach_upstream(Session& s) {
  s.upstream = -1;
  ++s.up_gen;
  s.down.eof = false;
  s.down.ready = false;
  s.down.shut = false;
  s.upstream_reset = false;
  s.up.blocked = false;
}

void ProxyWorker::exchange(std::uint32_t id) {
  Session& s = sessions_[id];
  if (!s.req_done) {
    std::size_t used = 0;
    const std::string_view in = s.up.unframed();
    const proto::FrameStatus st = s.req_body.feed(in.data(), in.size(), used);
    s.up.pass += used;
    if (st == proto::FrameStatus::Error) return fail(id, 400, s.req_body.error());
    if (st == proto::FrameStatus::Complete)
      s.req_done = true;
    else if (s.up.eof)
      return client_failed(id);  // the body ended early
  }
  if (!flush_up(id)) return;
  if (s.reply == Reply::Head) response_head(id);
  if (!sessions_[id].open || s.phase != Phase::Exchange) return;
  if (s.reply == Reply::Body) response_body(id);
  if (!sessions_[id].open || s.phase != Phase::Exchange) return;
  if (!flush_down(id)) return;
  if (s.reply == Reply::Done && !s.down.out_pending()) end_exchange(id);
}

void ProxyWorker::response_head(std::uint32_t id) {
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
    if (interim && ++s.interims > kMaxInterims)
      return upstream_broken(id, "the upstream sent too many 1xx responses");
    if (s.down.head_off == s.down.head.size()) s.down.reset_head();  // what was sent is done
    if (!interim)
      start_response(id);
    else if (s.client_minor >= 1)
      client_response(head_, s.client_minor, true, s.down.head);
    s.down.drop(skip + end);
    if (!interim) return;
  }
}

void ProxyWorker::start_response(std::uint32_t id) {
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

void ProxyWorker::response_body(std::uint32_t id) {
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

void ProxyWorker::upstream_ended(std::uint32_t id) {
  Session& s = sessions_[id];
  if (s.reused && !s.retried && s.bodyless && s.down.buffered() == 0 && !s.reply_started) {
    s.retried = true;
    s.reused = false;
    close_upstream(s);
    s.up.head_off = 0;
    return lookup(id);
  }
  upstream_broken(id, s.upstream_reset ? "the upstream reset the connection"
                                       : "the upstream closed the connection without a response");
}

void ProxyWorker::upstream_broken(std::uint32_t id, std::string_view why) {
  Session& s = sessions_[id];
  stats_.add(ProxyCount::UpstreamResets);
  if (!s.reply_started) return fail(id, 502, why);
  s.down.discard_unframed();
  s.abort_client = true;  // what arrived goes out, then a reset: the response was cut short
  start_closing(id);
}

void ProxyWorker::end_exchange(std::uint32_t id) {
  Session& s = sessions_[id];
  stats_.add(ProxyCount::Responses);
  if (!s.req_done || s.up.out_pending()) {
    s.keep_upstream = false;
    s.up.drop(s.up.pass);  // this request's body the origin did not wait for: never the next's
    s.up.pass = 0;
  }
  if (!s.keep_upstream)
    close_upstream(s);
  else if (!s.keep_client)
    park_upstream(s);
  if (!s.keep_client) return start_closing(id);
  s.phase = Phase::Head;
  s.reply = Reply::Head;
  s.head_since = loop::now_ns();  // a pipelined head may be here already
  s.up.reset_head();
  s.down.reset_head();
}

void ProxyWorker::tunnel(std::uint32_t id) {
  Session& s = sessions_[id];
  s.up.pass = s.up.buffered();
  s.down.pass = s.down.buffered();
  if (!flush_up(id) || !flush_down(id)) return;
  if (!splice_out(id, s.up, s.upstream, ProxyCount::BytesUp) ||
      !splice_out(id, s.down, s.client, ProxyCount::BytesDown))
    return;
  if (s.upstream_reset) {  // the client learns it too: a reset, not a clean end (no FIN first)
    stats_.add(ProxyCount::UpstreamResets);
    return abort_client(id);
  }
  if (s.up.eof && !s.up.out_pending() && !s.up.shut) {
    s.up.shut = true;
    (void)net::shutdown_write(s.upstream);
  }
  if (s.down.eof && !s.down.out_pending() && !s.down.shut) {
    s.down.shut = true;
    (void)net::shutdown_write(s.client);
  }
  if (s.up.shut && s.down.shut) close_session(id);
}

void ProxyWorker::park_upstream(Session& s) {
  const int fd = s.upstream;
  if (pool_fds_.size() >= kPoolMax || s.down.buffered() > 0 || s.down.eof ||
      !loop_.modify(fd, EPOLLIN | EPOLLRDHUP | EPOLLET,
                    {static_cast<std::uint32_t>(fd), 0, kPoolKind}).ok())
    return close_upstream(s);
  std::string key = pool_key(s);
  pool_[key].push_back({fd, loop::now_ns()});
  pool_fds_.emplace(fd, std::move(key));
  detach_upstream(s);
}

bool ProxyWorker::pool_take(std::uint32_t id) {
  Session& s = sessions_[id];
  const auto it = pool_.find(pool_key(s));
  if (it == pool_.end() || it->second.empty()) return false;
  const int fd = it->second.back().fd;  // the most recently used: the least likely closed
  it->second.pop_back();
  if (it->second.empty()) pool_.erase(it);
  pool_fds_.erase(fd);
  s.upstream = fd;
  ++s.up_gen;
  s.down.ready = true;
  s.up.blocked = false;
  if (!loop_.modify(fd, kEvents, upstream_token(id)).ok()) {
    close_upstream(s);
    return false;
  }
  return true;
}

void ProxyWorker::pool_drop(int fd) {
  const auto f = pool_fds_.find(fd);
  if (f == pool_fds_.end()) return;
  const auto it = pool_.find(f->second);
  if (it != pool_.end()) {
    auto& list = it->second;
    list.erase(
        std::remove_if(list.begin(), list.end(), [fd](const Pooled& p) { return p.fd == fd; }),
        list.end());
    if (list.empty()) pool_.erase(it);
  }
  pool_fds_.erase(f);
  ::close(fd);
}

void ProxyWorker::pool_expire(std::uint64_t now) {
  for (auto it = pool_.begin(); it != pool_.end();) {
    auto& list = it->second;
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
    it = keep ? std::next(it) : pool_.erase(it);
  }
}

}  // namespace connperf::proxy
