#include "server/blocking.h"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <new>
#include <string>

#include "loop/cpus.h"
#include "loop/event_loop.h"
#include "loop/worker_pool.h"
#include "server/conn_note.h"
#include "server/replies.h"
#include "server/tls_counts.h"

namespace connperf::server {

namespace {

constexpr int kSliceMs = 100;              // how often a blocked connection looks at the phase
constexpr std::size_t kThreadStack = 256 * 1024;
constexpr std::uint64_t kDefaultThreads = 1024;
constexpr std::uint64_t kDefaultChildren = 256;
// --log-connections: records per connection slot's ring, fewer when there are so many slots
// (--max-connections) that the rings would pass kSlotRecords in all (address space: the pages
// are touched only as records come).
constexpr std::size_t kSlotRing = 1024;
constexpr std::size_t kSlotRecords = std::size_t{1} << 20;
constexpr std::size_t kMinSlotRing = 16;
using loop::Phase;
using Detail = stats::EndDetail;
static_assert(std::atomic<Phase>::is_always_lock_free, "the phase is shared with forked children");

}  // namespace

struct alignas(64) SharedBlock {  // the counters that follow stay aligned
  std::atomic<Phase> phase{Phase::Running};
  // Followed by (cap + 1) * listeners ListenerStats: slot 0 is the acceptor's.
};

namespace {

// One connection served with blocking-style calls (poll, then read or send), in any mode.
class BlockingConn {
 public:
  BlockingConn(int fd, const ServerSpec& spec, stats::ListenerStats& st,
               const std::atomic<Phase>& phase, const ObjectReplies* objects)
      : fd_(fd), spec_(spec), st_(st), phase_(phase), objects_(objects) {
    http_.reset();
    http_.set_objects(objects);
  }
  // --log-connections: this connection's record goes to `to` when it ends.
  void log_to(const LogTo& to, const ConnNote& note, std::size_t listener) {
    log_ = to;
    note_ = note;
    listener_ = listener;
  }

  void serve() {
    if (spec_.tls && !handshake()) return;
    std::uint64_t last_active = loop::now_ns();
    for (;;) {
      const Phase phase = phase_.load();
      if (phase == Phase::Stopping) return end(st_.closed_by_server, Detail::Stopped);
      if (phase == Phase::Draining && !write_shut_) {
        write_shut_ = true;
        net::shutdown_write(fd_.get());
      }
      if (!buffered() && !wait_readable()) {
        if (loop::now_ns() - last_active >= spec_.idle_timeout_ns)
          return end(st_.closed_by_server, Detail::IdleTimeout);
        continue;
      }
      const net::Result r = ssl_ ? tls::read_some(ssl_, buf_, sizeof buf_)
                                 : net::read_some(fd_.get(), buf_, sizeof buf_);
      if (r.err == net::Err::WouldBlock) continue;
      if (r.err == net::Err::Reset) return end(st_.rst);
      if (!r.ok()) return end(st_.errors);
      if (r.value == 0) return end(st_.fin);
      last_active = loop::now_ns();
      if (log_.ring) respond_logged(static_cast<std::size_t>(r.value), last_active);
      else respond(static_cast<std::size_t>(r.value));
      if (!send_all(out_)) return;
      out_.clear();
      for (const std::string_view part : parts_)  // --body: straight from the shared replies
        if (!send_all(part)) return;
      parts_.clear();
      if (log_.ring && note_.replied == 0) note_.sent(loop::now_ns());
      if (last_ != Last::None) {
        const std::string_view last = kLastReply[static_cast<int>(last_)];
        if (!send_all(last)) return;
        return end(refused(last_) ? st_.errors : st_.closed_by_server);
      }
    }
  }

 private:
  // --tls: the handshake, blocking-style (poll for what OpenSSL waits for), bounded by the
  // idle timeout and the server's stop. False when the connection ended (and was counted).
  bool handshake() {
    (void)net::set_nodelay(fd_.get());  // small flights and tickets: no wait for a delayed ACK
    ssl_ = spec_.tls->accept(fd_.get());
    if (!ssl_) return end(st_.errors), false;
    const std::uint64_t start = loop::now_ns();
    for (;;) {
      if (phase_.load() == Phase::Stopping)
        return end(st_.closed_by_server, Detail::Stopped), false;
      const tls::Step step = tls::handshake(ssl_);
      if (step.outcome == tls::Outcome::Done) {
        if (log_.ring) note_.tls_done = loop::now_ns();
        return count_handshake(st_, ssl_), true;
      }
      if (step.outcome == tls::Outcome::Failed)
        return end(handshake_failure(st_, step), Detail::TlsFailed), false;
      if (!wait_for(step.outcome == tls::Outcome::WantRead ? POLLIN : POLLOUT) &&
          loop::now_ns() - start >= spec_.idle_timeout_ns)
        return end(st_.closed_by_server, Detail::IdleTimeout), false;
    }
  }

