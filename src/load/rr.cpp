#include "load/rr.h"

#include <sys/epoll.h>

#include <algorithm>
#include <queue>

#include "load/connect.h"
#include "load/engine_impl.h"
#include "load/objects.h"
#include "load/tls_client.h"
#include "loop/event_loop.h"
#include "net/socket.h"
#include "proto/http.h"
#include "stats/conn_log.h"

namespace connperf::load {

namespace {

constexpr std::uint64_t kRetryNs = 10 * kMs;  // before reconnecting after a failed connection
constexpr std::size_t kRrReadBuf = 64 * 1024;

}  // namespace

struct RrConn {
  // --tls: Connecting, Handshaking, then as without.
  enum class State : std::uint8_t { Closed, Connecting, Handshaking, Idle, Sending, Reading };
  int fd = -1;
  std::uint32_t gen = 0;
  State state = State::Closed;
  std::uint16_t target = 0;
  std::uint8_t object = 0;      // --object: the size asked for, an index into the list
  bool reconnect = false;       // the response said the connection ends
  std::size_t sent = 0;
  std::size_t got = 0;          // echo payload bytes received and checked
  std::uint64_t t_connect = 0;
  std::uint64_t t_est = 0;      // --tls: connected, the handshake begins
  std::uint64_t t_sched = 0;    // when this request was due
  std::uint64_t t_sent = 0;
  std::uint64_t deadline = 0;
  std::uint64_t next_due = 0;   // open loop: the next request's scheduled time
  std::uint64_t sends = 0;      // open loop with phases: requests scheduled on this slot so far
  bool has_sent = false;        // a request went out on this slot (its schedule has begun)
  bool answered = false;        // a response came back on this slot (fairness: who got any)
  bool first_byte = false;      // the current response's first byte came (its ttfb is counted)
  bool logged = false;          // --log-connections: this connection is recorded when it ends
  std::uint32_t requests = 0;   // completed on this connection
  SSL* ssl = nullptr;           // --tls
  proto::ResponseFramer framer;
};

class RrWorker final : public loop::Handler {
 public:
  RrWorker(RrEngine& engine, unsigned index)
      : engine_(engine), spec_(engine.spec()), connector_(spec_, index),
        requests_(spec_.requests()), objects_(spec_.objects, index, stats_) {
    const unsigned n = spec_.threads;
    conns_.resize(share(spec_.connections, n, index));
    quota_ = spec_.count ? share(spec_.count, n, index) : UINT64_MAX;
    if (spec_.rate > 0) interval_ns_ = loop::ns_between(spec_.rate / spec_.connections);
    conn_rate_ = spec_.rate / spec_.connections;
    sweep_ns_ = std::clamp<std::uint64_t>(spec_.timeout_ns / 8, kMs, 100 * kMs);
    log_ = stats::ConnLogger(spec_.log.get(), index, conns_.size());
    if (spec_.tls.on) tls_ = std::make_unique<TlsClient>(spec_.tls);
  }

  void run(std::uint64_t t0) {
    t0_ = t0;
    const std::uint64_t now = loop::now_ns();
    next_sweep_ = now + sweep_ns_;
    for (std::uint32_t i = 0; i < conns_.size(); ++i) {
      // Open loop: connections start their schedules spread over one interval.
      conns_[i].next_due = t0 + offset(i);
      connect(i, now);
    }
    progress(now);
    if (!done_) loop_.run(*this);
  }

  void wake() noexcept { loop_.wake(); }
  const stats::ClientStats& stats() const noexcept { return stats_; }
  std::uint64_t aborted() const noexcept { return aborted_; }
  std::uint64_t open() const noexcept { return open_.load(std::memory_order_relaxed); }
  std::uint64_t answered() const noexcept { return answered_pub_.load(std::memory_order_relaxed); }
  const stats::TlsNames& tls_names() const noexcept { return names_of(tls_); }  // after join()

