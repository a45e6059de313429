#include "server/server.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cstring>

#include "loop/acceptor.h"
#include "loop/event_loop.h"
#include "loop/worker_pool_impl.h"
#include "net/socket.h"
#include "proto/http.h"
#include "server/blocking.h"
#include "server/peer_counter.h"
#include "server/replies.h"

namespace connperf::server {

namespace {

using loop::kMs;
constexpr std::uint8_t kConnKind = 0;
constexpr std::uint8_t kListenerKind = 1;
constexpr std::size_t kReadBuf = 16 * 1024;
// EPOLLOUT only while a reply waits for buffer space: a writable edge per accept is waste.
constexpr std::uint32_t kConnEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;

constexpr std::uint32_t kRepliesPerBurst = 64;

}  // namespace

namespace {
constexpr std::string_view kModeNames[] = {"crr", "http", "echo", "upper", "stamp", "discard"};
constexpr std::size_t kHighWater = 64 * 1024;  // output bytes a connection may queue
}  // namespace

const char* to_string(Mode mode) noexcept {
  return kModeNames[static_cast<std::size_t>(mode)].data();
}

std::optional<Mode> parse_mode(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(kModeNames); ++i)
    if (kModeNames[i] == name) return static_cast<Mode>(i);
  return std::nullopt;
}

namespace {
constexpr std::string_view kModelNames[] = {"epoll", "thread", "fork", "iterative"};
}  // namespace

const char* to_string(Model model) noexcept {
  return kModelNames[static_cast<std::size_t>(model)].data();
}

std::optional<Model> parse_model(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(kModelNames); ++i)
    if (kModelNames[i] == name) return static_cast<Model>(i);
  return std::nullopt;
}

std::unique_ptr<ServerEngine> make_server(ServerSpec spec) {
  if (spec.model == Model::Epoll) return std::make_unique<Server>(std::move(spec));
  return std::make_unique<BlockingServer>(std::move(spec));
}

// One accepted connection. The server's replies are constant, so what is still owed is a byte
// count into a buffer of repeated replies: no per-connection output buffer.
struct Conn {
  int fd = -1;
  std::uint32_t gen = 0;
  std::uint16_t listener = 0;
  bool open = false;
  bool reading_paused = false;  // back-pressure: replies owed exceed one burst
  bool want_out = false;        // EPOLLOUT is in the interest set
  Last last = Last::None;       // the reply that ends the connection, sent after `owed`
  std::uint16_t last_sent = 0;
  std::uint32_t owed = 0;       // keep-alive reply bytes not yet sent
  std::uint64_t last_active = 0;
  bool peer_closed = false;     // FIN seen: close once `out` is flushed (echo family)
  bool write_shut = false;      // draining: our FIN is sent
  std::string out;              // echo family: bytes not yet sent, from out_off
  std::size_t out_off = 0;

  std::size_t pending() const noexcept { return owed + out.size() - out_off; }
};

class ServerWorker final : public loop::Handler {
 public:
  ServerWorker(Server& server, unsigned index) : server_(server), spec_(server.spec_) {
    const std::string_view reply = spec_.mode == Mode::Crr ? kCrrReply : kHttpReply;
    reply_len_ = static_cast<std::uint32_t>(reply.size());
    for (std::uint32_t i = 0; i < kRepliesPerBurst; ++i) burst_.append(reply);
    max_conns_ = spec_.max_connections ? loop::share(spec_.max_connections, spec_.threads, index)
                                       : UINT64_MAX;
    sweep_ns_ = std::clamp<std::uint64_t>(spec_.idle_timeout_ns / 4, 10 * kMs, 1000 * kMs);
  }

  void add_listener(net::Fd fd) {
    acceptor_.add(std::move(fd));
    stats_.push_back(std::make_unique<stats::ListenerStats>());
  }

  void run(std::uint64_t /*t0*/) {
    acceptor_.start();
    loop_.set_deadline(loop::now_ns() + sweep_ns_);
    if (server_.pool_.phase() == loop::Phase::Draining) begin_drain();
    if (server_.pool_.phase() != loop::Phase::Stopping && !(draining_ && live_ == 0))
      loop_.run(*this);
    shut_down();
  }