  // --tls: a record already read into OpenSSL's buffer: poll would not see it.
  bool buffered() const noexcept { return ssl_ && SSL_has_pending(ssl_) == 1; }

  // Idle until the next request: a TLS connection gives its buffers back first.
  bool wait_readable() {
    tls::release_buffers(ssl_);
    return wait_for(POLLIN);
  }

  bool wait_for(short events) {
    pollfd p{fd_.get(), events, 0};
    const net::Result r = net::poll_fds(&p, 1, kSliceMs);
    return r.ok() && r.value > 0;
  }

  void respond(std::size_t n) {
    switch (spec_.mode) {
      case Mode::Http: return respond_http(n);
      case Mode::Crr: out_.append(kCrrReply); break;
      case Mode::Discard: break;
      default: echo_.append(spec_.mode, buf_, n, out_);
    }
    st_.requests.add();
  }

  void log_end(const stats::Counter& why, Detail detail) {
    note_.detail = detail;
    const std::uint8_t end = server_conn_end(st_, why);
    push_server_record(log_, note_, fd_.get(), listener_, end,
                       end_detail(note_, end, last_, write_shut_));
  }

  void respond_logged(std::size_t n, std::uint64_t now) {
    const std::uint64_t before = st_.requests.get();
    respond(n);
    note_.read(now, st_.requests.get() - before);
  }

  void respond_http(std::size_t n) {
    if (objects_) {
      last_ = http_.feed(buf_, n, st_.requests, [this](bool head) {
        parts_.push_back(object_reply(*objects_, http_, head, st_));
      });
      return;
    }
    last_ = http_.feed(buf_, n, st_.requests,
                       [this](bool head) { out_.append(head ? kHttpHeadReply : kHttpReply); });
  }

  // Returns false when the connection ended (and was counted). A peer that takes nothing for
  // the idle timeout is closed, as one that sends nothing is.
  bool send_all(std::string_view data) {
    std::size_t sent = 0;
    std::uint64_t progress = loop::now_ns();
    while (sent < data.size()) {
      if (phase_.load() == Phase::Stopping)
        return end(st_.closed_by_server, Detail::Stopped), false;
      const char* from = data.data() + sent;
      const net::Result r = ssl_ ? tls::send_some(ssl_, from, data.size() - sent)
                                 : net::send_some(fd_.get(), from, data.size() - sent);
      if (r.err == net::Err::WouldBlock) {
        if (loop::now_ns() - progress >= spec_.idle_timeout_ns)
          return end(st_.closed_by_server, Detail::IdleTimeout), false;
        wait_for(POLLOUT);
        continue;
      }
      if (!r.ok()) return end(send_failure(st_, write_shut_, r.err)), false;
      sent += static_cast<std::size_t>(r.value);
      progress = loop::now_ns();
    }
    return true;
  }


  // `detail`: why, beyond the counter, where only the caller knows (--log-connections).
  void end(stats::Counter& why, Detail detail = Detail::None) {
    why.add();
    if (log_.ring) [[unlikely]] log_end(why, detail);
    tls::close(ssl_, false);
    ssl_ = nullptr;
    fd_.reset();
  }