  void on_io(loop::Token token, std::uint32_t events) override {
    const std::uint32_t i = token.slot;
    RrConn& c = conns_[i];
    if (c.gen != token.gen || c.state == RrConn::State::Closed) return;
    const std::uint64_t now = loop::now_ns();
    switch (c.state) {
      case RrConn::State::Connecting: return on_connecting(i, events, now);
      case RrConn::State::Handshaking: return on_handshake(i, now);  // either edge: kConnEvents
      case RrConn::State::Sending:
        // An echo comes back while a large request is still going out: read it too, or both
        // sides' buffers fill and neither moves again.
        if (events & EPOLLOUT) send_rest(i, now);
        if (c.state != RrConn::State::Sending && c.state != RrConn::State::Reading) return;
        [[fallthrough]];
      case RrConn::State::Reading:
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) return on_readable(i, now);
        return;
      case RrConn::State::Idle:
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) return on_idle_event(i, now);
        return;
      case RrConn::State::Closed: return;
    }
  }

  void on_batch_end() override { progress(loop::now_ns()); }

  void on_deadline(std::uint64_t now) override {
    if (now >= next_sweep_) sweep(now);
    while (!timers_.empty() && timers_.top().first <= now) {
      const std::uint32_t i = timers_.top().second;
      timers_.pop();
      RrConn& c = conns_[i];
      if (c.state == RrConn::State::Closed) connect(i, now);
      else if (c.state == RrConn::State::Idle) try_send(i, now);
    }
    progress(now);
  }

  void on_wake() override {
    const loop::Phase phase = engine_.phase();
    if (phase == loop::Phase::Stopping) return finish();
    if (phase == loop::Phase::Draining) {
      draining_ = true;
      progress(loop::now_ns());
    }
  }

 private:
  // The echo payload: a pattern that makes a shifted or mixed-up reply visible.
  char payload_byte(std::size_t i) const noexcept {
    return static_cast<char>('a' + (i * 7 + i / 26) % 26);
  }

  void progress(std::uint64_t /*now*/) {
    if (done_) return;
    open_.store(open_count_, std::memory_order_relaxed);
    answered_pub_.store(answered_, std::memory_order_relaxed);
    stats_.set_in_flight(outstanding_);
    if ((draining_ || started_ >= quota_) && outstanding_ == 0) return finish();
    std::uint64_t when = next_sweep_;
    if (!timers_.empty()) when = std::min(when, timers_.top().first);
    loop_.set_deadline(std::max<std::uint64_t>(when, 1));
  }

  void connect(std::uint32_t i, std::uint64_t now) {
    RrConn& c = conns_[i];
    if (draining_ || started_ >= quota_) return;
    c.target = connector_.next_target();
    c.logged = log_.pick();
    net::Fd fd;
    net::Result r = connector_.open(c.target, fd, c.t_connect, true);
    if (c.logged) log_opened(i, fd.get());
    if (!r.ok()) return start_failed(i, failure_of(r), now);
    ++c.gen;
    if (r = loop_.add(fd.get(), kConnEvents, {i, c.gen}); !r.ok())
      return start_failed(i, failure_of(r), now);
    c.requests = 0;
    c.t_est = 0;
    c.fd = fd.release();
    c.state = RrConn::State::Connecting;
    c.deadline = now + spec_.timeout_ns;
    c.reconnect = false;
    ++open_count_;
  }

  // A connection that could not be made costs the request that wanted it.
  void connect_failed(std::uint32_t i, Failure f, std::uint64_t now) {
    if (draining_ || started_ >= quota_) return;  // no request wanted it any more
    ++started_;
    stats_.started();
    stats_.error(f.kind, f.sys_errno);
    timers_.push({now + kRetryNs, i});
  }

  // A connection that could not be made, before it had a socket to wait on.
  [[gnu::cold, gnu::noinline]] void start_failed(std::uint32_t i, Failure f, std::uint64_t now) {
    if (conns_[i].logged) log_end(i, -1, stats::to_end(f.kind), f.sys_errno);
    connect_failed(i, f, now);
  }

  void on_connecting(std::uint32_t i, std::uint32_t events, std::uint64_t now) {
    RrConn& c = conns_[i];
    if (events & (EPOLLERR | EPOLLHUP)) {
      const Failure f = connect_failure(c.fd);
      close(i, stats::to_end(f.kind), f.sys_errno);
      return connect_failed(i, f, now);
    }
    if (!(events & EPOLLOUT)) return;
    stats_.connect_us().record(loop::us_from_ns(now - c.t_connect));
    c.t_est = now;
    if (tls_) return begin_handshake(i, now);
    ready(i, now);
  }

  // --tls: the handshake starts once connected; a failed one costs a request, as a failed
  // connect does.
  void begin_handshake(std::uint32_t i, std::uint64_t now) {
    RrConn& c = conns_[i];
    c.ssl = tls_->open(c.fd);
    c.t_est = now;
    c.state = RrConn::State::Handshaking;
    if (!c.ssl) return handshake_failed(i, {stats::ErrorKind::TlsFailed}, now);
    on_handshake(i, now);
  }

  void on_handshake(std::uint32_t i, std::uint64_t now) {
    Failure why;
    const tls::Outcome o = tls_->step(conns_[i].ssl, conns_[i].t_est, stats_, why);
    if (o == tls::Outcome::Done) return ready(i, loop::now_ns());
    if (o == tls::Outcome::Failed) handshake_failed(i, why, now);
  }

  void handshake_failed(std::uint32_t i, Failure why, std::uint64_t now) {
    close(i, stats::to_end(why.kind), why.sys_errno);
    connect_failed(i, why, now);
  }

  // Connected (and with --tls, the handshake done): the connection takes requests.
  void ready(std::uint32_t i, std::uint64_t now) {
    RrConn& c = conns_[i];
    c.state = RrConn::State::Idle;
    // Open loop: a replaced connection goes on with its schedule, so requests that fell due
    // meanwhile go now, their latency counted from when they were due; a first connection
    // starts its schedule when it is open.
    if (interval_ns_ == 0 || (!c.has_sent && c.next_due < now)) c.next_due = now;
    try_send(i, now);
  }

  void try_send(std::uint32_t i, std::uint64_t now) {
    RrConn& c = conns_[i];
    if (draining_ || started_ >= quota_) return;
    if (interval_ns_ > 0 && c.next_due > now) {
      if (c.next_due != UINT64_MAX) timers_.push({c.next_due, i});  // MAX: its ramp-down ended
      return;
    }
    if (held_by_ramp(now)) {
      timers_.push({now + kRampStepNs, i});
      return;
    }
    c.t_sched = interval_ns_ > 0 ? c.next_due : now;
    if (interval_ns_ > 0) c.next_due = next_due(i, c, c.next_due);
    ++started_;
    ++outstanding_;
    stats_.started();
    c.has_sent = true;
    c.object = objects_.pick();
    c.sent = 0;
    c.got = 0;
    c.first_byte = false;
    c.deadline = now + spec_.timeout_ns;
    if (spec_.request == RequestKind::Http) c.framer.reset();
    c.state = RrConn::State::Sending;
    send_rest(i, now);
  }

  // Open loop: connections start their schedules spread over one interval.
  std::uint64_t offset(std::uint32_t i) const {
    return static_cast<std::uint64_t>(interval_ns_ * i / static_cast<double>(conns_.size()));
  }
  // Open loop: the request after the one due at `due`; with phases the k-th of the slot's
  // schedule, the rate following them (UINT64_MAX once its ramp-down ended).
  std::uint64_t next_due(std::uint32_t i, RrConn& c, std::uint64_t due) const {
    if (!spec_.phases.on()) return due + static_cast<std::uint64_t>(interval_ns_);
    const auto at = arrival_ns(spec_.phases, conn_rate_, ++c.sends);
    return at ? t0_ + offset(i) + *at : UINT64_MAX;
  }
  // Closed loop: a ramp lets only its share of the connections have a request out.
  bool held_by_ramp(std::uint64_t now) const {
    return interval_ns_ == 0 && spec_.phases.on() &&
           outstanding_ >= allowed_at(spec_.phases, conns_.size(), now > t0_ ? now - t0_ : 0);
  }

  std::size_t request_size(const RrConn& c) const {
    return spec_.size ? spec_.size : request_of(c).size();
  }

  const std::string& request_of(const RrConn& c) const noexcept {
    return requests_[objects_.request_index(c.target, c.object)];
  }

  void send_rest(std::uint32_t i, std::uint64_t now) {
    RrConn& c = conns_[i];
    const std::size_t total = request_size(c);
    while (c.sent < total) {
      const char* data = spec_.size ? chunk_of_payload(c.sent, total) : request_of(c).data() + c.sent;
      const std::size_t len = spec_.size ? std::min(total - c.sent, sizeof payload_buf_) : total - c.sent;
      const net::Result r = c.ssl ? tls_send(c, data, len) : net::send_some(c.fd, data, len);
      if (r.err == net::Err::WouldBlock) return;
      if (!r.ok()) return fail(i, io_failure(c, r), now);
      c.sent += static_cast<std::size_t>(r.value);
    }
    c.t_sent = now;
    c.state = RrConn::State::Reading;
  }

  const char* chunk_of_payload(std::size_t from, std::size_t total) {
    const std::size_t len = std::min(total - from, sizeof payload_buf_);
    for (std::size_t k = 0; k < len; ++k) payload_buf_[k] = payload_byte(from + k);
    return payload_buf_;
  }

  // Inlined into on_io, as before --tls: out of line it cost 30 instructions more per request.
  [[gnu::always_inline]] void on_readable(std::uint32_t i, std::uint64_t now) {
    for (;;) {
      RrConn& c = conns_[i];
      if (c.state != RrConn::State::Reading && c.state != RrConn::State::Sending) return;
      const net::Result r = read_bytes(c);
      if (r.err == net::Err::WouldBlock) return;
      if (!r.ok()) return fail(i, io_failure(c, r), now);
      if (r.value == 0) {
        if (spec_.request == RequestKind::Http && c.framer.on_eof() == proto::FrameStatus::Complete)
          return framed(i, now, true);
        return fail(i, {stats::ErrorKind::ClosedEarly}, now);
      }
      if (!c.first_byte && c.state == RrConn::State::Reading) {
        c.first_byte = true;
        stats_.ttfb_us().record(loop::us_from_ns(now - c.t_sent));
      }
      if (!take(i, static_cast<std::size_t>(r.value), now)) return;
    }
  }

  // Returns false when the response ended (or failed) with these bytes.
  bool take(std::uint32_t i, std::size_t n, std::uint64_t now) {
    RrConn& c = conns_[i];
    if (spec_.size) {
      for (std::size_t k = 0; k < n; ++k) {
        if (c.got + k >= spec_.size || buf_[k] != payload_byte(c.got + k))
          return fail(i, {stats::ErrorKind::BadResponse}, now), false;
      }
      c.got += n;
      if (c.got < spec_.size) return true;
      return complete(i, now, false), false;
    }
    if (spec_.request != RequestKind::Http) return complete(i, now, false), false;
    std::size_t used = 0;
    const proto::FrameStatus s = c.framer.feed(buf_, n, used);
    if (s == proto::FrameStatus::NeedMore) return true;
    if (s == proto::FrameStatus::Error || used < n)  // bytes nobody asked for: not a clean reply
      return fail(i, {stats::ErrorKind::BadResponse}, now), false;
    return framed(i, now, !c.framer.keep_alive()), false;
  }

  // An HTTP response read in full: its body counted, or the error it is (--object).
  void framed(std::uint32_t i, std::uint64_t now, bool reconnect) {
    const stats::ErrorKind why = objects_.done(conns_[i].framer, conns_[i].object);
    if (why != stats::ErrorKind::Count) return fail(i, {why}, now);
    complete(i, now, reconnect);
  }

  void complete(std::uint32_t i, std::uint64_t now, bool reconnect) {
    RrConn& c = conns_[i];
    stats_.response_us().record(loop::us_from_ns(now - c.t_sent));
    stats_.total_us().record(loop::us_from_ns(now - c.t_sched));
    stats_.completed();
    ++c.requests;
    --outstanding_;
    if (!c.answered) [[unlikely]] {
      c.answered = true;
      ++answered_;
    }
    c.state = RrConn::State::Idle;
    if (reconnect) {
      close(i, stats::to_end(stats::ConnEnd::Closed));
      return connect(i, now);
    }
    try_send(i, now);
  }

  // The TLS side and the errors stay out of line: the plaintext read loop is inlined whole.
  net::Result read_bytes(const RrConn& c) noexcept {
    if (c.ssl) [[unlikely]] return tls_read(c);
    return net::read_some(c.fd, buf_, sizeof buf_);
  }
  [[gnu::noinline]] static net::Result tls_send(const RrConn& c, const char* data,
                                                std::size_t len) noexcept {
    return tls::send_some(c.ssl, data, len);
  }
  [[gnu::noinline]] net::Result tls_read(const RrConn& c) noexcept {
    return tls::read_some(c.ssl, buf_, sizeof buf_);
  }
  [[gnu::noinline, gnu::cold]] static Failure io_failure(const RrConn& c,
                                                         const net::Result& r) noexcept {
    return c.ssl ? TlsClient::io_failure(r) : failure_of(r);
  }

  // A request that failed: counted, and its connection replaced.
  void fail(std::uint32_t i, Failure f, std::uint64_t now) {
    RrConn& c = conns_[i];
    if (c.state == RrConn::State::Sending || c.state == RrConn::State::Reading) --outstanding_;
    stats_.error(f.kind, f.sys_errno);
    close(i, stats::to_end(f.kind), f.sys_errno);
    timers_.push({now + (f.kind == stats::ErrorKind::Timeout ? 0 : kRetryNs), i});
  }

  // An idle connection the server closed or reset: replaced without counting a request. With
  // --tls a 1.3 ticket arriving after the handshake is read here too.
  void on_idle_event(std::uint32_t i, std::uint64_t now) {
    const net::Result r = read_bytes(conns_[i]);
    if (r.err == net::Err::WouldBlock || (r.ok() && r.value > 0)) return;
    close(i, stats::to_end(stats::ConnEnd::PeerClosed));
    connect(i, now);
  }

  // `end`: how it ended, for its record (ErrorKind or ConnEnd).
  void close(std::uint32_t i, std::uint8_t end, int sys_errno = 0) {
    RrConn& c = conns_[i];
    if (c.fd < 0) return;
    if (c.logged) log_end(i, c.fd, end, sys_errno);
    if (c.ssl) tls_->close(c.ssl);
    net::set_linger_rst(c.fd);
    net::Fd closing(c.fd);
    c.fd = -1;
    c.state = RrConn::State::Closed;
    --open_count_;
  }

  // --log-connections (cold: only the sampled connections come here).
  [[gnu::cold, gnu::noinline]] void log_opened(std::uint32_t i, int fd) {
    conns_[i].t_est = 0;
    log_.opened(i, fd);
  }

  [[gnu::cold, gnu::noinline]] void log_end(std::uint32_t i, int fd, std::uint8_t end,
                                            int sys_errno) {
    const RrConn& c = conns_[i];
    stats::ConnRecord r = stats::conn_record(t0_, c.t_connect, c.t_est, loop::now_ns(), c.target,
                                             end, sys_errno);
    r.requests = c.requests;
    log_.put(i, fd, r);
  }

  void sweep(std::uint64_t now) {
    next_sweep_ = now + sweep_ns_;
    for (std::uint32_t i = 0; i < conns_.size(); ++i) {
      const RrConn& c = conns_[i];
      const bool opening =
          c.state == RrConn::State::Connecting || c.state == RrConn::State::Handshaking;
      if (opening && now >= c.deadline) {
        close(i, stats::to_end(stats::ErrorKind::Timeout));
        connect_failed(i, {stats::ErrorKind::Timeout}, now);
      } else if ((c.state == RrConn::State::Sending || c.state == RrConn::State::Reading) &&
                 now >= c.deadline) {
        fail(i, {stats::ErrorKind::Timeout}, now);
      }
    }
  }

  void finish() {
    if (done_) return;
    done_ = true;
    aborted_ = outstanding_;
    outstanding_ = 0;
    for (std::uint32_t i = 0; i < conns_.size(); ++i) {
      const RrConn::State st = conns_[i].state;
      const bool busy = st == RrConn::State::Sending || st == RrConn::State::Reading;
      close(i, stats::to_end(busy ? stats::ConnEnd::Aborted : stats::ConnEnd::Closed));
    }
    open_.store(0);
    answered_pub_.store(answered_, std::memory_order_relaxed);
    stats_.set_in_flight(0);
    loop_.set_deadline(0);
    loop_.stop();
  }

  RrEngine& engine_;
  const RrSpec& spec_;
  Connector connector_;
  loop::EventLoop loop_;
  stats::ClientStats stats_;
  std::vector<RrConn> conns_;
  std::vector<std::string> requests_;
  ObjectLoad objects_;  // after stats_
  using Timer = std::pair<std::uint64_t, std::uint32_t>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::uint64_t quota_ = 0;
  std::uint64_t started_ = 0;
  std::uint64_t outstanding_ = 0;
  std::uint64_t aborted_ = 0;
  std::uint64_t open_count_ = 0;
  std::atomic<std::uint64_t> open_{0};
  std::uint64_t answered_ = 0;  // slots with answered set
  std::atomic<std::uint64_t> answered_pub_{0};
  double interval_ns_ = 0;
  double conn_rate_ = 0;    // open loop: each connection's share of --rate
  std::uint64_t t0_ = 0;
  std::uint64_t sweep_ns_ = 0;
  std::uint64_t next_sweep_ = 0;
  bool draining_ = false;
  bool done_ = false;
  stats::ConnLogger log_;  // --log-connections
  std::unique_ptr<TlsClient> tls_;  // --tls
  char payload_buf_[16 * 1024];
  char buf_[kRrReadBuf];
};

}  // namespace connperf::load
template class connperf::loop::WorkerPool<connperf::load::RrWorker>;
namespace connperf::load {
template class LoadEngine<RrWorker>;

RrEngine::RrEngine(RrSpec spec) : spec_(std::move(spec)) {
  spec_.threads = std::max(1u, std::min(spec_.threads, spec_.connections));
  for (unsigned i = 0; i < spec_.threads; ++i) add(std::make_unique<RrWorker>(*this, i));
  pin(spec_.cpus);
}

RrEngine::~RrEngine() {
  stop();
  join();
}

std::uint64_t RrEngine::open_connections() const noexcept {
  return sum<std::uint64_t>([](const RrWorker& w) { return w.open(); });
}

std::uint64_t RrEngine::answered_connections() const noexcept {
  return sum<std::uint64_t>([](const RrWorker& w) { return w.answered(); });
}

}  // namespace connperf::load
