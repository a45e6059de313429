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
#include "server/blocking.h"
#include "server/conn_note.h"
#include "server/conn_state.h"
#include "server/peer_counter.h"
#include "server/replies.h"
#include "server/tls_counts.h"
#include "tls/tls.h"

namespace connperf::server {

namespace {

using loop::kMs;
constexpr std::uint8_t kConnKind = 0;
constexpr std::uint8_t kListenerKind = 1;
// --log-connections: a logged connection's events come with their own kind, so the accounting
// of its record wraps its events and the path of the others has no test of its own.
constexpr std::uint8_t kLoggedConnKind = 2;
constexpr std::size_t kServerReadBuf = 16 * 1024;
// EPOLLOUT only while a reply waits for buffer space: a writable edge per accept is waste.
constexpr std::uint32_t kConnEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;

constexpr std::uint32_t kRepliesPerBurst = 64;

}  // namespace

namespace {
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

// Whether EPOLLOUT is in a connection's interest set, besides kConnEvents.
enum class Interest : std::uint8_t { In, InOut };

// One accepted connection. The server's replies are constant, so what is still owed is a byte
// count into a buffer of repeated replies: no per-connection output buffer.
struct Conn {
  int fd = -1;
  std::uint32_t gen = 0;
  std::uint16_t listener = 0;
  ConnState state = ConnState::Free;
  Interest interest = Interest::In;  // what epoll has; changed by transition() only
  Last last = Last::None;            // the reply that ends the connection, sent after the rest
  bool logged = false;               // --log-connections: this one has a ConnNote (padding byte)
  std::uint16_t last_sent = 0;
  std::uint32_t owed = 0;            // keep-alive reply bytes not yet sent
  // --body: object reply bytes queued, not yet sent. A read queues at most kRepliesPerBurst
  // replies of at most 16 MiB: never near 4 GiB. (In the padding after owed: Conn stays 80
  // bytes, which keeps its reset at accept a few stores rather than a rep stos.)
  std::uint32_t view_bytes = 0;
  std::uint64_t last_active = 0;
  std::string out;                   // echo family, HEAD: bytes not yet sent, from out_off
  std::size_t out_off = 0;
  SSL* ssl = nullptr;                // --tls