  net::Fd fd_;
  const ServerSpec& spec_;
  stats::ListenerStats& st_;
  const std::atomic<Phase>& phase_;
  const ObjectReplies* objects_;
  std::vector<std::string_view> parts_;  // --body: the replies of one read, in order
  HttpReplyLoop http_;
  EchoFamily echo_;
  std::string out_;
  Last last_ = Last::None;
  bool write_shut_ = false;  // draining: our FIN is sent
  SSL* ssl_ = nullptr;       // --tls
  LogTo log_;                // --log-connections: off unless log_to()
  ConnNote note_;
  std::size_t listener_ = 0;
  char buf_[16 * 1024];
};

}  // namespace

BlockingServer::BlockingServer(ServerSpec spec) : spec_(std::move(spec)) {
  const std::uint64_t fallback =
      spec_.model == Model::Fork ? kDefaultChildren : kDefaultThreads;
  cap_ = spec_.model == Model::Iterative
             ? 1
             : static_cast<std::size_t>(spec_.max_connections ? spec_.max_connections : fallback);
  spec_.threads = 1;
  if (!spec_.bodies.empty()) objects_ = std::make_unique<const ObjectReplies>(spec_.bodies);
  for (std::size_t slot = cap_; slot >= 1; --slot) free_slots_.push_back(slot);
  // A slot serves one connection at a time, and the next only after it is given back (a forked
  // child's after it was reaped): each slot's ring has one producer at a time. The acceptor
  // decides which connections are logged.
  if (spec_.log) {
    const std::size_t ring = std::bit_floor(
        std::clamp<std::size_t>(kSlotRecords / cap_, kMinSlotRing, kSlotRing));
    spec_.log->make_rings(static_cast<unsigned>(cap_ + 1), ring, spec_.model == Model::Fork);
    log_pick_ = stats::ConnLogger(spec_.log.get(), 0, 0);
  }
}

LogTo BlockingServer::log_to(std::size_t slot) const noexcept {
  return {&spec_.log->ring(static_cast<unsigned>(slot)), spec_.log->tcp_info()};
}

void BlockingServer::serve(int fd, std::size_t listener, std::size_t slot, const ConnNote* note) {
  BlockingConn conn(fd, spec_, stats(slot, listener), shared_->phase, objects_.get());
  if (note) [[unlikely]] conn.log_to(log_to(slot), *note, listener);
  conn.serve();
}

// A connection that got no thread or process: counted as an error, and logged when picked.
void BlockingServer::unserved(int fd, std::size_t listener, std::size_t slot,
                              const ConnNote* note) {
  stats::ListenerStats& st = stats(slot, listener);
  st.errors.add();
  if (note)
    push_server_record(log_to(slot), *note, fd, listener, server_conn_end(st, st.errors),
                       Detail::None);
}

BlockingServer::~BlockingServer() {
  stop();
  join();
  if (shared_) ::munmap(shared_, shared_bytes_);
}

stats::ListenerStats& BlockingServer::stats(std::size_t slot, std::size_t listener) const {
  auto* first = reinterpret_cast<stats::ListenerStats*>(shared_ + 1);
  return first[slot * bound_.size() + listener];
}

void BlockingServer::open() {
  for (const net::SockAddr& want : spec_.listen) {
    net::SockAddr addr;
    listeners_.push_back(bind_listener(want, false, spec_.backlog, addr));
    bound_.push_back(addr);
  }
  shared_bytes_ = sizeof(SharedBlock) + (cap_ + 1) * bound_.size() * sizeof(stats::ListenerStats);
  void* mem = ::mmap(nullptr, shared_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
  if (mem == MAP_FAILED) throw ListenError("cannot map shared counters");
  shared_ = new (mem) SharedBlock;
  for (std::size_t i = 0; i < (cap_ + 1) * bound_.size(); ++i)
    new (&stats(0, 0) + i) stats::ListenerStats;
}

void BlockingServer::start() {
  acceptor_ = std::thread([this] {
    if (!spec_.cpus.empty()) loop::pin_this_thread(spec_.cpus[0]);  // iterative: the one worker
    accept_loop();
  });
}

// --cpus: a connection's thread or process runs on the list's CPU of its slot.
void BlockingServer::pin_connection(std::size_t slot) const noexcept {
  if (!spec_.cpus.empty()) loop::pin_this_thread(spec_.cpus[slot % spec_.cpus.size()]);
}

void BlockingServer::accept_loop() {
  std::vector<pollfd> fds;
  for (const auto& l : listeners_) fds.push_back({l.get(), POLLIN, 0});
  while (shared_->phase.load() == Phase::Running) {
    reap(false);
    if (live_.load() >= cap_) {  // at the cap: accept nothing until a connection ends
      ::poll(nullptr, 0, 5);
      continue;
    }
    const net::Result r = net::poll_fds(fds.data(), fds.size(), kSliceMs);
    if (!r.ok() || r.value == 0) continue;
    for (std::size_t i = 0; i < fds.size() && live_.load() < cap_; ++i)  // the cap, per accept
      if ((fds[i].revents & POLLIN) && !accept_one(i)) ::poll(nullptr, 0, kSliceMs);
  }
  listeners_.clear();
  while (live_.load() > 0) reap(true);
  acceptor_done_ = true;
}

// Returns false when accepting should pause (EMFILE): the accept loop must not spin.
bool BlockingServer::accept_one(std::size_t listener) {
  net::SockAddr peer;
  const net::Result r = net::accept_from(listeners_[listener].get(), &peer);
  if (r.err == net::Err::TooManyFiles) return false;
  if (!r.ok()) return true;
  stats(0, listener).accepted.add();
  peers_.count(peer);
  if (log_pick_.pick()) [[unlikely]] {
    ConnNote note;
    note.start(loop::now_ns(), peer);
    dispatch(static_cast<int>(r.value), listener, &note);
  } else {
    dispatch(static_cast<int>(r.value), listener, nullptr);
  }
  return true;
}

// `note`: --log-connections, this connection is logged (else null).
void BlockingServer::dispatch(int fd, std::size_t listener, const ConnNote* note) {
  const std::size_t slot = take_slot();
  live_.fetch_add(1);
  switch (spec_.model) {
    case Model::Iterative: return run_thread(fd, listener, slot, note);
    case Model::Fork: return run_child(fd, listener, slot, note);
    default: break;
  }
  struct Job {
    BlockingServer* self;
    int fd;
    std::size_t listener, slot;
    bool logged;
    ConnNote note;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kThreadStack);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  auto* job = new Job{this, fd, listener, slot, note != nullptr, note ? *note : ConnNote{}};
  const int rc = pthread_create(&tid, &attr, [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    j->self->pin_connection(j->slot);
    j->self->run_thread(j->fd, j->listener, j->slot, j->logged ? &j->note : nullptr);
    delete j;
    return nullptr;
  }, job);
  pthread_attr_destroy(&attr);
  if (rc != 0) {  // no thread: that connection is an error, the server goes on
    delete job;
    unserved(fd, listener, slot, note);
    ::close(fd);
    give_slot(slot);
    live_.fetch_sub(1);
  }
}

void BlockingServer::run_thread(int fd, std::size_t listener, std::size_t slot,
                                const ConnNote* note) {
  serve(fd, listener, slot, note);
  give_slot(slot);
  live_.fetch_sub(1);
}

void BlockingServer::run_child(int fd, std::size_t listener, std::size_t slot,
                               const ConnNote* note) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGINT, SIG_IGN);  // the parent decides; the phase in shared memory tells us
    ::signal(SIGTERM, SIG_DFL);
    sigset_t term;  // the acceptor thread we were forked from blocks the stop signals
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the server
    if (::getppid() != parent) ::_exit(0);
    for (auto& l : listeners_) ::close(l.release());
    pin_connection(slot);
    serve(fd, listener, slot, note);
    ::_exit(0);
  }
  if (pid < 0) unserved(fd, listener, slot, note);
  ::close(fd);  // the parent never keeps the child's connection
  if (pid < 0) {
    give_slot(slot);
    live_.fetch_sub(1);
    return;
  }
  children_[pid] = slot;
}

