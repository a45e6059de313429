#include "load/crr.h"

#include <sys/epoll.h>

#include <algorithm>

#include "load/connect.h"
#include "load/engine_impl.h"
#include "load/objects.h"
#include "loop/event_loop.h"
#include "net/socket.h"
#include "proto/http.h"
#include "load/tls_client.h"
#include "stats/conn_log.h"
#include "tls/tls.h"

namespace connperf::load {

namespace {

constexpr int kStartBudget = 256;               // starts per handler call before yielding
constexpr std::size_t kCrrReadBuf = 16 * 1024;
constexpr std::uint32_t kCrrEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;  // + EPOLLOUT to connect
constexpr int kEagerBackoff = 64;  // attempts without an eager send after one found no connection

// --proxy: what asks the proxy for a tunnel to each target.
std::vector<std::string> crr_connect_requests(const CrrSpec& spec) {
  std::vector<std::string> out;
  for (const Target& t : spec.targets)
    out.push_back("CONNECT " + t.name + " HTTP/1.1\r\nHost: " + t.name + "\r\n\r\n");
  return out;
}

}  // namespace

const char* to_string(CloseMode mode) noexcept {
  return kCloseNames[static_cast<std::size_t>(mode)].data();
}

std::optional<CloseMode> parse_close(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kCloseNames.size(); ++i)
    if (kCloseNames[i] == name) return static_cast<CloseMode>(i);
  return std::nullopt;
}

// One connection attempt. Slots are reused; `gen` tells a stale epoll event from a live one.
struct Slot {
  // --tls: Connecting, Handshaking, TlsSending, TlsReading; else Connecting, Sending, Reading.
  // --proxy: Tunnelling (CONNECT sent, the proxy's reply read) after Connecting.
  enum class State : std::uint8_t {
    Free, Connecting, Sending, Reading, Handshaking, TlsSending, TlsReading, Tunnelling
  };
  int fd = -1;
  std::uint32_t gen = 0;
  State state = State::Free;
  bool want_out = false;  // --tls: EPOLLOUT is in the interest (the handshake wants to write)
  bool logged = false;    // --log-connections: this attempt is recorded when it ends
  std::uint16_t target = 0;
  std::uint8_t object = 0;      // --object: the size asked for, an index into the list
  std::uint32_t sent = 0;
  std::uint64_t t_start = 0;    // scheduled start (open loop) or connect() call (closed loop)
  std::uint64_t t_connect = 0;  // connect() call
  std::uint64_t t_sent = 0;     // last request byte handed to the kernel
  std::uint64_t t_est = 0;      // connected (--tls: the handshake begins)
  std::uint64_t t_tls = 0;      // --tls: the handshake done (read when logged)
  std::uint64_t t_first = 0;    // the first response byte (0: none yet)
  SSL* ssl = nullptr;           // --tls
  std::uint8_t head_end = 0;    // --proxy: how much of the reply head's "\r\n\r\n" was seen
  std::uint8_t status_got = 0;  // --proxy: bytes of the reply's status line kept in `status`
  char status[12] = {};         // --proxy: "HTTP/1.1 200"
  std::uint64_t deadline = 0;
  proto::ResponseFramer framer;
};

class CrrWorker final : public loop::Handler {
 public:
  CrrWorker(CrrEngine& engine, unsigned index)
      : engine_(engine), spec_(engine.spec()), connector_(spec_, index),
        requests_(spec_.requests()), objects_(spec_.objects, index, stats_) {
    const unsigned n = spec_.threads;
    cap_ = static_cast<std::uint32_t>(share(spec_.concurrency, n, index));
    quota_ = spec_.count ? share(spec_.count, n, index) : UINT64_MAX;
    if (spec_.rate > 0) interval_ns_ = loop::ns_between(spec_.rate / n);
    worker_rate_ = spec_.rate / n;
    slots_.resize(cap_);
    free_.reserve(cap_);
    for (std::uint32_t i = cap_; i-- > 0;) free_.push_back(i);
    sweep_ns_ = std::clamp<std::uint64_t>(spec_.timeout_ns / 8, kMs, 100 * kMs);
    if (spec_.tls.on) tls_ = std::make_unique<TlsClient>(spec_.tls);
    if (spec_.proxy) connects_ = crr_connect_requests(spec_);
    wait_connect_ = tls_ || spec_.proxy;
    log_ = stats::ConnLogger(spec_.log.get(), index, cap_);
  }

