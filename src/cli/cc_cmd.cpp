#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "load/cc.h"
#include "loop/event_loop.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_cc(CLI::App& app, CcOptions& o) {
  CLI::App* c = app.add_subcommand(
      "cc", "concurrent connections: open N at a ramp rate, hold them, count what survives");
  c->add_option("targets", o.targets, "HOST:PORT (repeatable, round-robin)")->required();
  c->add_option("-n,--count", o.count, "connections to open in total (default 1000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  c->add_option("--ramp", o.ramp, "new connections per second (default: as fast as possible)")
      ->check(CLI::PositiveNumber);
  c->add_option("--hold", o.hold, "SECONDS to hold them once all attempts ended (default 10)");
  c->add_option("--keepalive", o.keepalive,
                "send the request on every held connection every SECONDS (any reply counts)");
  c->add_option("--request", o.request, "what --keepalive sends: raw (default, 'Get.'), http or TEXT");
  c->add_option("-t,--threads", o.threads, "worker threads per process")->check(CLI::Range(1, 256));
  c->add_option("--processes", o.processes,
                "split the connections over P worker processes (each has its own fd limit)")
      ->check(CLI::Range(1, 64));
  c->add_option("--bind", o.binds, "source ADDR, range A-B, CIDR or comma list (repeatable)");
  c->add_option("--timeout", o.timeout_ms, "MS for a connect or a keepalive reply (default 5000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}));
  c->add_option("--interval", o.interval, "SECONDS between table lines (default 1)");
  c->add_option("--json", o.json, "write the result document to FILE ('-' for stdout)");
  c->add_flag("-q,--quiet", o.quiet, "no per-interval lines");
}

namespace {

// What each worker process publishes for the parent, in shared memory.
struct alignas(64) ProcessSlot {
  std::atomic<std::uint64_t> attempts{0}, established{0}, failed{0}, open{0}, lost{0};
  std::atomic<std::uint64_t> keepalives{0}, aborted{0};
  std::atomic<std::uint64_t> reached_ns{0};  // when this process had all its connections open
  std::atomic<std::uint64_t> errors[stats::kErrorKinds]{};
  std::atomic<int> done{0};
  std::atomic<int> stop{0};  // set by the parent: end the hold now
};

void publish(ProcessSlot& slot, const load::CcCounts& c) {
  slot.attempts = c.attempts.started;
  slot.established = c.attempts.completed;
  slot.failed = c.attempts.error_total();
  slot.open = c.open;
  slot.lost = c.lost;
  slot.keepalives = c.keepalives;
  for (std::size_t k = 0; k < stats::kErrorKinds; ++k) slot.errors[k] = c.attempts.errors[k];
}

// One process's run: ramp, then hold. Publishes into `slot` as it goes.
void run_cc_process(const load::CcSpec& spec, double hold, StopSignals& signals,
                    ProcessSlot& slot) {
  load::CcEngine engine(spec);
  const std::uint64_t t0 = engine.start();
  std::uint64_t hold_end = 0;
  load::CcCounts counts;
  auto finished = [&] {
    engine.snapshot(counts);
    publish(slot, counts);
    const std::uint64_t now = loop::now_ns();
    if (!slot.reached_ns && counts.open >= spec.count) slot.reached_ns = now - t0;
    if (!hold_end && engine.ramp_done()) hold_end = now + static_cast<std::uint64_t>(hold * 1e9);
    return slot.stop.load() || (hold_end && now >= hold_end);
  };
  drive(signals, t0, 3600, 0, finished, [](double, std::uint64_t) {});
  engine.snapshot(counts);
  publish(slot, counts);
  const std::uint64_t survived = counts.open, lost = counts.lost;  // at the end of the hold
  engine.stop();
  engine.join();
  engine.snapshot(counts);  // attempts that ended while stopping count too: totals stay exact
  counts.open = survived;
  counts.lost = lost;
  publish(slot, counts);
  slot.aborted = engine.aborted();
  slot.done = 1;
}

load::CcCounts total_of(const ProcessSlot* slots, unsigned n, std::uint64_t& reached_ns,
                        std::uint64_t& aborted, bool& all_reached) {
  load::CcCounts t;
  reached_ns = 0;
  aborted = 0;
  all_reached = true;
  for (unsigned i = 0; i < n; ++i) {
    const ProcessSlot& s = slots[i];
    t.attempts.started += s.attempts;
    t.attempts.completed += s.established;
    for (std::size_t k = 0; k < stats::kErrorKinds; ++k) t.attempts.errors[k] += s.errors[k];
    t.open += s.open;
    t.lost += s.lost;
    t.keepalives += s.keepalives;
    aborted += s.aborted;
    reached_ns = std::max<std::uint64_t>(reached_ns, s.reached_ns);
    all_reached = all_reached && s.reached_ns != 0;
  }
  return t;
}

}  // namespace

int run_cc(const CcOptions& o) {
  CrrOptions as_crr;  // shared flags mean the same as for crr
  as_crr.targets = o.targets;
  as_crr.binds = o.binds;
  as_crr.request = o.request;
  const load::CrrSpec common = crr_spec(as_crr);
  const double hold = parse_seconds("--hold", o.hold);
  const double interval = parse_seconds("--interval", o.interval);
  if (interval < 0.01) throw UsageError("--interval: at least 0.01 seconds");
  const double keepalive = o.keepalive.empty() ? 0 : parse_seconds("--keepalive", o.keepalive);
  if (o.processes > o.count) throw UsageError("--processes: more processes than connections");

  const unsigned procs = o.processes;
  auto* slots = static_cast<ProcessSlot*>(::mmap(nullptr, sizeof(ProcessSlot) * procs,
                                                 PROT_READ | PROT_WRITE,
                                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (slots == MAP_FAILED) throw RunError("cannot map shared memory for --processes");
  for (unsigned i = 0; i < procs; ++i) new (&slots[i]) ProcessSlot;

  auto spec_for = [&](unsigned i) {
    load::CcSpec s;
    s.targets = common.targets;
    s.binds = common.binds;
    s.request = o.request == "http" || o.request == "raw" ? common.request : load::RequestKind::Text;
    s.text = common.text;
    s.threads = o.threads;
    s.count = o.count / procs + (i < o.count % procs ? 1 : 0);
    s.ramp = o.ramp / procs;
    s.keepalive_ns = static_cast<std::uint64_t>(keepalive * 1e9);
    s.timeout_ns = o.timeout_ms * 1'000'000;
    // Each process takes its own share of the source addresses, so ports never collide.
    if (procs > 1 && s.binds.size() >= procs) {
      std::vector<net::SockAddr> mine;
      for (std::size_t k = i; k < s.binds.size(); k += procs) mine.push_back(s.binds[k]);
      s.binds = mine;
    }
    return s;
  };

  StopSignals signals;
  preflight_held(common, o.count, procs);
  std::FILE* human = o.json == "-" ? stderr : stdout;
  std::vector<pid_t> children;
  const std::uint64_t t0 = loop::now_ns();
  std::thread worker;  // procs == 1: the run goes on its own thread so this one can report
  if (procs == 1) {
    worker = std::thread([&] { run_cc_process(spec_for(0), hold, signals, slots[0]); });
  } else {
    for (unsigned i = 0; i < procs; ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {  // never returns: the parent reports
        try {
          StopSignals child_signals;
          run_cc_process(spec_for(i), hold, child_signals, slots[i]);
        } catch (const std::exception& e) {
          fmt::print(stderr, "connperf cc: worker process {}: {}\n", i, e.what());
          ::_exit(1);
        }
        ::_exit(0);
      }
      if (pid < 0) throw RunError("fork failed for --processes");
      children.push_back(pid);
    }
  }

  nlohmann::json doc = document("cc", {{"targets", o.targets}, {"count", o.count},
                                       {"ramp", o.ramp}, {"hold", hold}, {"keepalive", keepalive},
                                       {"threads", o.threads}, {"processes", procs},
                                       {"bind_addresses", common.binds.size()}});
  if (!o.quiet)
    fmt::print(human, "cc {} — {} connections{}, hold {:.1f} s, {} process{}\n{:>7} {:>10} {:>11} {:>9} {:>7}\n",
               o.targets.front(), stats::format_count(o.count),
               o.ramp > 0 ? fmt::format(" at {}/s", o.ramp) : std::string(), hold, procs,
               procs == 1 ? "" : "es", "time", "open", "attempts/s", "failed/s", "lost");
  std::uint64_t reached = 0, aborted = 0, prev_attempts = 0, prev_failed = 0;
  bool all_reached = false;
  double last_t = 0;
  // A worker process that ended without finishing (killed, crashed) is done too: its last
  // published counts stand, and the run says so.
  std::vector<char> reaped(children.size(), 0);
  auto all_done = [&] {
    bool done = true;
    for (unsigned i = 0; i < procs; ++i) {
      if (slots[i].done) continue;
      int status = 0;
      if (i < children.size() && ::waitpid(children[i], &status, WNOHANG) == children[i]) {
        reaped[i] = 1;
        slots[i].done = 1;
        fmt::print(stderr, "warning: worker process {} ended early ({}); its counts are partial\n",
                   i, WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                                          : fmt::format("exit {}", WEXITSTATUS(status)));
        continue;
      }
      done = false;
    }
    return done;
  };
  auto tick = [&](double t, std::uint64_t) {
    const load::CcCounts c = total_of(slots, procs, reached, aborted, all_reached);
    const double secs = t - last_t;
    last_t = t;
    const std::uint64_t att = c.attempts.started - prev_attempts, fail = c.attempts.error_total() - prev_failed;
    prev_attempts = c.attempts.started;
    prev_failed = c.attempts.error_total();
    doc["intervals"].push_back({{"t", t}, {"open", c.open}, {"attempts", att}, {"failed", fail},
                                {"lost", c.lost}});
    if (!o.quiet) {
      fmt::print(human, "{:>6.1f}s {:>10} {:>11} {:>9} {:>7}\n", t, stats::format_count(c.open),
                 stats::format_count(static_cast<std::uint64_t>(static_cast<double>(att) / secs)),
                 stats::format_count(static_cast<std::uint64_t>(static_cast<double>(fail) / secs)),
                 stats::format_count(c.lost));
      std::fflush(human);
    }
  };
  const bool signalled = drive(signals, t0, interval, 0, all_done, tick);
  if (signalled)
    for (unsigned i = 0; i < procs; ++i) slots[i].stop = 1;
  while (!all_done())
    if (signals.wait_until(loop::now_ns() + 5'000'000))  // a second signal: stop waiting
      for (unsigned i = 0; i < children.size(); ++i)
        if (!slots[i].done) ::kill(children[i], SIGKILL);
  for (unsigned i = 0; i < children.size(); ++i)
    if (!reaped[i]) ::waitpid(children[i], nullptr, 0);
  if (worker.joinable()) worker.join();

  const load::CcCounts c = total_of(slots, procs, reached, aborted, all_reached);
  const double elapsed = static_cast<double>(loop::now_ns() - t0) / 1e9;
  fmt::print(human, "\n{:<14}{:>12}\n{:<14}{:>12}\n{:<14}{:>12}\n", "attempted",
             stats::format_count(c.attempts.started), "established",
             stats::format_count(c.attempts.completed), "failed",
             stats::format_count(c.attempts.error_total()));
  for (std::size_t k = 0; k < stats::kErrorKinds; ++k)
    if (c.attempts.errors[k])
      fmt::print(human, "  {:<12}{:>12}\n", stats::to_string(static_cast<stats::ErrorKind>(k)),
                 stats::format_count(c.attempts.errors[k]));
  fmt::print(human, "{:<14}{:>12}\n{:<14}{:>12}   (open at the end of the hold)\n", "lost",
             stats::format_count(c.lost), "survived", stats::format_count(c.open));
  if (all_reached)
    fmt::print(human, "all {} open after {:.2f} s\n", stats::format_count(o.count),
               static_cast<double>(reached) / 1e9);
  else
    fmt::print(human, "never had all {} open at once\n", stats::format_count(o.count));
  std::fflush(human);
  doc["summary"] = {{"target", o.count},
                    {"attempted", c.attempts.started},
                    {"established", c.attempts.completed},
                    {"failed", c.attempts.error_total()},
                    {"errors", stats::errors_json(c.attempts)},
                    {"aborted", aborted},
                    {"lost", c.lost},
                    {"survived", c.open},
                    {"keepalives", c.keepalives},
                    {"time_to_reach_s", all_reached ? nlohmann::json(static_cast<double>(reached) / 1e9)
                                                    : nlohmann::json(nullptr)},
                    {"seconds", elapsed}};
  if (!o.json.empty()) write_json(o.json, doc);
  ::munmap(slots, sizeof(ProcessSlot) * procs);
  return kOk;
}

}  // namespace connperf::cli
