#include "load/cc_fleet.h"

#include <sys/prctl.h>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "load/split.h"
#include "loop/clock.h"

namespace connperf::load {

// A ClientSnapshot as the parent may read it while its worker writes: every count a relaxed
// atomic, the histograms (cells of relaxed atomics already) copied cell by cell. Lock-free, so
// it works across processes in shared memory.
class SharedSnapshot {
  static constexpr std::size_t kHistograms = 6;
  static constexpr std::size_t kCounts = 6 + 3 * stats::kMaxObjectSizes + stats::kErrorKinds +
                                         stats::kMaxErrno + stats::kTlsAlerts;

  // The snapshot's counts in one order, to store and to load.
  template <typename S, typename F>
  static void counts_of(S& s, F f) {
    for (auto* n : {&s.started, &s.completed, &s.in_flight, &s.body_bytes, &s.tls_full,
                    &s.tls_resumed})
      f(*n);
    for (auto& o : s.objects) f(o.size), f(o.completed), f(o.body_bytes);
    for (auto& n : s.errors) f(n);
    for (auto& n : s.other_errno) f(n);
    for (auto& n : s.tls_alerts) f(n);
  }

  template <typename S>
  static auto histograms_of(S& s) {
    return std::array{&s.connect_us, &s.response_us, &s.total_us, &s.ttfb_us, &s.ttlb_us, &s.tls_us};
  }

