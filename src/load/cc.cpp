#include "load/cc.h"

#include <sys/epoll.h>

#include <algorithm>

#include "load/connect.h"
#include "load/engine_impl.h"
#include "load/objects.h"
#include "load/tls_client.h"
#include "loop/event_loop.h"
#include "net/socket.h"

namespace connperf::load {

struct CcConn {
  // Waiting: a keepalive reply. --tls: Connecting, Handshaking, then Held.
  enum class State : std::uint8_t { Free, Connecting, Handshaking, Held, Waiting };
  int fd = -1;
  std::uint32_t gen = 0;
  State state = State::Free;
  bool logged = false;  // --log-connections: recorded when it ends
  std::uint16_t target = 0;
  std::uint64_t t_connect = 0;
  std::uint64_t t_est = 0;  // connected (with --tls the handshake begins)
  std::uint64_t next = 0;  // connect deadline, next keepalive, or keepalive reply deadline
  SSL* ssl = nullptr;       // --tls
};

// --object: the keepalive reply in progress on a held connection (beside CcConn, only with
// --object, so a held connection stays small without it).
struct CcObjectReply {
  proto::ResponseFramer framer;
  std::uint64_t t_first = 0;  // its first byte came (0: not yet)
  std::uint8_t object = 0;
};

class CcWorker final : public loop::Handler {
 public:
  CcWorker(CcEngine& engine, unsigned index)
      : engine_(engine),
        spec_(engine.spec()),
        connector_(spec_, index),
        requests_(spec_.requests()),
        objects_(spec_.objects, index, ka_),
        objects_on_(!spec_.objects.empty()) {
    quota_ = share(spec_.count, spec_.threads, index);
    if (spec_.ramp > 0) interval_ns_ = loop::ns_between(spec_.ramp / spec_.threads);
    if (spec_.phases.up_ns > 0 && quota_ > 0)  // the quota linearly over the ramp-up
      interval_ns_ = static_cast<double>(spec_.phases.up_ns) / static_cast<double>(quota_);
    log_ = stats::ConnLogger(spec_.log.get(), index, 0);
    if (spec_.tls.on) tls_ = std::make_unique<TlsClient>(spec_.tls);
  }

  void run(std::uint64_t t0) {
    t0_ = t0;
    if (spec_.phases.on()) {  // no new attempt after the sustain phase
      starts_end_ = t0 + spec_.phases.up_ns + spec_.phases.sustain_ns;
      if (spec_.phases.down_ns > 0) down_at_ = starts_end_;
    }
    const std::uint64_t now = loop::now_ns();
    next_sweep_ = now + 10 * kMs;
    progress(now);
    if (engine_.phase() != loop::Phase::Stopping) loop_.run(*this);
    finish();
  }

  void wake() noexcept { loop_.wake(); }
  const stats::ClientStats& stats() const noexcept { return stats_; }
  const stats::ClientStats& keepalive_stats() const noexcept { return ka_; }
  std::uint64_t open() const noexcept { return open_pub_.load(std::memory_order_relaxed); }
  std::uint64_t lost() const noexcept { return lost_.get(); }
  std::uint64_t keepalives() const noexcept { return keepalives_.get(); }
  std::uint64_t closed() const noexcept { return closed_.get(); }
  bool ramp_done() const noexcept { return ramp_done_.load(); }
  std::uint64_t aborted() const noexcept { return aborted_; }
  const stats::TlsNames& tls_names() const noexcept { return names_of(tls_); }  // after join()

  void on_io(loop::Token token, std::uint32_t events) override {
    const std::uint32_t i = token.slot;
    CcConn& c = conns_[i];
    if (c.gen != token.gen || c.state == CcConn::State::Free) return;
    const std::uint64_t now = loop::now_ns();
    if (c.state == CcConn::State::Connecting) return on_connecting(i, events, now);
    if (c.state == CcConn::State::Handshaking) return on_handshake(i, now);  // either edge
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) on_held_readable(i, now);
  }