  void wake() noexcept { loop_.wake(); }
  std::size_t listener_count() const noexcept { return stats_.size(); }
  const stats::ListenerStats& stats(std::size_t i) const noexcept { return *stats_[i]; }
  void add_peers(std::map<std::string, std::uint64_t>& out) const { peers_.add_to(out); }

  void on_io(loop::Token token, std::uint32_t events) override {
    if (token.kind == kListenerKind) {
      return acceptor_.burst(token.slot, live_, max_conns_, [this](int fd, const net::SockAddr& peer,
                                                            std::size_t i) {
        adopt(fd, static_cast<std::uint16_t>(i), peer);
        return live_;
      });
    }
    const std::uint32_t id = token.slot;
    Conn& c = conns_[id];
    if (!c.open || c.gen != token.gen) return;
    if ((events & EPOLLOUT) && (c.pending() > 0 || c.last != Last::None) && !flush(id)) return;
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))) return;
    if (!conns_[id].reading_paused) on_readable(id, events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
  }

  void on_deadline(std::uint64_t now) override {
    acceptor_.tick(now);
    sweep_idle(now);
    std::uint64_t next = now + sweep_ns_;
    if (acceptor_.resume_at() != 0) next = std::min(next, acceptor_.resume_at());
    loop_.set_deadline(next);
  }

  void on_wake() override {
    const loop::Phase phase = server_.pool_.phase();
    if (phase == loop::Phase::Stopping) return loop_.stop();
    if (phase == loop::Phase::Draining && !draining_) begin_drain();
  }

 private:
  void adopt(int fd, std::uint16_t li, const net::SockAddr& peer) {
    std::uint32_t id;
    if (free_.empty()) {
      id = static_cast<std::uint32_t>(conns_.size());
      conns_.emplace_back();
      if (spec_.mode == Mode::Http) framers_.emplace_back();
    } else {
      id = free_.back();
      free_.pop_back();
    }
    Conn& c = conns_[id];
    const std::uint32_t gen = c.gen + 1;
    c = Conn{};
    c.gen = gen;
    c.listener = li;
    c.open = true;
    c.last_active = loop::now_ns();
    if (spec_.mode == Mode::Http) framers_[id].reset();
    stats_[li]->accepted.add();
    peers_.count(peer);
    ++live_;
    if (!loop_.add(fd, kConnEvents, {id, c.gen, kConnKind}).ok()) {
      ::close(fd);
      return end(id, stats_[li]->errors);
    }
    c.fd = fd;
  }

  // `peer_done`: the event said the peer has finished sending, so an end of stream waits behind
  // the data; without it, a short read means the socket is drained (the next data brings a new
  // edge), which saves a read per request.
  void on_readable(std::uint32_t id, bool peer_done = true) {
    const std::uint64_t now = loop::now_ns();
    for (;;) {
      Conn& c = conns_[id];
      if (c.peer_closed) return;
      if (c.pending() >= std::max(kHighWater, burst_.size()) || c.last != Last::None) {
        c.reading_paused = c.last == Last::None;
        return;
      }
      const net::Result r = net::read_some(c.fd, buf_, sizeof buf_);
      if (r.err == net::Err::WouldBlock) return;
      stats::ListenerStats& st = *stats_[c.listener];
      if (r.err == net::Err::Reset) return end(id, st.rst);
      if (!r.ok()) return end(id, st.errors);
      if (r.value == 0) {  // a half-close: what is owed still goes out, then we close
        if (c.pending() == 0) return end(id, st.fin);
        c.peer_closed = true;
        return;
      }
      c.last_active = now;
      consume(id, static_cast<std::size_t>(r.value));
      if (!flush(id)) return;
      if (!peer_done && static_cast<std::size_t>(r.value) < sizeof buf_) return;
    }
  }

  void consume(std::uint32_t id, std::size_t n) {
    Conn& c = conns_[id];
    stats::ListenerStats& st = *stats_[c.listener];
    switch (spec_.mode) {
      case Mode::Http: return consume_http(id, n);
      case Mode::Crr: c.owed += reply_len_; break;  // every chunk of request bytes is one request
      case Mode::Echo:
      case Mode::Upper:
      case Mode::Stamp: echo_.append(spec_.mode, buf_, n, c.out); break;
      case Mode::Discard: break;
    }
    st.requests.add();
  }

  void consume_http(std::uint32_t id, std::size_t n) {
    Conn& c = conns_[id];
    stats::ListenerStats& st = *stats_[c.listener];
    proto::RequestFramer& f = framers_[id];
    for (std::size_t off = 0; off < n && c.last == Last::None;) {
      std::size_t used = 0;
      const proto::FrameStatus s = f.feed(buf_ + off, n - off, used);
      off += used;
      if (s == proto::FrameStatus::NeedMore) break;
      if (s == proto::FrameStatus::Error) {
        c.last = Last::BadRequest;
        break;
      }
      st.requests.add();
      if (f.keep_alive()) queue_http_reply(c, f.is_head());
      else c.last = f.is_head() ? Last::CloseHead : Last::Close;
      f.reset();
    }
  }

  // Replies to GET are counted in `owed` (bytes of identical replies); a HEAD reply is shorter,
  // so from the first one on, replies queue as bytes in `out`, in order.
  void queue_http_reply(Conn& c, bool head) {
    if (!head && c.out_off == c.out.size()) {
      c.owed += reply_len_;
      return;
    }
    while (c.owed > 0) {  // what is owed goes first
      const std::string_view run = owed_bytes(c);
      c.out.append(run);
      c.owed -= static_cast<std::uint32_t>(run.size());
    }
    c.out.append(head ? kHttpHeadReply : kHttpReply);
  }

  stats::Counter& send_failed(const Conn& c, net::Err err) {
    return send_failure(*stats_[c.listener], c.write_shut, err);
  }

  // The next run of owed reply bytes, as a slice of the burst of identical replies.
  std::string_view owed_bytes(const Conn& c) const {
    const std::size_t off = (reply_len_ - c.owed % reply_len_) % reply_len_;
    return std::string_view(burst_).substr(off, std::min<std::size_t>(c.owed, burst_.size() - off));
  }

  // Sends what is owed. Returns false when the connection was closed.
  bool flush(std::uint32_t id) {
    Conn& c = conns_[id];
    while (c.owed > 0) {
      const std::string_view run = owed_bytes(c);
      const net::Result r = net::send_some(c.fd, run.data(), run.size());
      if (r.err == net::Err::WouldBlock) return wait_writable(id);
      if (!r.ok()) return end(id, send_failed(c, r.err)), false;
      c.owed -= static_cast<std::uint32_t>(r.value);
    }
    while (c.out_off < c.out.size()) {
      const net::Result r = net::send_some(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off);
      if (r.err == net::Err::WouldBlock) return wait_writable(id);
      if (!r.ok()) return end(id, send_failed(c, r.err)), false;
      c.out_off += static_cast<std::size_t>(r.value);
    }
    if (c.out_off > 0) {
      c.out.clear();
      c.out_off = 0;
      if (c.out.capacity() > kHighWater) c.out.shrink_to_fit();
    }
    if (c.last != Last::None) return flush_last(id);
    if (c.peer_closed) {
      end(id, stats_[c.listener]->fin);
      return false;
    }
    if (draining_ && !c.write_shut) {
      c.write_shut = true;
      net::shutdown_write(c.fd);
    }
    if (c.reading_paused) {
      c.reading_paused = false;
      on_readable(id);
      return conns_[id].open;
    }
    return true;
  }

  // Sends the closing reply, then closes: counted as the server's close, or an error for a bad
  // request.
  bool flush_last(std::uint32_t id) {
    Conn& c = conns_[id];
    const std::string_view last = kLastReply[static_cast<int>(c.last)];
    stats::ListenerStats& st = *stats_[c.listener];
    while (c.last_sent < last.size()) {
      const net::Result r = net::send_some(c.fd, last.data() + c.last_sent, last.size() - c.last_sent);
      if (r.err == net::Err::WouldBlock) return wait_writable(id);
      if (!r.ok()) return end(id, send_failed(c, r.err)), false;
      c.last_sent = static_cast<std::uint16_t>(c.last_sent + r.value);
    }
    end(id, c.last == Last::BadRequest ? st.errors : st.closed_by_server);
    return false;
  }

  bool wait_writable(std::uint32_t id) {
    Conn& c = conns_[id];
    if (!c.want_out) {
      c.want_out = true;
      (void)loop_.modify(c.fd, kConnEvents | EPOLLOUT, {id, c.gen, kConnKind});
    }
    return true;
  }

  // Every accepted connection ends here exactly once, in exactly one counter.
  void end(std::uint32_t id, stats::Counter& why) {
    Conn& c = conns_[id];
    why.add();
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.open = false;
    c.out = std::string();
    free_.push_back(id);
    --live_;
    acceptor_.connection_closed();
    if (draining_ && live_ == 0) loop_.stop();
  }

  void sweep_idle(std::uint64_t now) {
    for (std::uint32_t id = 0; id < conns_.size(); ++id) {
      const Conn& c = conns_[id];
      if (c.open && now - c.last_active >= spec_.idle_timeout_ns)
        end(id, stats_[c.listener]->closed_by_server);
    }
  }

  void begin_drain() {
    draining_ = true;
    acceptor_.close_all();
    for (std::uint32_t id = 0; id < conns_.size(); ++id) {
      Conn& c = conns_[id];
      if (!c.open || c.pending() > 0 || c.last != Last::None) continue;  // flush() shuts it
      c.write_shut = true;
      net::shutdown_write(c.fd);
    }
    if (live_ == 0) loop_.stop();
  }

  // A peer's reset or FIN may still sit unread when the stop comes: one last read per
  // connection counts it, so the totals are exact; the server closes the rest.
  void shut_down() {
    acceptor_.close_all();
    for (std::uint32_t id = 0; id < conns_.size(); ++id) {
      Conn& c = conns_[id];
      if (!c.open) continue;
      const net::Result r = net::read_some(c.fd, buf_, sizeof buf_);
      stats::ListenerStats& st = *stats_[c.listener];
      if (r.err == net::Err::Reset) {
        end(id, st.rst);
      } else if (r.ok() && r.value == 0) {
        end(id, st.fin);
      } else {
        end(id, st.closed_by_server);
      }
    }
  }

  Server& server_;
  const ServerSpec& spec_;
  loop::EventLoop loop_;
  loop::Acceptor acceptor_{loop_, kListenerKind};
  std::vector<std::unique_ptr<stats::ListenerStats>> stats_;
  std::vector<Conn> conns_;
  std::vector<proto::RequestFramer> framers_;
  std::vector<std::uint32_t> free_;
  PeerCounter peers_;
  std::string burst_;
  std::uint32_t reply_len_ = 0;
  std::uint64_t live_ = 0;
  std::uint64_t max_conns_ = 0;
  std::uint64_t sweep_ns_ = 0;
  bool draining_ = false;
  EchoFamily echo_;
  char buf_[kReadBuf];
};

}  // namespace connperf::server