// Fork model: collects exited children so none stays a zombie, and frees their slots.
void BlockingServer::reap(bool block) {
  if (spec_.model != Model::Fork) {
    if (block) ::poll(nullptr, 0, 1);
    return;
  }
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, block ? 0 : WNOHANG);
    if (pid <= 0) return;
    if (auto it = children_.find(pid); it != children_.end()) {
      give_slot(it->second);
      children_.erase(it);
      live_.fetch_sub(1);
    }
    block = false;
  }
}

std::size_t BlockingServer::take_slot() {
  std::lock_guard lock(slots_mu_);
  const std::size_t slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

void BlockingServer::give_slot(std::size_t slot) {
  std::lock_guard lock(slots_mu_);
  free_slots_.push_back(slot);
}

void BlockingServer::drain() noexcept {
  Phase expected = Phase::Running;
  if (shared_) shared_->phase.compare_exchange_strong(expected, Phase::Draining);
}

void BlockingServer::stop() noexcept {
  if (shared_) shared_->phase.store(Phase::Stopping);
}

bool BlockingServer::finished() const noexcept { return acceptor_done_.load(); }

void BlockingServer::join() {
  if (acceptor_.joinable()) acceptor_.join();
}

void BlockingServer::snapshot(std::vector<stats::ListenerSnapshot>& per_listener) const {
  per_listener.assign(bound_.size(), {});
  if (!shared_) return;
  stats::ListenerSnapshot one;
  // The acceptor's slot (accepted) last: a close is never seen before its accept.
  for (std::size_t slot = cap_ + 1; slot-- > 0;) {
    for (std::size_t l = 0; l < bound_.size(); ++l) {
      stats(slot, l).snapshot(one);
      per_listener[l] += one;
    }
  }
}

std::map<std::string, std::uint64_t> BlockingServer::peers() const {
  std::map<std::string, std::uint64_t> out;
  peers_.add_to(out);
  return out;
}

}  // namespace connperf::server