  void on_batch_end() override { progress(loop::now_ns()); }

  void on_deadline(std::uint64_t now) override {
    if (now >= next_sweep_) sweep(now);
    progress(now);
  }

  void on_wake() override {
    if (engine_.phase() == loop::Phase::Stopping) loop_.stop();
  }

 private:
  void progress(std::uint64_t now) {
    start_due(now);
    std::uint64_t when = next_sweep_;
    if (now >= down_at_) when = std::min(when, ramp_down(now));
    else when = std::min(when, down_at_);
    open_pub_.store(open_, std::memory_order_relaxed);
    stats_.set_in_flight(open_);
    if (started_ >= quota_ && pending_ == 0) ramp_done_.store(true);
    if (started_ < quota_ && now < starts_end_) {
      if (now < paused_until_) when = std::min(when, paused_until_);
      else if (interval_ns_ > 0 && pending_ < spec_.max_pending) when = std::min(when, due_at(started_));
    }
    loop_.set_deadline(std::max<std::uint64_t>(when, 1));
  }

  // The ramp-down: of the quota, as many stay open as the level allows (linear from all to
  // none); the others are closed, oldest slot first. Returns when the next one is due.
  std::uint64_t ramp_down(std::uint64_t now) {
    const Phases& p = spec_.phases;
    const std::uint64_t end = t0_ + p.total_ns();
    const double per_conn = static_cast<double>(p.down_ns) / static_cast<double>(quota_);
    const std::uint64_t keep =
        now >= end ? 0 : static_cast<std::uint64_t>(static_cast<double>(end - now) / per_conn);
    for (std::size_t n = 0; open_ > keep && n < conns_.size(); ++n) {
      if (down_cursor_ >= conns_.size()) down_cursor_ = 0;
      const std::uint32_t i = down_cursor_++;
      const CcConn::State st = conns_[i].state;
      if (st == CcConn::State::Held || st == CcConn::State::Waiting) close_held(i);
    }
    if (open_ == 0) return UINT64_MAX;
    // keep falls below open_ once end - t < open_ * per_conn; closes due together share a wake.
    const auto due = static_cast<std::uint64_t>(static_cast<double>(open_) * per_conn);
    return std::max(now + kMs, end - std::min(due, end) + 1);
  }

  void close_held(std::uint32_t i) {
    closed_.add();
    --open_;
    close(i, stats::to_end(stats::ConnEnd::Closed));
  }

  std::uint64_t due_at(std::uint64_t k) const {
    return t0_ + static_cast<std::uint64_t>(static_cast<double>(k) * interval_ns_);
  }

  void start_due(std::uint64_t now) {
    if (now < paused_until_ || now >= starts_end_) return;
    while (started_ < quota_ && pending_ < spec_.max_pending) {
      if (interval_ns_ > 0 && due_at(started_) > now) return;
      if (!start_one(take_slot(), now)) return;
    }
  }

  // Slots are as many as were ever in use at once (open + connecting), not -n: a closed or failed
  // attempt's slot is taken again, its generation telling late events of the old one apart.
  std::uint32_t take_slot() {
    if (free_.empty()) {
      conns_.emplace_back();
      if (objects_on_) replies_.emplace_back();
      return static_cast<std::uint32_t>(conns_.size() - 1);
    }
    const std::uint32_t i = free_.back();
    free_.pop_back();
    return i;
  }

  bool start_one(std::uint32_t i, std::uint64_t now) {
    CcConn& c = conns_[i];
    c.target = connector_.next_target();
    ++started_;
    stats_.started();
    net::Fd fd;
    net::Result r = connector_.open(c.target, fd, c.t_connect);
    ++c.gen;
    if (r.ok()) r = loop_.add(fd.get(), kConnEvents, {i, c.gen});
    if (!r.ok()) {
      if (log_.on() && log_.pick()) log_failed_start(i, fd.get(), failure_of(r));
      free_.push_back(i);
      return failed(r, now);
    }
    c.logged = log_.on() && log_.pick();
    if (c.logged) log_opened(i, fd.get());
    c.fd = fd.release();
    c.state = CcConn::State::Connecting;
    c.next = now + spec_.timeout_ns;
    ++pending_;
    return true;
  }