template class connperf::loop::WorkerPool<connperf::server::ServerWorker>;

namespace connperf::server {

Server::Server(ServerSpec spec) : spec_(std::move(spec)) {
  spec_.threads = std::max(1u, spec_.threads);
  // Every thread needs a share of --max-connections: one with none would pause its listener for
  // good while the kernel still hands it connections (SO_REUSEPORT).
  if (spec_.max_connections && spec_.threads > spec_.max_connections)
    spec_.threads = static_cast<unsigned>(spec_.max_connections);
  for (unsigned i = 0; i < spec_.threads; ++i) pool_.add(std::make_unique<ServerWorker>(*this, i));
}

Server::~Server() {
  stop();
  join();
}

void Server::open() {
  bound_ = loop::open_listeners(spec_.listen, spec_.backlog, pool_.size(),
                                [this](std::size_t i, net::Fd fd) {
                                  pool_.worker(i).add_listener(std::move(fd));
                                });
}

void Server::start() { pool_.start(); }
void Server::drain() noexcept { pool_.drain(); }
void Server::stop() noexcept { pool_.stop(); }
void Server::join() { pool_.join(); }

void Server::snapshot(std::vector<stats::ListenerSnapshot>& per_listener) const {
  per_listener.assign(bound_.size(), {});
  stats::ListenerSnapshot one;
  pool_.each([&](const ServerWorker& w) {
    for (std::size_t i = 0; i < w.listener_count() && i < per_listener.size(); ++i) {
      w.stats(i).snapshot(one);
      per_listener[i] += one;
    }
  });
}

std::map<std::string, std::uint64_t> Server::peers() const {
  std::map<std::string, std::uint64_t> all;
  pool_.each([&](const ServerWorker& w) { w.add_peers(all); });
  return all;
}

}  // namespace connperf::server