  void run(std::uint64_t t0) {
    t0_ = t0;
    next_sweep_ = t0_ + sweep_ns_;
    const std::uint64_t now = loop::now_ns();
    if (engine_.phase() == loop::Phase::Running) progress(now);
    if (!done_) loop_.run(*this);
  }

  void wake() noexcept { loop_.wake(); }
  const stats::ClientStats& stats() const noexcept { return stats_; }
  std::uint64_t aborted() const noexcept { return aborted_; }
  bool saw_addr_unavailable() const noexcept { return addr_unavailable_.load(); }
  const stats::TlsNames& tls_names() const noexcept { return names_of(tls_); }  // after join()

  void on_io(loop::Token token, std::uint32_t events) override {
    Slot& s = slots_[token.slot];
    if (s.state == Slot::State::Free || s.gen != token.gen) return;
    const std::uint64_t now = loop::now_ns();
    switch (s.state) {
      case Slot::State::Connecting: on_connecting(s, events, now); break;
      case Slot::State::Sending: on_sending<false>(s, events, now); break;
      case Slot::State::Reading: on_reading<false>(s, now); break;
      case Slot::State::Handshaking: on_handshake(s); break;
      case Slot::State::TlsSending: on_sending<true>(s, events, now); break;
      case Slot::State::TlsReading: on_reading<true>(s, now); break;
      case Slot::State::Tunnelling: on_tunnel(s, now); break;
      case Slot::State::Free: break;
    }
  }

  // New attempts start once the whole batch of events was handled: closes first, then
  // connects, which keeps each kernel path hot.
  void on_batch_end() override { progress(loop::now_ns()); }