  bool failed(const net::Result& r, std::uint64_t now) {
    const Failure f = failure_of(r);
    stats_.error(f.kind, f.sys_errno);
    if (r.err == net::Err::TooManyFiles || r.err == net::Err::AddrUnavailable) {
      paused_until_ = now + kResourceBackoffNs;
      return false;
    }
    return true;
  }

  void on_connecting(std::uint32_t i, std::uint32_t events, std::uint64_t now) {
    CcConn& c = conns_[i];
    if (events & (EPOLLERR | EPOLLHUP)) return attempt_failed(i, connect_failure(c.fd));
    if (!(events & EPOLLOUT)) return;
    stats_.connect_us().record(loop::us_from_ns(now - c.t_connect));
    c.t_est = now;
    if (tls_) return begin_handshake(i, now);
    established(i, now);
    // Edge-triggered: a FIN or data that came with the connect's EPOLLOUT has no later event.
    if (events & (EPOLLIN | EPOLLRDHUP)) on_held_readable(i, now);
  }

  void established(std::uint32_t i, std::uint64_t now) {
    CcConn& c = conns_[i];
    --pending_;
    ++open_;
    stats_.completed();
    c.state = CcConn::State::Held;
    c.next = spec_.keepalive_ns ? now + spec_.keepalive_ns : UINT64_MAX;
  }

  // --tls: the handshake starts once connected; the connection is established when it is done.
  void begin_handshake(std::uint32_t i, std::uint64_t now) {
    CcConn& c = conns_[i];
    c.ssl = tls_->open(c.fd);
    c.state = CcConn::State::Handshaking;
    if (!c.ssl) return attempt_failed(i, {stats::ErrorKind::TlsFailed});
    on_handshake(i, now);
  }

  void on_handshake(std::uint32_t i, std::uint64_t now) {
    Failure why;
    const tls::Outcome o = tls_->step(conns_[i].ssl, conns_[i].t_est, stats_, why);
    if (o == tls::Outcome::Failed) return attempt_failed(i, why);
    if (o != tls::Outcome::Done) return;
    established(i, now);
    on_held_readable(i, now);  // a 1.3 ticket or the peer's close may have come with it
  }

  // An attempt (connecting or handshaking) that ended without a held connection.
  void attempt_failed(std::uint32_t i, Failure f) {
    --pending_;
    close(i, stats::to_end(f.kind), f.sys_errno);
    stats_.error(f.kind, f.sys_errno);
  }

  void on_held_readable(std::uint32_t i, std::uint64_t now) {
    CcConn& c = conns_[i];
    char buf[4096];
    for (;;) {
      const net::Result r = c.ssl ? tls::read_some(c.ssl, buf, sizeof buf)
                                  : net::read_some(c.fd, buf, sizeof buf);
      if (r.err == net::Err::WouldBlock) return tls::release_buffers(c.ssl);  // held: idle
      if (!r.ok() || r.value == 0) return lose(i);
      if (c.state != CcConn::State::Waiting) continue;
      if (!objects_on_) {  // any reply answers the keepalive
        ka_.response_us().record(loop::us_from_ns(now - sent_at(c)));
        answered(i, now);
      } else if (!take_reply(i, buf, static_cast<std::size_t>(r.value), now)) {
        return;
      }
    }
  }

  std::uint64_t sent_at(const CcConn& c) const noexcept { return c.next - spec_.timeout_ns; }

  void answered(std::uint32_t i, std::uint64_t now) {
    keepalives_.add();
    ka_.completed();
    conns_[i].state = CcConn::State::Held;
    conns_[i].next = now + spec_.keepalive_ns;
  }