 public:
  void store(const stats::ClientSnapshot& s) noexcept {
    std::size_t at = 0;
    counts_of(s, [&](std::uint64_t n) { counts_[at++].store(n, std::memory_order_relaxed); });
    for (std::size_t h = 0; h < kHistograms; ++h) hist_[h] = *histograms_of(s)[h];
  }
  void add_to(stats::ClientSnapshot& out) const noexcept {
    stats::ClientSnapshot one;
    std::size_t at = 0;
    counts_of(one, [&](std::uint64_t& n) { n = counts_[at++].load(std::memory_order_relaxed); });
    for (std::size_t h = 0; h < kHistograms; ++h) *histograms_of(one)[h] = hist_[h];
    out += one;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kCounts> counts_{};
  std::array<stats::Histogram, kHistograms> hist_;
};

// What each worker publishes for the parent: its attempts' and keepalive requests' snapshots
// and its counts.
struct alignas(64) CcSlot {
  SharedSnapshot attempts;
  SharedSnapshot requests;  // the keepalives
  std::atomic<std::uint64_t> open{0}, lost{0}, keepalives{0}, closed{0}, aborted{0};
  std::atomic<std::uint64_t> reached_ns{0};  // when this worker had all its connections open
  // --tls: what the worker's first handshake negotiated, written once after its run.
  char tls_version[16]{}, tls_cipher[64]{}, tls_group[32]{};
  std::atomic<int> done{0};
  std::atomic<int> stop{0};  // set by the parent: end the hold now
};

namespace {

constexpr auto kPoll = std::chrono::milliseconds(20);

void publish(CcSlot& slot, const CcCounts& c) {
  slot.attempts.store(c.attempts);
  slot.requests.store(c.requests);
  slot.open = c.open;
  slot.lost = c.lost;
  slot.keepalives = c.keepalives;
  slot.closed = c.closed;
}

template <std::size_t N>
void copy_name(char (&to)[N], const std::string& from) {
  from.copy(to, N - 1);
}

void publish_names(CcSlot& slot, const stats::TlsNames& n) {
  copy_name(slot.tls_version, n.version);
  copy_name(slot.tls_cipher, n.cipher);
  copy_name(slot.tls_group, n.group);
}

// With phases the run ends with them, once the ramp-down closed its last connection (its
// engine does so at the end; a second more at most).
bool phases_over(const CcSpec& spec, std::uint64_t t0, std::uint64_t now, const CcCounts& c) {
  const std::uint64_t end = t0 + spec.phases.total_ns();
  return now >= end && (spec.phases.down_ns == 0 || c.open == 0 || now >= end + 1'000'000'000);
}

// One worker's run: ramp, then hold (or the phases). Publishes into `slot` as it goes.
void run_worker(const CcSpec& spec, std::uint64_t hold_ns, CcSlot& slot) {
  CcEngine engine(spec);
  const std::uint64_t t0 = engine.start();
  std::uint64_t hold_end = 0;
  CcCounts counts;
  for (;;) {
    engine.snapshot(counts);
    publish(slot, counts);
    const std::uint64_t now = loop::now_ns();
    if (!slot.reached_ns && counts.open >= spec.count) slot.reached_ns = now - t0;
    if (!hold_end && !spec.phases.on() && engine.ramp_done()) hold_end = now + hold_ns;
    if (slot.stop.load() || (hold_end && now >= hold_end)) break;
    if (spec.phases.on() && phases_over(spec, t0, now, counts)) break;
    std::this_thread::sleep_for(kPoll);
  }
  const std::uint64_t survived = counts.open, lost = counts.lost;  // at the end of the hold
  engine.stop();
  engine.join();
  engine.snapshot(counts);  // attempts that ended while stopping count too: totals stay exact
  counts.open = survived;
  counts.lost = lost;
  publish(slot, counts);
  publish_names(slot, engine.tls_names());
  slot.aborted = engine.aborted();
  slot.done = 1;
}

// A forked worker never returns into the parent's code.
[[noreturn]] void run_child(const CcSpec& spec, std::uint64_t hold_ns, CcSlot& slot, unsigned i,
                           pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the parent (a killed run leaves nothing)
  if (::getppid() != parent) ::_exit(1);  // it died before the line above
  sigset_t stop_signals;  // the parent decides when to stop: it sets slot.stop
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    run_worker(spec, hold_ns, slot);
  } catch (const std::exception& e) {
    fmt::print(stderr, "connperf cc: worker process {}: {}\n", i, e.what());
    ::_exit(1);
  }
  ::_exit(0);
}

}  // namespace

CcSpec CcFleet::share_of(const CcSpec& spec, unsigned processes, unsigned i) {
  CcSpec s = load::share_of(spec, processes, i);
  // Each process takes its own share of the source addresses, so ports never collide; with
  // fewer addresses than processes, every process uses them all.
  if (spec.binds.size() < processes) s.binds = spec.binds;
  // --cpus: the round-robin goes on over the processes' workers (process i starts where i-1
  // stopped).
  if (!s.cpus.empty())
    std::rotate(s.cpus.begin(), s.cpus.begin() + (i * spec.threads) % s.cpus.size(), s.cpus.end());
  // --log-connections: process i's workers push into its rings of the shared log.
  if (spec.log && processes > 1) s.log = spec.log->slice(i * spec.threads, spec.threads);
  return s;
}

CcFleet::CcFleet(const CcSpec& spec, unsigned processes, std::uint64_t hold_ns)
    : spec_(spec), processes_(processes), hold_ns_(hold_ns) {
  void* mem = ::mmap(nullptr, sizeof(CcSlot) * processes_, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("cannot map shared memory for --processes");
  slots_ = static_cast<CcSlot*>(mem);
  for (unsigned i = 0; i < processes_; ++i) new (&slots_[i]) CcSlot;
}

CcFleet::~CcFleet() {
  stop();
  kill();
  join();
  ::munmap(slots_, sizeof(CcSlot) * processes_);
}

void CcFleet::start() {
  if (processes_ == 1) {
    thread_ = std::thread([this] { run_worker(spec_, hold_ns_, slots_[0]); });
    return;
  }
  const pid_t parent = ::getpid();
  for (unsigned i = 0; i < processes_; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) run_child(share_of(spec_, processes_, i), hold_ns_, slots_[i], i, parent);
    if (pid < 0) throw std::runtime_error("fork failed for --processes");
    children_.push_back(pid);
    reaped_.push_back(0);
  }
}

bool CcFleet::done() {
  bool all = true;
  for (unsigned i = 0; i < processes_; ++i) {
    if (slots_[i].done) continue;
    int status = 0;
    if (i < children_.size() && ::waitpid(children_[i], &status, WNOHANG) == children_[i]) {
      reaped_[i] = 1;
      slots_[i].done = 1;
      notes_.push_back(fmt::format(
          "worker process {} ended early ({}); its counts are partial", i,
          WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                              : fmt::format("exit {}", WEXITSTATUS(status))));
      continue;
    }
    all = false;
  }
  return all;
}

void CcFleet::stop() noexcept {
  for (unsigned i = 0; i < processes_; ++i) slots_[i].stop = 1;
}

void CcFleet::kill() noexcept {
  for (unsigned i = 0; i < children_.size(); ++i)
    if (!slots_[i].done && !reaped_[i]) ::kill(children_[i], SIGKILL);
}

void CcFleet::join() {
  for (unsigned i = 0; i < children_.size(); ++i)
    if (!reaped_[i] && ::waitpid(children_[i], nullptr, 0) == children_[i]) reaped_[i] = 1;
  if (thread_.joinable()) thread_.join();
}

CcTotals CcFleet::total() const {
  CcTotals t;
  t.all_reached = true;
  for (unsigned i = 0; i < processes_; ++i) {
    const CcSlot& s = slots_[i];
    s.attempts.add_to(t.counts.attempts);
    s.requests.add_to(t.counts.requests);
    t.counts.open += s.open;
    t.counts.lost += s.lost;
    t.counts.keepalives += s.keepalives;
    t.counts.closed += s.closed;
    if (t.tls_names.version.empty() && s.done)
      t.tls_names = {s.tls_version, s.tls_cipher, s.tls_group};
    t.aborted += s.aborted;
    t.reached_ns = std::max<std::uint64_t>(t.reached_ns, s.reached_ns);
    t.all_reached = t.all_reached && s.reached_ns != 0;
  }
  return t;
}

std::vector<std::string> CcFleet::take_notes() { return std::exchange(notes_, {}); }

}  // namespace connperf::load