  std::size_t pending() const noexcept { return owed + out.size() - out_off + view_bytes; }
};

static_assert(sizeof(Conn) <= 80, "see view_bytes");

// --body: a connection's object replies, as views into the shared ObjectReplies, in order.
struct ObjectQueue {
  std::vector<std::string_view> parts;
  std::size_t front = 0;  // the part being sent
  std::size_t sent = 0;   // bytes of it
  void clear() noexcept {
    parts.clear();
    front = sent = 0;
  }
};

// What one epoll event lets a connection do; a pass runs state handlers until none can go on.
struct Pass {
  bool readable;   // a read may find bytes: cleared by would-block, or by a short read
  bool writable;   // a send may take bytes: cleared by would-block
  bool to_eagain;  // read until would-block (the peer finished sending, or an edge was left
                   // unread); otherwise a short read means the socket is drained, which saves
                   // a read per request: the next data brings a new edge
  std::uint64_t now = 0;  // taken when first needed
};

enum class Sent : std::uint8_t { All, Blocked, Ended };

class ServerWorker final : public loop::Handler {
 public:
  ServerWorker(Server& server, unsigned index)
      : server_(server), spec_(server.spec_), objects_(server.objects_.get()),
        log_(server.spec_.log.get(), index, 0) {
    const std::string_view reply = spec_.mode == Mode::Crr ? kCrrReply : kHttpReply;
    reply_len_ = static_cast<std::uint32_t>(reply.size());
    for (std::uint32_t i = 0; i < kRepliesPerBurst; ++i) burst_.append(reply);
    high_water_ = std::max(kHighWater, burst_.size());
    // --body: a read may earn at most a burst of replies, whatever their size (they are views).
    if (objects_) reply_len_ = static_cast<std::uint32_t>(kHighWater / kRepliesPerBurst);
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
    if (token.kind != kConnKind) {
      if (token.kind == kLoggedConnKind) [[unlikely]] return on_logged_io(token, events);
      return acceptor_.burst(token.slot, live_, max_conns_, [this](int fd, const net::SockAddr& peer,
                                                            std::size_t i) {
        adopt(fd, static_cast<std::uint16_t>(i), peer);
        return live_;
      });
    }
    serve_event(token, events);
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
  [[gnu::always_inline]] void serve_event(loop::Token token, std::uint32_t events) {
    const Conn& c = conns_[token.slot];
    if (c.state == ConnState::Free || c.gen != token.gen) return;
    // TLS reads until would-block: a short read may leave a record buffered in OpenSSL.
    Pass p{(events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0,
           (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0 || c.interest == Interest::In,
           (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 || c.ssl != nullptr};
    while (step(token.slot, p)) {
    }
  }

  void adopt(int fd, std::uint16_t li, const net::SockAddr& peer) {
    std::uint32_t id;
    if (free_.empty()) {
      id = static_cast<std::uint32_t>(conns_.size());
      conns_.emplace_back();
      if (spec_.mode == Mode::Http) http_.emplace_back();
    } else {
      id = free_.back();
      free_.pop_back();
    }
    Conn& c = conns_[id];
    const std::uint32_t gen = c.gen + 1;
    c = Conn{};
    c.gen = gen;
    c.listener = li;
    c.last_active = loop::now_ns();
    if (log_.pick()) [[unlikely]] note_accept(id, peer);
    if (spec_.mode == Mode::Http) {
      http_[id].reset();
      if (objects_) [[unlikely]] http_[id].set_objects(objects_);
    }
    stats_[li]->accepted.add();
    peers_.count(peer);
    ++live_;
    transition(id, ConnState::Reading, Interest::In);  // as registered below: no epoll_ctl
    if (!loop_.add(fd, kConnEvents, {id, c.gen, conn_kind(c)}).ok()) {
      ::close(fd);
      return end(id, stats_[li]->errors);
    }
    c.fd = fd;
    if (spec_.tls) start_tls(id);
  }

  // --tls: the first event (the ClientHello) starts the handshake.
  void start_tls(std::uint32_t id) {
    Conn& c = conns_[id];
    (void)net::set_nodelay(c.fd);  // small flights and tickets: no wait for a delayed ACK
    c.ssl = spec_.tls->accept(c.fd);
    if (!c.ssl) return end(id, stats_[c.listener]->errors);
    transition(id, ConnState::Handshaking);
  }

  // One handshake step per event; the interest follows what OpenSSL waits for. A failed
  // handshake ends as the peer's reset or FIN when that is what failed it, else as an error.
  bool on_handshake(std::uint32_t id, Pass& p) {
    Conn& c = conns_[id];
    stats::ListenerStats& st = *stats_[c.listener];
    const tls::Step step = tls::handshake(c.ssl);
    switch (step.outcome) {
      case tls::Outcome::Done:
        count_handshake(st, c.ssl);
        if (c.logged) notes_[id].tls_done = loop::now_ns();
        p.readable = p.to_eagain = true;  // the request may have come with the Finished
        transition(id, ConnState::Reading, Interest::In);
        return true;
      case tls::Outcome::WantRead:
        return transition(id, ConnState::Handshaking, Interest::In), false;
      case tls::Outcome::WantWrite:
        return transition(id, ConnState::Handshaking, Interest::InOut), false;
      case tls::Outcome::Failed: break;
    }
    if (c.logged) notes_[id].detail = stats::EndDetail::TlsFailed;
    return end(id, handshake_failure(st, step)), false;
  }

  net::Result read_bytes(const Conn& c, std::size_t want) noexcept {
    return c.ssl ? tls::read_some(c.ssl, buf_, want) : net::read_some(c.fd, buf_, want);
  }
  static net::Result send_bytes(const Conn& c, std::string_view data) noexcept {
    return c.ssl ? tls::send_some(c.ssl, data.data(), data.size())
                 : net::send_some(c.fd, data.data(), data.size());
  }

  // Every change of a connection's state goes through here, and so does its epoll interest:
  // EPOLLOUT only while a reply waits for buffer space (a writable edge per accept is waste).
  void transition(std::uint32_t id, ConnState next, Interest interest) {
    Conn& c = conns_[id];
    c.state = next;
    if (interest == c.interest || next == ConnState::Free) return;  // a close drops the fd
    c.interest = interest;
    const std::uint32_t out = interest == Interest::InOut ? std::uint32_t{EPOLLOUT} : 0u;
    (void)loop_.modify(c.fd, kConnEvents | out, {id, c.gen, conn_kind(c)});
  }
  void transition(std::uint32_t id, ConnState next) { transition(id, next, conns_[id].interest); }

  // Waits for the next event: EPOLLOUT while something owed is blocked.
  void rest(std::uint32_t id) {
    const Conn& c = conns_[id];
    const bool owes = c.pending() > 0 || c.last != Last::None;
    transition(id, c.state, owes ? Interest::InOut : Interest::In);
  }

  // One handler per state; false when the connection waits for its next event or has ended.
  [[gnu::always_inline]] bool step(std::uint32_t id, Pass& p) {
    switch (conns_[id].state) {
      case ConnState::Reading:
      case ConnState::WriteShut: return on_reading(id, p);
      case ConnState::Paused: return on_paused(id, p);
      case ConnState::Closing:
      case ConnState::PeerClosed: return on_finishing(id, p);
      case ConnState::Handshaking: return on_handshake(id, p);
      case ConnState::Free: break;
    }
    return false;
  }

  // Reading, WriteShut: sends what is owed, then reads.
  [[gnu::always_inline]] bool on_reading(std::uint32_t id, Pass& p) {
    Conn& c = conns_[id];
    if (c.pending() > 0 && p.writable && send_owed(id, p) == Sent::Ended) return false;
    if (c.pending() == 0 && draining_ && c.state == ConnState::Reading) shut_write(id);
    if (c.pending() >= high_water_) {
      transition(id, ConnState::Paused, Interest::InOut);
      return false;
    }
    if (!p.readable) return rest(id), false;
    return read_requests(id, p);
  }

  // Paused: reading resumes once everything owed is sent.
  bool on_paused(std::uint32_t id, Pass& p) {
    if (!p.writable || send_owed(id, p) != Sent::All) return false;
    p.readable = p.to_eagain = true;  // the edge that brought the unread bytes is spent
    transition(id, ConnState::Reading);
    return true;
  }

  // Closing, PeerClosed: sends what is owed and the closing reply, then closes: counted as the
  // peer's FIN, the server's close, or an error for a bad request.
  bool on_finishing(std::uint32_t id, Pass& p) {
    const Sent sent = p.writable ? send_owed(id, p) : Sent::Blocked;
    if (sent == Sent::Blocked) rest(id);
    if (sent != Sent::All) return false;
    const Conn& c = conns_[id];
    stats::ListenerStats& st = *stats_[c.listener];
    if (c.state == ConnState::PeerClosed) end(id, st.fin);
    else end(id, refused(c.last) ? st.errors : st.closed_by_server);
    return false;
  }

  bool read_requests(std::uint32_t id, Pass& p) {
    Conn& c = conns_[id];
    // Sized so that what this read queues keeps the connection within its output bound.
    const std::size_t want =
        read_budget(spec_.mode, c.pending(), high_water_, reply_len_, sizeof buf_);
    const net::Result r = read_bytes(c, want);
    if (r.err == net::Err::WouldBlock) {
      if (c.ssl && c.pending() == 0) tls::release_buffers(c.ssl);  // idle until the next request
      return p.readable = false, true;
    }
    stats::ListenerStats& st = *stats_[c.listener];
    if (r.err == net::Err::Reset) return end(id, st.rst), false;
    if (!r.ok()) return end(id, st.errors), false;
    if (r.value == 0) {  // a half-close: what is owed still goes out, then we close
      if (c.pending() == 0) return end(id, st.fin), false;
      return transition(id, ConnState::PeerClosed), true;
    }
    const auto n = static_cast<std::size_t>(r.value);
    if (p.now == 0) p.now = loop::now_ns();
    c.last_active = p.now;
    if (!p.to_eagain && n < want) p.readable = false;
    consume(id, n);
    const bool owes = c.pending() > 0 || c.last != Last::None;
    // Our FIN is sent: a request can no longer be answered (a send would fail).
    if (c.state == ConnState::WriteShut && owes) return end(id, st.closed_by_server), false;
    if (c.last != Last::None) transition(id, ConnState::Closing);
    return true;
  }

  void consume(std::uint32_t id, std::size_t n) {
    Conn& c = conns_[id];
    stats::ListenerStats& st = *stats_[c.listener];
    switch (spec_.mode) {
      case Mode::Http:
        c.last = http_[id].feed(buf_, n, st.requests, [this, &c, id, &st](bool head) {
          if (objects_) [[unlikely]] return queue_object(id, head, st);
          queue_http_reply(c, head);
        });
        return;
      case Mode::Crr: c.owed += reply_len_; break;  // every chunk of request bytes is one request
      case Mode::Echo:
      case Mode::Upper:
      case Mode::Stamp: echo_.append(spec_.mode, buf_, n, c.out); break;
      case Mode::Discard: break;
    }
    st.requests.add();
  }

  // Replies to GET are counted in `owed` (bytes of identical replies); a HEAD reply is shorter,
  // so from the first one on, replies queue as bytes in `out`, in order.
  [[gnu::always_inline]] void queue_http_reply(Conn& c, bool head) {
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

  // --body: the reply's head and body go out from the shared replies, never copied. Out of
  // line, as the other --body paths: the tiny replies' path stays as short as without it.
  [[gnu::noinline]] void queue_object(std::uint32_t id, bool head, stats::ListenerStats& st) {
    const std::string_view reply = object_reply(*objects_, http_[id], head, st);
    if (objq_.size() <= id) objq_.resize(id + 1);
    ObjectQueue& q = objq_[id];
    if (conns_[id].view_bytes == 0) q.clear();  // sent, or left by the slot's last connection
    q.parts.push_back(reply);
    conns_[id].view_bytes += static_cast<std::uint32_t>(reply.size());
  }

  // The next run of owed reply bytes, as a slice of the burst of identical replies.
  std::string_view owed_bytes(const Conn& c) const {
    const std::size_t off = (reply_len_ - c.owed % reply_len_) % reply_len_;
    return std::string_view(burst_).substr(off, std::min<std::size_t>(c.owed, burst_.size() - off));
  }

  // What goes out next, in order: owed replies, queued bytes, object replies (--body), the
  // closing reply.
  std::string_view next_owed(const Conn& c) const {
    if (c.owed > 0) return owed_bytes(c);
    if (c.out_off < c.out.size()) return std::string_view(c.out).substr(c.out_off);
    if (c.view_bytes > 0) [[unlikely]] return object_bytes(c);
    return kLastReply[static_cast<int>(c.last)].substr(c.last_sent);
  }

  [[gnu::noinline]] std::string_view object_bytes(const Conn& c) const {
    const ObjectQueue& q = objq_[static_cast<std::size_t>(&c - conns_.data())];
    return q.parts[q.front].substr(q.sent);
  }

  void advance(Conn& c, std::size_t n) {
    if (c.owed > 0) c.owed -= static_cast<std::uint32_t>(n);
    else if (c.out_off < c.out.size()) c.out_off += n;
    else if (c.view_bytes > 0) [[unlikely]] advance_objects(c, n);
    else c.last_sent = static_cast<std::uint16_t>(c.last_sent + n);
  }

  [[gnu::noinline]] void advance_objects(Conn& c, std::size_t n) {
    ObjectQueue& q = objq_[static_cast<std::size_t>(&c - conns_.data())];
    c.view_bytes -= static_cast<std::uint32_t>(n);
    q.sent += n;
    if (q.sent < q.parts[q.front].size()) return;
    q.sent = 0;
    ++q.front;
  }

  // Sends what is owed, the closing reply included, until it is all sent or the socket is full.
  Sent send_owed(std::uint32_t id, Pass& p) {
    Conn& c = conns_[id];
    for (std::string_view next = next_owed(c); !next.empty(); next = next_owed(c)) {
      const net::Result r = send_bytes(c, next);
      if (r.err == net::Err::WouldBlock) return p.writable = false, Sent::Blocked;
      if (!r.ok()) {
        const bool write_shut = c.state == ConnState::WriteShut;
        return end(id, send_failure(*stats_[c.listener], write_shut, r.err)), Sent::Ended;
      }
      advance(c, static_cast<std::size_t>(r.value));
    }
    if (c.out_off > 0) {
      c.out.clear();
      c.out_off = 0;
      if (c.out.capacity() > kHighWater) c.out.shrink_to_fit();
    }
    return Sent::All;
  }

  // Draining: our FIN goes out once nothing is owed; the peer closes in its own time.
  void shut_write(std::uint32_t id) {
    net::shutdown_write(conns_[id].fd);
    transition(id, ConnState::WriteShut);
  }

  // Every accepted connection ends here exactly once, in exactly one counter.
  void end(std::uint32_t id, stats::Counter& why) {
    Conn& c = conns_[id];
    why.add();
    if (c.logged) [[unlikely]] log_end(id, why);
    tls::close(c.ssl, false);
    c.ssl = nullptr;
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    transition(id, ConnState::Free);
    c.out = std::string();
    free_.push_back(id);
    --live_;
    acceptor_.connection_closed();
    if (draining_ && live_ == 0) loop_.stop();
  }

  // --log-connections: the paths of logged connections, out of line.
  static std::uint8_t conn_kind(const Conn& c) noexcept {
    return c.logged ? kLoggedConnKind : kConnKind;
  }

  [[gnu::noinline]] void note_accept(std::uint32_t id, const net::SockAddr& peer) {
    if (notes_.size() < conns_.size()) notes_.resize(conns_.size());
    ConnNote& n = notes_[id];
    n.start(conns_[id].last_active, peer);
    conns_[id].logged = true;
  }

  // A logged connection's event: the requests it served (the listener's counter has only this
  // thread's writer), when the first came and when their replies were all handed to the kernel.
  [[gnu::noinline]] void on_logged_io(loop::Token token, std::uint32_t events) {
    const Conn& c = conns_[token.slot];
    if (c.state == ConnState::Free || c.gen != token.gen) return;
    notes_[token.slot].event_at = loop::now_ns();
    notes_[token.slot].requests_seen = stats_[c.listener]->requests.get();
    logged_event_ = token.slot;
    serve_event(token, events);
    if (c.state != ConnState::Free && c.gen == token.gen) settle(token.slot);
    logged_event_ = kNoEvent;
  }

  // Brings a logged connection's note up to date: after its event, and at its end. Only in its
  // own event do the listener's requests grow by its requests alone (another connection's
  // event, the idle sweep or the stop may end it too).
  void settle(std::uint32_t id) {
    const Conn& c = conns_[id];
    ConnNote& n = notes_[id];
    if (logged_event_ == id) {
      const std::uint64_t requests = stats_[c.listener]->requests.get();
      // With --tls the request may come in the event that finished the handshake: not before.
      if (requests != n.requests_seen)
        n.read(std::max(n.event_at, n.tls_done), requests - n.requests_seen);
      n.requests_seen = requests;
    }
    if (n.first_byte != 0 && n.replied == 0 && c.pending() == 0) n.sent(loop::now_ns());
  }

  [[gnu::noinline]] void log_end(std::uint32_t id, const stats::Counter& why) {
    Conn& c = conns_[id];
    c.logged = false;
    settle(id);
    const ConnNote& n = notes_[id];
    const std::uint8_t end = server_conn_end(*stats_[c.listener], why);
    stats::ConnRecord r =
        server_conn_record(n, loop::now_ns(), c.fd, c.listener, end,
                           end_detail(n, end, c.last, c.state == ConnState::WriteShut));
    log_.put(stats::ConnLogger::kNoSlot, c.fd, r);
  }

  void sweep_idle(std::uint64_t now) {
    for (std::uint32_t id = 0; id < conns_.size(); ++id) {
      const Conn& c = conns_[id];
      if (c.state != ConnState::Free && now - c.last_active >= spec_.idle_timeout_ns) {
        if (c.logged) notes_[id].detail = stats::EndDetail::IdleTimeout;
        end(id, stats_[c.listener]->closed_by_server);
      }
    }
  }

  void begin_drain() {
    draining_ = true;
    acceptor_.close_all();
    for (std::uint32_t id = 0; id < conns_.size(); ++id) {  // the others shut once flushed
      const Conn& c = conns_[id];
      if (c.state == ConnState::Reading && c.pending() == 0) shut_write(id);
    }
    if (live_ == 0) loop_.stop();
  }

  // A peer's reset or FIN may still sit unread when the stop comes: one last read per
  // connection counts it, so the totals are exact; the server closes the rest.
  void shut_down() {
    acceptor_.close_all();
    for (std::uint32_t id = 0; id < conns_.size(); ++id) {
      Conn& c = conns_[id];
      if (c.state == ConnState::Free) continue;
      const net::Result r = net::read_some(c.fd, buf_, sizeof buf_);
      stats::ListenerStats& st = *stats_[c.listener];
      if (r.err == net::Err::Reset) {
        end(id, st.rst);
      } else if (r.ok() && r.value == 0) {
        end(id, st.fin);
      } else {
        if (c.logged) notes_[id].detail = stats::EndDetail::Stopped;
        end(id, st.closed_by_server);
      }
    }
  }

  Server& server_;
  const ServerSpec& spec_;
  const ObjectReplies* objects_;  // --body, else null
  loop::EventLoop loop_;
  loop::Acceptor acceptor_{loop_, kListenerKind};
  std::vector<std::unique_ptr<stats::ListenerStats>> stats_;
  std::vector<Conn> conns_;
  std::vector<HttpReplyLoop> http_;  // http mode: one per connection slot
  std::vector<ObjectQueue> objq_;    // --body: per connection slot, grown as queue_object needs
  std::vector<std::uint32_t> free_;
  stats::ConnLogger log_;         // --log-connections: off unless the spec has a log
  std::vector<ConnNote> notes_;   // --log-connections: per connection slot, grown as logged
  static constexpr std::uint32_t kNoEvent = UINT32_MAX;
  std::uint32_t logged_event_ = kNoEvent;  // the logged connection whose event runs now
  PeerCounter peers_;
  std::string burst_;
  std::uint32_t reply_len_ = 0;
  std::size_t high_water_ = 0;  // owed bytes at which reading pauses
  std::uint64_t live_ = 0;
  std::uint64_t max_conns_ = 0;
  std::uint64_t sweep_ns_ = 0;
  bool draining_ = false;
  EchoFamily echo_;
  char buf_[kServerReadBuf];
};

}  // namespace connperf::server

template class connperf::loop::WorkerPool<connperf::server::ServerWorker>;

namespace connperf::server {

Server::Server(ServerSpec spec) : spec_(std::move(spec)) {
  if (!spec_.bodies.empty()) objects_ = std::make_unique<const ObjectReplies>(spec_.bodies);
  spec_.threads = std::max(1u, spec_.threads);
  // Every thread needs a share of --max-connections: one with none would pause its listener for
  // good while the kernel still hands it connections (SO_REUSEPORT).
  if (spec_.max_connections && spec_.threads > spec_.max_connections)
    spec_.threads = static_cast<unsigned>(spec_.max_connections);
  if (spec_.log) spec_.log->make_rings(spec_.threads, stats::ConnLog::kRingCapacity, false);
  for (unsigned i = 0; i < spec_.threads; ++i) pool_.add(std::make_unique<ServerWorker>(*this, i));
  pool_.pin(spec_.cpus);
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