  // --object: the reply's bytes; false when the connection was lost on them.
  bool take_reply(std::uint32_t i, const char* data, std::size_t n, std::uint64_t now) {
    CcConn& c = conns_[i];
    CcObjectReply& o = replies_[i];
    if (o.t_first == 0) o.t_first = now;
    std::size_t used = 0;
    const proto::FrameStatus st = o.framer.feed(data, n, used);
    if (st == proto::FrameStatus::NeedMore) return true;
    if (st == proto::FrameStatus::Error || used < n) {  // not a clean reply: the link is unsure
      ka_.error(stats::ErrorKind::BadResponse, 0);
      lose(i);
      return false;
    }
    const stats::ErrorKind why = objects_.done(o.framer, o.object);
    if (why != stats::ErrorKind::Count) {  // a whole reply, not the object: counted, still held
      ka_.error(why, 0);
      c.state = CcConn::State::Held;
      c.next = now + spec_.keepalive_ns;
      return true;
    }
    // RFC 9411's ttfb and ttlb, of the transactions that completed.
    ka_.ttfb_us().record(loop::us_from_ns(o.t_first - sent_at(c)));
    ka_.response_us().record(loop::us_from_ns(now - sent_at(c)));
    answered(i, now);
    return true;
  }

  // A keepalive request on held connection i.
  bool send_keepalive(std::uint32_t i, std::uint64_t now) {
    CcConn& c = conns_[i];
    std::uint8_t object = 0;
    if (objects_on_) {
      CcObjectReply& o = replies_[i];
      o.object = object = objects_.pick();
      o.t_first = 0;
      o.framer.reset();
    }
    const std::string& request = requests_[objects_.request_index(c.target, object)];
    const net::Result r = c.ssl ? tls::send_some(c.ssl, request.data(), request.size())
                                : net::send_some(c.fd, request.data(), request.size());
    if (!r.ok()) return false;
    ka_.started();
    c.state = CcConn::State::Waiting;
    c.next = now + spec_.timeout_ns;
    return true;
  }

  void lose(std::uint32_t i) {
    lost_.add();
    --open_;
    close(i, stats::to_end(stats::ConnEnd::Lost));
  }

  // `end`: how it ended, for its record (ErrorKind or ConnEnd).
  void close(std::uint32_t i, std::uint8_t end, int sys_errno = 0) {
    CcConn& c = conns_[i];
    if (c.logged) log_end(i, c.fd, end, sys_errno);
    if (c.ssl) tls_->close(c.ssl);
    net::set_linger_rst(c.fd);
    net::Fd closing(c.fd);
    c.fd = -1;
    c.state = CcConn::State::Free;
    free_.push_back(i);
  }

  // Connect timeouts, keepalives due, keepalive replies overdue. Sweeping every 10 ms costs a
  // pass over the held connections: fine for the hundred-thousand scale this tool holds.
  void sweep(std::uint64_t now) {
    next_sweep_ = now + (spec_.keepalive_ns || pending_ ? 10 * kMs : 100 * kMs);
    for (std::uint32_t i = 0; i < conns_.size(); ++i) {
      CcConn& c = conns_[i];
      if (c.state == CcConn::State::Free || now < c.next) continue;
      if (c.state == CcConn::State::Connecting || c.state == CcConn::State::Handshaking) {
        attempt_failed(i, {stats::ErrorKind::Timeout});
      } else if (c.state == CcConn::State::Waiting) {
        lose(i);
      } else if (!send_keepalive(i, now)) {
        lose(i);
      }
    }
  }

  void finish() {
    aborted_ = pending_;
    for (std::uint32_t i = 0; i < conns_.size(); ++i) {
      const CcConn::State st = conns_[i].state;
      if (st == CcConn::State::Free) continue;
      const bool connecting = st == CcConn::State::Connecting || st == CcConn::State::Handshaking;
      close(i, stats::to_end(connecting ? stats::ConnEnd::Aborted : stats::ConnEnd::Survived));
    }
    open_pub_.store(0);
  }

