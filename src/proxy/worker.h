// One proxy worker thread: its event loop, listeners, sessions, idle upstream pool, relay
// buffers and counters. Everything here runs on the worker's own thread, except wake() and
// stats() (read by the reporter). Internal to src/proxy/: worker.cpp (events, the loop pass,
// closing), relay.cpp (reading and writing both directions, tunnels), exchange.cpp (the HTTP
// phases), upstream.cpp (finding and opening upstream connections, pooling them). Each phase's
// handler returns whether it progressed; advance() goes round until none does.
#pragma once

#include <sys/epoll.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "loop/acceptor.h"
#include "loop/event_loop.h"
#include "proto/http_head.h"
#include "proxy/buffer_pool.h"
#include "proxy/proxy.h"
#include "proxy/resolver.h"
#include "proxy/session.h"
#include "proxy/upstream_pool.h"
#include "stats/proxy_stats.h"

namespace connperf::proxy {

using stats::ProxyCount;

// Token kinds: a session's client side, its upstream side, a listener, a pooled upstream (its
// slot is the fd).
inline constexpr std::uint8_t kClientKind = 0;
inline constexpr std::uint8_t kUpstreamKind = 1;
inline constexpr std::uint8_t kListenerKind = 2;
inline constexpr std::uint8_t kPoolKind = 3;
inline constexpr std::uint64_t kLingerNs = 2000 * loop::kMs;  // reading a closing client's rest
inline constexpr std::uint8_t kMaxInterims = 16;  // 1xx heads before a final response
// Edge-triggered, registered once: readiness is kept in the relays (Relay::ready, ::blocked)
// and every loop pass does what it allows, so interest never changes.
inline constexpr std::uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

// What a step of a phase did: nothing it can do until an edge comes, moved bytes or state, or
// ended the phase (a new phase, or the session closed): its caller returns.
enum class Step : std::uint8_t { Idle, Moved, Ended };
// Adds what a step did to `so_far`; false when it ended the phase.
inline bool go_on(Step& so_far, Step step) noexcept {
  so_far = std::max(so_far, step);
  return step != Step::Ended;
}

class ProxyWorker final : public loop::Handler {
 public:
  ProxyWorker(Proxy& proxy, unsigned index);
  void add_listener(net::Fd fd) { acceptor_.add(std::move(fd)); }
  void run(std::uint64_t t0);
  void wake() noexcept { loop_.wake(); }
  const stats::ProxyStats& stats() const noexcept { return stats_; }

  void on_io(loop::Token token, std::uint32_t events) override;
  void on_deadline(std::uint64_t now) override;
  void on_wake() override;
  void on_batch_end() override;  // sessions that used up their rounds go on

 private:
  // worker.cpp: accepting, the loop pass, ending.
  void accept_burst(std::size_t li);
  bool allowed(const net::SockAddr& peer) const noexcept;
  std::uint32_t adopt(int fd);
  loop::Token client_token(std::uint32_t id) const noexcept;
  loop::Token upstream_token(std::uint32_t id) const noexcept;
  // The work an event made possible, until nothing moves: reads while the relays have room,
  // the phase's handler, writes while the sockets take them.
  void advance(std::uint32_t id);
  bool run_phase(std::uint32_t id);  // the phase's handler: true when it progressed
  // A reply of the proxy's own; the connection closes after it.
  void fail(std::uint32_t id, int status, std::string_view why);
  // Phase::Closing: the rest goes to the client, then our FIN; what the client still sends is
  // read and dropped until it closes (closing with unread data would reset the connection and
  // could destroy the reply in flight), for at most kLingerNs.
  void start_closing(std::uint32_t id);
  bool closing(std::uint32_t id);
  bool drain_closing(std::uint32_t id);
  void client_failed(std::uint32_t id);  // the client broke off, or ended inside a request
  void abort_client(std::uint32_t id);   // a reset to the client, then the session closes
  void leave_lookup(std::uint32_t id);   // a session that waited for a name no longer does
  void check_timeout(std::uint32_t id, std::uint64_t now);
  void close_session(std::uint32_t id);

  // relay.cpp: bytes in and out. Reads return true when something moved.
  bool read_client(std::uint32_t id);
  bool read_upstream(std::uint32_t id);
  // Tunnels: from a socket into the relay's pipe. EAGAIN with bytes in the pipe may mean the
  // pipe is out of slots rather than the socket empty, so readiness is kept until it drains.
  bool splice_in(std::uint32_t id, Relay& r, int from);
  Step splice_out(std::uint32_t id, Relay& r, int to, ProxyCount counter);
  Step flush_up(std::uint32_t id);  // the head and the cleared bytes
  Step flush_down(std::uint32_t id);
  bool tunnel(std::uint32_t id);  // Phase::Tunnel: an end of stream passes on as a shutdown

  // exchange.cpp: Phase::Head, then Phase::Exchange.
  bool request_head(std::uint32_t id);
  void start_request(std::uint32_t id, std::size_t head_len);
  // Whether the request can go on; if not, the proxy's reply says why.
  bool forwardable(std::uint32_t id, proto::AbsoluteUri& uri, proto::BodyFramer::Kind& kind,
                   std::uint64_t& length);
  void start_tunnel(std::uint32_t id, std::size_t head_len);
  bool exchange(std::uint32_t id);
  Step frame_request(std::uint32_t id);
  Step response_head(std::uint32_t id);
  void start_response(std::uint32_t id);
  Step response_body(std::uint32_t id);
  // The upstream ended before any response byte: a kept connection may have been closed by the
  // origin just as the request went out, so a request without a body is sent once more.
  void upstream_ended(std::uint32_t id);
  // The upstream broke the exchange: a 502 if the client has seen nothing yet, else the client
  // gets what arrived and then a reset, so it sees the response is cut short.
  void upstream_broken(std::uint32_t id, std::string_view why);
  void end_exchange(std::uint32_t id);

  // upstream.cpp: the connection to the origin.
  void lookup(std::uint32_t id);
  void on_resolved(Answer& a);
  std::uint64_t lookup_tag(std::uint32_t id) const noexcept { return client_token(id).pack(); }
  void connect_next(std::uint32_t id);
  void finish_connect(std::uint32_t id);
  void open_tunnel(std::uint32_t id);  // connected for CONNECT: the 200, pipes, buffers
  // A connection that finished its exchange cleanly waits in the pool for the next request of
  // any client to the same origin; epoll tells if the origin closes it meanwhile.
  void park_upstream(Session& s);
  bool take_pooled(std::uint32_t id);

  Proxy& proxy_;
  const ProxySpec& spec_;
  loop::EventLoop loop_;
  Inbox inbox_;
  std::vector<Answer> answers_;
  loop::Acceptor acceptor_{loop_, kListenerKind};
  std::vector<Session> sessions_;
  std::vector<std::uint32_t> free_;
  BufferPool buffers_;
  UpstreamPool upstreams_;
  // Sessions that still had work when advance() ran out of rounds: no new edge may come for
  // it, so they go on after the batch (id, gen).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> deferred_, deferred_now_;
  stats::ProxyStats stats_;
  proto::Head head_;  // scratch: the head being parsed
  std::uint64_t live_ = 0;
  std::uint64_t max_sessions_ = 0;
  std::uint64_t sweep_ns_ = 0;
};

}  // namespace connperf::proxy
