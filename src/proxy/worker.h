// One proxy worker thread: its event loop, listeners, sessions, idle upstream pool, relay
// buffers and counters. Everything here runs on the worker's own thread, except wake() and
// stats() (read by the reporter). Internal to src/proxy/.
#pragma once

#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "loop/acceptor.h"
#include "loop/event_loop.h"
#include "proto/http_head.h"
#include "proxy/proxy.h"
#include "proxy/resolver.h"
#include "proxy/session.h"
#include "stats/proxy_stats.h"

namespace connperf::proxy {

using stats::ProxyCount;

using loop::kMs;
// Token kinds: a session's client side, its upstream side, a listener, an idle pooled upstream
// (its slot is the fd).
inline constexpr std::uint8_t kClientKind = 0;
inline constexpr std::uint8_t kUpstreamKind = 1;
inline constexpr std::uint8_t kListenerKind = 2;
inline constexpr std::uint8_t kPoolKind = 3;
inline constexpr std::uint64_t kLingerNs = 2000 * kMs;  // reading a closing client's rest
inline constexpr std::size_t kSpareBuffers = 256;       // relay buffers kept per worker
// Idle upstream connections kept for any client of the worker: at most this many, this long
// (shorter than common server keep-alive timeouts, so the origin rarely closes one under us).
inline constexpr std::size_t kPoolMax = 512;
inline constexpr std::uint64_t kPoolIdleNs = 4000 * kMs;
// 1xx heads accepted before a final response (100 Continue, 103 Early Hints, ...).
inline constexpr std::uint8_t kMaxInterims = 16;
// Edge-triggered, registered once: readiness is kept in the relays (Relay::ready, ::blocked)
// and every loop pass does what it allows, so interest never changes.
inline constexpr std::uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

// This worker's part of a total spread over `parts` workers (at least 1).
inline std::uint64_t share(std::uint64_t total, unsigned parts, unsigned index) {
  return std::max<std::uint64_t>(1, total / parts + (index < total % parts ? 1 : 0));
}

class ProxyWorker final : public loop::Handler {
 public:
  ProxyWorker(Proxy& proxy, unsigned index) : proxy_(proxy), spec_(proxy.spec_), inbox_(loop_) {
    max_sessions_ = share(spec_.max_connections, spec_.threads, index);
    sweep_ns_ = std::clamp<std::uint64_t>(
        std::min(spec_.idle_timeout_ns, spec_.upstream_timeout_ns) / 4, 10 * kMs, 250 * kMs);
  }

  void add_listener(net::Fd fd) { acceptor_.add(std::move(fd)); }

  void run(std::uint64_t t0);
  void wake() noexcept { loop_.wake(); }
  const stats::ProxyStats& stats() const noexcept { return stats_; }

  void on_io(loop::Token token, std::uint32_t events) override;
  void on_deadline(std::uint64_t now) override;
  void on_wake() override;
  void on_batch_end() override;  // sessions that used up their rounds go on

 private:
  // Accepting.

  void accept_burst(std::size_t li);
  bool allowed(const net::SockAddr& peer) const noexcept;
  std::uint32_t adopt(int fd);
  loop::Token client_token(std::uint32_t id) const noexcept {
    return {id, sessions_[id].gen, kClientKind};
  }
  loop::Token upstream_token(std::uint32_t id) const noexcept {
    return {id, sessions_[id].up_gen, kUpstreamKind};
  }

  // Events.

  // Reads what the client sent, if the relay has room. False when nothing moved.
  bool read_client(std::uint32_t id);
  bool read_upstream(std::uint32_t id);

  // Tunnels: from a socket into the relay's pipe. EAGAIN with bytes in the pipe may mean the
  // pipe is out of slots rather than the socket empty, so readiness is kept until it drains.
  bool splice_in(std::uint32_t id, Relay& r, int from);

  // From the pipe to the other socket. False when the session ended.
  bool splice_out(std::uint32_t id, Relay& r, int to, ProxyCount counter);

  // The work an event made possible, until nothing moves: reads while the relays have room,
  // the phase's framing, writes while the sockets take them.
  void advance(std::uint32_t id);
  static std::array<std::size_t, 11> signature(const Session& s) noexcept;

  // Phase::Head: a complete request head starts the next exchange.

