// The session's upstream connection: a kept one from the pool, or the name resolved (off the
// loop), the addresses tried in turn, and, for CONNECT, the tunnel's pipes once connected.
#include <fmt/format.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/socket.h"
#include "proxy/rewrite.h"
#include "proxy/worker.h"

namespace connperf::proxy {

void ProxyWorker::lookup(std::uint32_t id) {
  Session& s = sessions_[id];
  s.next_addr = 0;
  s.connect_error = {};
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
  if (!s.open() || s.gen != tag.gen || s.phase != Phase::Lookup) return;
  if (!a.error.empty()) {
    fail(id, 502, a.error);
  } else {
    s.addrs = std::move(a.addresses);
    connect_next(id);
  }
  if (sessions_[id].open()) advance(id);
}

void ProxyWorker::connect_next(std::uint32_t id) {
  Session& s = sessions_[id];
  while (s.next_addr < s.addrs.size()) {
    const net::SockAddr& a = s.addrs[s.next_addr++];
    net::Result r = net::tcp_socket(a.family());
    if (!r.ok()) {
      s.connect_error = r;
      continue;
    }
    const int fd = static_cast<int>(r.value);
    (void)net::set_nodelay(fd);
    r = net::connect_to(fd, a);
    if (!r.ok() && r.err != net::Err::InProgress) {
      s.connect_error = r;
      ::close(fd);
      continue;
    }
    s.upstream = fd;
    ++s.up_gen;
    s.phase = Phase::Connect;
    s.last_active = loop::now_ns();
    if (!loop_.add(fd, kEvents, upstream_token(id)).ok()) {
      s.close_upstream();
      continue;
    }
    return;
  }
  const std::string where = fmt::format("{}:{}", s.host, s.port);
  if (s.connect_error.err == net::Err::Refused)
    return fail(id, 502, "connection refused by " + where);
  fail(id, 502,
       fmt::format("cannot connect to {}: {}", where,
                   s.connect_error.ok() ? std::string("no address")
                                        : net::errno_text(s.connect_error.sys_errno)));
}

void ProxyWorker::finish_connect(std::uint32_t id) {
  Session& s = sessions_[id];
  const net::Result r = net::pending_error(s.upstream);
  if (!r.ok()) {
    s.connect_error = r;
    s.close_upstream();
    return connect_next(id);
  }
  stats_.add(ProxyCount::UpstreamConnects);
  s.last_active = loop::now_ns();
  s.up.blocked = false;
  s.down.ready = true;
  if (s.ex.method == Method::Connect) return open_tunnel(id);
  s.phase = Phase::Exchange;
}

void ProxyWorker::open_tunnel(std::uint32_t id) {
  Session& s = sessions_[id];
  stats_.add(ProxyCount::Tunnels);
  s.up.open_pipe(spec_.buffer);
  s.down.open_pipe(spec_.buffer);
  if (spec_.tunnel_buffer > 0) {  // a second hop wants deep queues on both ends (bench/proxy.sh)
    (void)net::set_buffers(s.client, static_cast<int>(spec_.tunnel_buffer));
    (void)net::set_buffers(s.upstream, static_cast<int>(spec_.tunnel_buffer));
  }
  s.phase = Phase::Tunnel;
  s.ex.reply = Reply::Done;  // the 200 is all the reply there is
  s.down.head.assign(kConnectEstablished);
  s.down.head_off = 0;
}

void ProxyWorker::park_upstream(Session& s) {
  const int fd = s.upstream;
  if (upstreams_.full() || s.down.buffered() > 0 || s.down.eof ||
      !loop_.modify(fd, EPOLLIN | EPOLLRDHUP | EPOLLET,
                    {static_cast<std::uint32_t>(fd), 0, kPoolKind})
           .ok() ||
      !upstreams_.park(s.host, s.port, fd, loop::now_ns()))
    return s.close_upstream();
  s.detach_upstream();
}

bool ProxyWorker::take_pooled(std::uint32_t id) {
  Session& s = sessions_[id];
  const int fd = upstreams_.take(s.host, s.port);
  if (fd < 0) return false;
  s.upstream = fd;
  ++s.up_gen;
  s.down.ready = true;
  s.up.blocked = false;
  if (!loop_.modify(fd, kEvents, upstream_token(id)).ok()) {
    s.close_upstream();
    return false;
  }
  return true;
}

}  // namespace connperf::proxy