  // --log-connections (cold: with the log on only).
  [[gnu::cold, gnu::noinline]] void log_opened(std::uint32_t i, int fd) {
    conns_[i].t_est = 0;
    log_.opened(i, fd);
  }

  [[gnu::cold, gnu::noinline]] void log_end(std::uint32_t i, int fd, std::uint8_t end,
                                            int sys_errno) {
    const CcConn& c = conns_[i];
    stats::ConnRecord r = stats::conn_record(t0_, c.t_connect, c.t_est, loop::now_ns(), c.target,
                                             end, sys_errno);
    log_.put(i, fd, r);
  }

  // An attempt that failed before it had a socket to wait on.
  [[gnu::cold, gnu::noinline]] void log_failed_start(std::uint32_t i, int fd, Failure f) {
    log_opened(i, fd);
    log_end(i, fd, stats::to_end(f.kind), f.sys_errno);
  }

  CcEngine& engine_;
  const CcSpec& spec_;
  Connector connector_;
  loop::EventLoop loop_;
  stats::ClientStats stats_;
  stats::ClientStats ka_;  // the keepalive requests
  stats::Counter lost_;
  stats::Counter keepalives_;
  stats::Counter closed_;  // by the ramp-down
  std::vector<CcConn> conns_;
  std::vector<std::uint32_t> free_;  // slots of conns_ not in use
  std::vector<std::string> requests_;
  ObjectLoad objects_;  // --object (after ka_)
  bool objects_on_;
  std::vector<CcObjectReply> replies_;  // --object: one per slot of conns_
  std::uint64_t quota_ = 0;
  std::uint64_t started_ = 0;
  std::uint64_t pending_ = 0;
  std::uint64_t open_ = 0;
  std::uint64_t aborted_ = 0;
  std::atomic<std::uint64_t> open_pub_{0};
  std::atomic<bool> ramp_done_{false};
  double interval_ns_ = 0;
  std::uint64_t t0_ = 0;
  std::uint64_t next_sweep_ = 0;
  std::uint64_t paused_until_ = 0;
  std::uint64_t starts_end_ = UINT64_MAX;  // phases: attempts begin before the ramp-down only
  std::uint64_t down_at_ = UINT64_MAX;     // phases: when the ramp-down begins
  std::uint32_t down_cursor_ = 0;          // the ramp-down's next slot to look at
  stats::ConnLogger log_;  // --log-connections
  std::unique_ptr<TlsClient> tls_;  // --tls
};

}  // namespace connperf::load
template class connperf::loop::WorkerPool<connperf::load::CcWorker>;
namespace connperf::load {
template class LoadEngine<CcWorker>;

CcEngine::CcEngine(CcSpec spec) : spec_(std::move(spec)) {
  spec_.threads = static_cast<unsigned>(
      std::max<std::uint64_t>(1, std::min<std::uint64_t>(spec_.threads, spec_.count)));
  for (unsigned i = 0; i < spec_.threads; ++i) add(std::make_unique<CcWorker>(*this, i));
  pin(spec_.cpus);
}

CcEngine::~CcEngine() {
  stop();
  join();
}

bool CcEngine::ramp_done() const noexcept {
  return sum<unsigned>([](const CcWorker& w) { return w.ramp_done() ? 0u : 1u; }) == 0;
}

void CcEngine::snapshot(CcCounts& out) const {
  out = sum<CcCounts>([](const CcWorker& w) {
    CcCounts one;
    w.stats().snapshot(one.attempts);
    w.keepalive_stats().snapshot(one.requests);
    one.open = w.open();
    one.lost = w.lost();
    one.keepalives = w.keepalives();
    one.closed = w.closed();
    return one;
  });
}

}  // namespace connperf::load