  void request_head(std::uint32_t id);
  void start_request(std::uint32_t id, std::size_t head_len);
  void start_tunnel(std::uint32_t id, std::size_t head_len);

  // Upstream connections.

  void lookup(std::uint32_t id);
  void on_resolved(Answer& a);
  void connect_next(std::uint32_t id);
  void finish_connect(std::uint32_t id);

  // Without a pipe (no fds left) the tunnel copies through the buffer instead.
  void open_pipes(Relay& r);
  void close_upstream(Session& s);
  void detach_upstream(Session& s);

  // Phase::Exchange: frame the request going up and the response coming down.

  void exchange(std::uint32_t id);
  void response_head(std::uint32_t id);
  void start_response(std::uint32_t id);
  void response_body(std::uint32_t id);

  // The upstream ended before any response byte: a kept connection may have been closed by the
  // origin just as the request went out, so a request without a body is tried once more.
  void upstream_ended(std::uint32_t id);

  // The upstream broke the exchange: a 502 if the client has seen nothing yet, else the client
  // gets what arrived and then the close, so it sees the response is cut short.
  void upstream_broken(std::uint32_t id, std::string_view why);
  void end_exchange(std::uint32_t id);

  // Phase::Tunnel: everything passes; an end of stream is passed on as a shutdown.

  void tunnel(std::uint32_t id);

  // Writing.

  // Sends the head and the cleared bytes upstream. False when the session's phase changed.
  bool flush_up(std::uint32_t id);
  bool flush_down(std::uint32_t id);
  void advance_sent(Relay& r, std::size_t n, ProxyCount counter);

  // Ending.

  // A reply of the proxy's own; the connection closes after it.
  void fail(std::uint32_t id, int status, std::string_view why);

  // Phase::Closing: the rest goes to the client, then our FIN; what the client still sends is
  // read and dropped until it closes (closing with unread data would reset the connection and
  // could destroy the reply in flight), for at most kLingerNs.
  void start_closing(std::uint32_t id);
  void closing(std::uint32_t id);
  bool drain_closing(std::uint32_t id);

  // The client reset or broke its connection, or ended in the middle of a request.
  void client_failed(std::uint32_t id);
  void abort_client(std::uint32_t id);  // a reset to the client, then the session closes
  void leave_lookup(std::uint32_t id);  // a session that waited for a name no longer does
  std::uint64_t lookup_tag(std::uint32_t id) const noexcept { return client_token(id).pack(); }
  void check_timeout(std::uint32_t id, std::uint64_t now);

  // The idle upstream pool, keyed by the target as written in requests ("host:port").

  static std::string pool_key(const Session& s) { return s.host + ':' + std::to_string(s.port); }

  // An upstream connection that finished its exchange cleanly waits here for the next request
  // of any client to the same target; epoll tells if the origin closes it meanwhile.
  void park_upstream(Session& s);
  bool pool_take(std::uint32_t id);

  // The origin closed (or wrote to) an idle connection.
  void pool_drop(int fd);
  void pool_expire(std::uint64_t now);

  // Relay buffers: taken when a connection has bytes to hold, given back when it is idle, kept
  // for reuse up to a bound (no zeroing, no trip through the allocator per request).
  std::unique_ptr<char[]> take_buffer();
  void release_buffer(Relay& r);
  void close_session(std::uint32_t id);
  Proxy& proxy_;
  const ProxySpec& spec_;
  loop::EventLoop loop_;
  Inbox inbox_;
  std::vector<Answer> answers_;
  loop::Acceptor acceptor_{loop_, kListenerKind};
  std::vector<Session> sessions_;
  std::vector<std::uint32_t> free_;
  std::vector<std::unique_ptr<char[]>> spare_;
  struct Pooled {
    int fd;
    std::uint64_t since;
  };
  std::unordered_map<std::string, std::vector<Pooled>> pool_;
  // Sessions that still had work when advance() ran out of rounds: no new edge may come for
  // it, so they go on after the batch (id, gen).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> deferred_, deferred_now_;
  std::unordered_map<int, std::string> pool_fds_;
  stats::ProxyStats stats_;
  proto::Head head_;  // scratch: the head being parsed
  std::uint64_t live_ = 0;
  std::uint64_t max_sessions_ = 0;
  std::uint64_t sweep_ns_ = 0;
};

}  // namespace connperf::proxy