  void on_deadline(std::uint64_t now) override {
    if (now >= next_sweep_) sweep(now);
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
  // Starts what is due, notices the end of the quota, and re-arms the timer.
  void progress(std::uint64_t now) {
    if (done_) return;
    if (!draining_) start_due(now);
    if ((draining_ || started_ >= quota_) && active_ == 0) return finish();
    stats_.set_in_flight(active_);
    arm_timer(now);
  }

  void start_due(std::uint64_t now) {
    if (now < paused_until_) return;
    yielded_ = false;
    const std::uint64_t cap = cap_at(now);
    for (int budget = kStartBudget; started_ < quota_ && active_ < cap; --budget) {
      if (budget == 0) {
        yielded_ = true;
        return;
      }
      std::uint64_t start = now;
      if (interval_ns_ > 0) {  // open loop: arrival k is due at t0 + k * interval
        start = due(started_);
        if (start > now) return;
      }
      if (!start_one(now, start)) return;
    }
  }

  void arm_timer(std::uint64_t now) {
    std::uint64_t when = next_sweep_;
    if (yielded_) {
      when = now;
    } else if (now < paused_until_) {
      when = std::min(when, paused_until_);
    } else if (interval_ns_ > 0 && !draining_ && started_ < quota_ && active_ < cap_) {
      when = std::min(when, due(started_));
    } else if (interval_ns_ == 0 && spec_.phases.on() && !draining_ && active_ >= cap_at(now) &&
               active_ < cap_) {
      when = std::min(when, now + kRampStepNs);  // a ramp lets more in as it rises
    }
    loop_.set_deadline(std::max<std::uint64_t>(when, 1));
  }

  // Open loop: when arrival k is due (the rate follows the phases); never after the ramp-down.
  std::uint64_t due(std::uint64_t k) const {
    if (!spec_.phases.on())
      return t0_ + static_cast<std::uint64_t>(static_cast<double>(k) * interval_ns_);
    const auto at = arrival_ns(spec_.phases, worker_rate_, k);
    return at ? t0_ + *at : UINT64_MAX;
  }
  // How many may be in flight now: the cap, or in a closed loop its share by the phases.
  std::uint64_t cap_at(std::uint64_t now) const {
    if (interval_ns_ > 0 || !spec_.phases.on()) return cap_;
    return allowed_at(spec_.phases, cap_, now > t0_ ? now - t0_ : 0);
  }

  // Returns false when no more attempts should start now (the run is paused).
  bool start_one(std::uint64_t now, std::uint64_t scheduled) {
    const std::uint32_t index = free_.back();
    Slot& s = slots_[index];
    s.target = connector_.next_target();
    s.object = objects_.pick();
    ++started_;
    stats_.started();
    net::Fd fd;
    // s.t_connect: this attempt's own clock, as a batch of starts takes a while.
    // --tls: TCP_NODELAY, as a handshake's flights and a 1.3 ticket are small writes that
    // Nagle would hold for the peer's delayed ACK.
    net::Result r = connector_.open(s.target, fd, s.t_connect, tls_ != nullptr);
    if (!r.ok()) return start_failed(s, r, now, scheduled);
    if (log_.on()) [[unlikely]] log_opened(s, index, fd.get());
    // Open loop: from the scheduled start (queueing counts); closed loop: from its own start.
    s.t_start = interval_ns_ > 0 ? scheduled : s.t_connect;
    free_.pop_back();
    ++active_;
    ++s.gen;
    s.fd = fd.release();
    s.state = Slot::State::Connecting;
    s.sent = 0;
    s.t_first = 0;
    s.deadline = now + spec_.timeout_ns;
    if (spec_.request == RequestKind::Http) s.framer.reset();
    if (wait_connect_) return wait_connected(s, index);
    if (!try_eager_send(s, now)) return true;
    const std::uint32_t events =
        kCrrEvents | (s.state == Slot::State::Reading ? 0u : std::uint32_t{EPOLLOUT});
    if (r = loop_.add(s.fd, events, {index, s.gen}); !r.ok()) fail(s, failure_of(r));
    return true;
  }

  // On loopback the handshake is over when connect() returns: sending at once saves the
  // writable wake-up. Where it is not (EAGAIN), eager sends pause for a while. Returns false
  // when the attempt already failed.
  bool try_eager_send(Slot& s, std::uint64_t now) {
    if (eager_backoff_ > 0) {
      --eager_backoff_;
      return true;
    }
    const std::string& req = request_of(s);
    const net::Result r = net::send_some(s.fd, req.data(), req.size());
    if (r.err == net::Err::WouldBlock) {
      eager_backoff_ = kEagerBackoff;
      return true;
    }
    if (!r.ok()) return fail(s, failure_of(r)), false;
    // The handshake happened inside connect(): its duration is the connect latency.
    now = loop::now_ns();
    stats_.connect_us().record(loop::us_from_ns(now - s.t_connect));
    s.t_est = now;
    s.state = Slot::State::Sending;
    s.sent = static_cast<std::uint32_t>(r.value);
    if (s.sent == req.size()) {
      s.t_sent = now;
      s.state = Slot::State::Reading;
    }
    return true;
  }

  // --tls, --proxy: the handshake or the CONNECT starts once connected (the writable edge).
  bool wait_connected(Slot& s, std::uint32_t index) {
    s.want_out = true;
    const net::Result r = loop_.add(s.fd, kCrrEvents | EPOLLOUT, {index, s.gen});
    if (!r.ok()) fail(s, failure_of(r));
    return true;
  }

  bool start_failed(Slot& s, const net::Result& r, std::uint64_t now, std::uint64_t scheduled) {
    count_error(failure_of(r));
    if (log_.on() && log_.pick()) log_start_failure(s, failure_of(r), now, scheduled);
    if (r.err == net::Err::TooManyFiles || r.err == net::Err::AddrUnavailable) {
      paused_until_ = now + kResourceBackoffNs;
      return false;
    }
    return true;
  }

  void on_connecting(Slot& s, std::uint32_t events, std::uint64_t now) {
    if (events & (EPOLLERR | EPOLLHUP)) return fail(s, connect_failure(s.fd));
    if (!(events & EPOLLOUT)) return;
    stats_.connect_us().record(loop::us_from_ns(now - s.t_connect));
    s.t_est = now;
    if (spec_.proxy) return begin_tunnel(s, now);
    tunnel_open(s, now);
  }

  // Connected to the target (directly, or through the proxy's tunnel): the handshake or the
  // request.
  void tunnel_open(Slot& s, std::uint64_t now) {
    s.sent = 0;  // of the request (it counted the CONNECT's bytes)
    if (tls_) return begin_handshake(s, now);
    s.state = Slot::State::Sending;
    send_request<false>(s, now);
  }

  // --proxy: CONNECT to the target, then the proxy's reply head: a 200 opens the tunnel;
  // another status, or bytes after the head, is bad_response.
  void begin_tunnel(Slot& s, std::uint64_t now) {
    s.state = Slot::State::Tunnelling;
    s.sent = 0;
    s.head_end = 0;
    s.status_got = 0;
    on_tunnel(s, now);
  }

  void on_tunnel(Slot& s, std::uint64_t now) {
    const std::string& req = connects_[s.target];
    while (s.sent < req.size()) {
      const net::Result r = net::send_some(s.fd, req.data() + s.sent, req.size() - s.sent);
      if (r.err == net::Err::WouldBlock) return;  // EPOLLOUT (edge) resumes
      if (!r.ok()) return fail(s, failure_of(r));
      s.sent += static_cast<std::uint32_t>(r.value);
    }
    for (;;) {
      const net::Result r = net::read_some(s.fd, buf_, sizeof buf_);
      if (r.err == net::Err::WouldBlock) return;
      if (!r.ok()) return fail(s, failure_of(r));
      if (r.value == 0) return fail(s, {stats::ErrorKind::ClosedEarly});
      const auto n = static_cast<std::size_t>(r.value);
      const std::size_t used = tunnel_head(s, n);
      if (used == 0 || (s.head_end == 4 && used < n)) return fail(s, {stats::ErrorKind::BadResponse});
      if (s.head_end == 4) return tunnel_open(s, now);
    }
  }

  // Takes the proxy's reply bytes up to the end of its head; 0 when the status is not 200.
  std::size_t tunnel_head(Slot& s, std::size_t n) {
    static constexpr std::string_view kEnd = "\r\n\r\n";
    std::size_t i = 0;
    for (; i < n && s.head_end < 4; ++i) {
      if (s.status_got < sizeof s.status) s.status[s.status_got++] = buf_[i];
      s.head_end = static_cast<std::uint8_t>(buf_[i] == kEnd[s.head_end] ? s.head_end + 1
                                                                         : buf_[i] == '\r');
    }
    if (s.status_got == sizeof s.status || s.head_end == 4) {
      const std::string_view st(s.status, s.status_got);
      if (st.size() < 12 || st.substr(0, 7) != "HTTP/1." || st.substr(8, 4) != " 200") return 0;
    }
    return i;
  }

  void begin_handshake(Slot& s, std::uint64_t now) {
    s.ssl = tls_->open(s.fd);
    if (!s.ssl) return fail(s, {stats::ErrorKind::TlsFailed});
    s.t_est = now;
    s.state = Slot::State::Handshaking;
    on_handshake(s);
  }

  // One handshake step per event; epoll's interest follows what OpenSSL waits for.
  void on_handshake(Slot& s) {
    Failure why;
    switch (tls_->step(s.ssl, s.t_est, stats_, why)) {
      case tls::Outcome::Done:
        s.t_tls = loop::now_ns();  // after the handshake's own work
        s.state = Slot::State::TlsSending;
        return send_request<true>(s, s.t_tls);
      case tls::Outcome::WantRead: return want_out(s, false);
      case tls::Outcome::WantWrite: return want_out(s, true);
      case tls::Outcome::Failed: return fail(s, why);
    }
  }

  void want_out(Slot& s, bool out) {
    if (s.want_out == out) return;
    s.want_out = out;
    const std::uint32_t events = kCrrEvents | (out ? std::uint32_t{EPOLLOUT} : 0u);
    const auto index = static_cast<std::uint32_t>(&s - slots_.data());
    if (const net::Result r = loop_.modify(s.fd, events, {index, s.gen}); !r.ok())
      fail(s, failure_of(r));
  }

  const std::string& request_of(const Slot& s) const noexcept {
    return requests_[objects_.request_index(s.target, s.object)];
  }

  template <bool Tls>
  net::Result send_bytes(Slot& s, const char* data, std::size_t len) noexcept {
    if constexpr (Tls) return tls::send_some(s.ssl, data, len);
    else return net::send_some(s.fd, data, len);
  }

  template <bool Tls>
  net::Result read_bytes(Slot& s) noexcept {
    if constexpr (Tls) return tls::read_some(s.ssl, buf_, sizeof buf_);
    else return net::read_some(s.fd, buf_, sizeof buf_);
  }

  template <bool Tls>
  static Failure io_failure(const net::Result& r) noexcept {
    if constexpr (Tls) return TlsClient::io_failure(r);
    else return failure_of(r);
  }

  template <bool Tls>
  void on_sending(Slot& s, std::uint32_t events, std::uint64_t now) {
    if (events & EPOLLERR) return fail(s, failure_of(net::pending_error(s.fd)));
    if (Tls || (events & EPOLLOUT)) send_request<Tls>(s, now);
  }

  template <bool Tls>
  void send_request(Slot& s, std::uint64_t now) {
    const std::string& req = request_of(s);
    while (s.sent < req.size()) {
      const net::Result r = send_bytes<Tls>(s, req.data() + s.sent, req.size() - s.sent);
      if (r.err == net::Err::WouldBlock) {  // EPOLLOUT (edge) resumes
        if constexpr (Tls) want_out(s, true);
        return;
      }
      if (!r.ok()) return fail(s, io_failure<Tls>(r));
      s.sent += static_cast<std::uint32_t>(r.value);
    }
    s.t_sent = now;
    s.state = Tls ? Slot::State::TlsReading : Slot::State::Reading;
  }

  template <bool Tls>
  void on_reading(Slot& s, std::uint64_t now) {
    for (;;) {
      const net::Result r = read_bytes<Tls>(s);
      if (r.err == net::Err::WouldBlock) return;
      if (!r.ok()) return fail(s, io_failure<Tls>(r));
      if (r.value == 0) return on_eof(s, now);
      if (s.t_first == 0) {
        s.t_first = now;
        stats_.ttfb_us().record(loop::us_from_ns(now - s.t_connect));
      }
      if (spec_.request != RequestKind::Http) return complete(s, now);
      std::size_t used = 0;
      const auto st = s.framer.feed(buf_, static_cast<std::size_t>(r.value), used);
      if (st == proto::FrameStatus::Complete) return complete(s, now);
      if (st == proto::FrameStatus::Error) return fail(s, {stats::ErrorKind::BadResponse});
    }
  }

  void on_eof(Slot& s, std::uint64_t now) {
    if (spec_.request == RequestKind::Http && s.framer.on_eof() == proto::FrameStatus::Complete)
      return complete(s, now);
    fail(s, {stats::ErrorKind::ClosedEarly});
  }

  void complete(Slot& s, std::uint64_t now) {
    if (spec_.request == RequestKind::Http) {
      const stats::ErrorKind why = objects_.done(s.framer, s.object);
      if (why != stats::ErrorKind::Count) return fail(s, {why});
    }
    stats_.response_us().record(loop::us_from_ns(now - s.t_sent));
    stats_.total_us().record(loop::us_from_ns(now - s.t_start));
    stats_.ttlb_us().record(loop::us_from_ns(now - s.t_connect));
    stats_.completed();
    if (s.logged) log_end(s, stats::to_end(stats::ConnEnd::Completed), 0, now);
    release(s, spec_.close == CloseMode::Rst);
  }

  void fail(Slot& s, Failure f) {
    count_error(f);
    if (s.logged) log_end(s, stats::to_end(f.kind), f.sys_errno);
    release(s, true);
  }

  // --log-connections (cold: with the log on only). Whether this attempt is logged; `logged`
  // is never set without the log, so the hot path tests it alone.
  [[gnu::cold, gnu::noinline]] void log_opened(Slot& s, std::uint32_t index, int fd) {
    s.logged = log_.pick();
    if (!s.logged) return;
    s.t_est = s.t_tls = 0;
    log_.opened(index, fd);
  }

  // `now`: when it ended (0: read the clock here, off the hot path).
  [[gnu::cold, gnu::noinline]] void log_end(const Slot& s, std::uint8_t end, int sys_errno,
                                            std::uint64_t now = 0) {
    if (now == 0) now = loop::now_ns();
    stats::ConnRecord r =
        stats::conn_record(t0_, s.t_start, 0, now, s.target, end, sys_errno);
    if (s.t_est) r.connect_us = stats::record_us(s.t_est - s.t_connect);
    if (s.t_tls) r.tls_us = stats::record_us(s.t_tls - s.t_est);
    if (s.t_first) r.ttfb_us = stats::record_us(s.t_first - s.t_connect);
    if (end == stats::to_end(stats::ConnEnd::Completed)) {
      r.ttlb_us = stats::record_us(now - s.t_connect);
      r.requests = 1;
    }
    log_.put(static_cast<std::uint32_t>(&s - slots_.data()), s.fd, r);
  }

  // An attempt that failed before it had a socket to wait on: no source address.
  [[gnu::cold, gnu::noinline]] void log_start_failure(Slot& s, Failure f, std::uint64_t now,
                                                      std::uint64_t scheduled) {
    s.t_start = interval_ns_ > 0 ? scheduled : now;
    stats::ConnRecord r =
        stats::conn_record(t0_, s.t_start, 0, now, s.target, stats::to_end(f.kind), f.sys_errno);
    log_.put(stats::ConnLogger::kNoSlot, -1, r);
  }

  void count_error(Failure f) {
    if (f.kind == stats::ErrorKind::AddrUnavailable) addr_unavailable_.store(true);
    stats_.error(f.kind, f.sys_errno);
  }

  // Closing the fd also removes it from epoll. An RST close leaves no TIME_WAIT behind.
  void release(Slot& s, bool rst) {
    if (s.ssl) tls_->close(s.ssl);  // --close-notify: the alert goes out before the TCP close
    if (rst) net::set_linger_rst(s.fd);
    net::Fd closing(s.fd);
    s.fd = -1;
    s.state = Slot::State::Free;
    free_.push_back(static_cast<std::uint32_t>(&s - slots_.data()));
    --active_;
  }

  void sweep(std::uint64_t now) {
    next_sweep_ = now + sweep_ns_;
    for (Slot& s : slots_) {
      if (s.state != Slot::State::Free && now >= s.deadline) fail(s, {stats::ErrorKind::Timeout});
    }
  }

  // The run is over for this worker: attempts still in flight are aborted.
  void finish() {
    if (done_) return;
    done_ = true;
    for (Slot& s : slots_) {
      if (s.state == Slot::State::Free) continue;
      ++aborted_;
      if (s.logged) log_end(s, stats::to_end(stats::ConnEnd::Aborted), 0);
      release(s, true);
    }
    stats_.set_in_flight(0);
    loop_.set_deadline(0);
    loop_.stop();
  }

  CrrEngine& engine_;
  const CrrSpec& spec_;
  Connector connector_;
  loop::EventLoop loop_;
  stats::ClientStats stats_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<std::string> requests_;
  ObjectLoad objects_;  // after stats_
  std::uint32_t cap_ = 0;
  std::uint32_t active_ = 0;
  std::uint64_t quota_ = 0;
  std::uint64_t started_ = 0;
  std::uint64_t aborted_ = 0;
  double interval_ns_ = 0;
  double worker_rate_ = 0;        // open loop: this worker's share of --rate
  std::uint64_t t0_ = 0;
  std::uint64_t sweep_ns_ = 0;
  std::uint64_t next_sweep_ = 0;
  std::uint64_t paused_until_ = 0;
  int eager_backoff_ = 0;
  bool yielded_ = false;
  bool draining_ = false;
  bool done_ = false;
  std::atomic<bool> addr_unavailable_{false};
  std::unique_ptr<TlsClient> tls_;     // --tls
  stats::ConnLogger log_;              // --log-connections
  std::vector<std::string> connects_;  // --proxy: the CONNECT request for each target
  bool wait_connect_ = false;          // --tls or --proxy: no eager send of the request
  char buf_[kCrrReadBuf];
};

}  // namespace connperf::load
template class connperf::loop::WorkerPool<connperf::load::CrrWorker>;
namespace connperf::load {
template class LoadEngine<CrrWorker>;

CrrEngine::CrrEngine(CrrSpec spec) : spec_(std::move(spec)) {
  spec_.threads = std::max(1u, std::min(spec_.threads, spec_.concurrency));
  for (unsigned i = 0; i < spec_.threads; ++i) add(std::make_unique<CrrWorker>(*this, i));
  pin(spec_.cpus);
}

CrrEngine::~CrrEngine() {
  stop();
  join();
}

bool CrrEngine::saw_addr_unavailable() const noexcept {
  return sum<unsigned>([](const CrrWorker& w) { return w.saw_addr_unavailable() ? 1u : 0u; }) > 0;
}

}  // namespace connperf::load
