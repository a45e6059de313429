#include "cli/report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "cli/live_stats.h"
#include "diag/tcp_mib.h"
#include "loop/clock.h"
#include "net/socket.h"
#include "stats/printers.h"

namespace connperf::cli {

namespace {

void print(std::FILE* to, const std::string& text) {
  if (text.empty()) return;
  std::fputs(text.c_str(), to);
  std::fflush(to);
}

// What one step of the run loop found, agreed over ranks: a signal on any rank stops the job,
// the run ends by itself when every rank has finished, and rank 0's clock ends -d and ticks.
struct Step {
  bool signalled, finished, ended, tick;
};

Step agree(ranks::Comm& comm, Step s) {
  if (comm.size() == 1) return s;
  const bool root = comm.rank() == 0;
  std::uint64_t v[4] = {s.signalled, !s.finished, root && s.ended, root && s.tick};
  comm.max(v);
  return {v[0] != 0, v[1] == 0, v[2] != 0, v[3] != 0};
}

// Calls tick(t, now) every `interval` seconds from t0 until finished() turns true, `duration`
// seconds pass (0 = no limit) or a signal arrives. Returns true when stopped by a signal.
bool drive(ranks::Comm& comm, StopSignals& signals, std::uint64_t t0, double interval,
           double duration, const std::function<bool()>& finished,
           const std::function<void(double, std::uint64_t)>& tick) {
  constexpr std::uint64_t kPollNs = 20'000'000;  // how soon the end of a counted run is seen
  const std::uint64_t interval_ns = loop::ns_from_seconds(interval);
  const std::uint64_t end = duration > 0 ? t0 + loop::ns_from_seconds(duration) : 0;
  std::uint64_t next_tick = t0 + interval_ns;
  for (;;) {
    std::uint64_t wake = std::min(next_tick, loop::now_ns() + kPollNs);
    if (end) wake = std::min(wake, end);
    const bool signalled = signals.wait_until(wake);
    const bool done = !signalled && finished();
    const std::uint64_t now = loop::now_ns();
    const Step s = agree(comm, {signalled, done, end && now >= end, now >= next_tick});
    if (s.signalled) return true;
    if (s.finished || s.ended) return false;
    if (s.tick) {
      tick(loop::seconds_from_ns(next_tick - t0), now);
      next_tick += interval_ns;
    }
  }
}

// --kernel-counters: the namespace's TCP MIB read on this (the reporting) thread at the start,
// at every tick and at the end; intervals get their differences, the summary the run's.
class KernelCounters {
 public:
  explicit KernelCounters(bool on) {
    if (on && !(first_ = last_ = diag::read_tcp_mib()))
      std::fputs("warning: --kernel-counters: cannot read /proc/net/snmp\n", stderr);
  }
  void interval(nlohmann::json& j, std::string& line) {
    if (!last_) return;
    const diag::TcpMib now = diag::read_tcp_mib().value_or(*last_);
    const diag::TcpMib d = now - *last_;
    last_ = now;
    j["kernel"] = diag::tcp_mib_json(d);
    if (const std::string moved = diag::tcp_mib_moved(d); !moved.empty())
      line += "  kernel: " + moved;
  }
  void summary(std::string& text, nlohmann::json& j) const {
    if (!first_) return;
    const diag::TcpMib d = diag::read_tcp_mib().value_or(*last_) - *first_;
    text += diag::tcp_mib_text(d);
    j["kernel"] = diag::tcp_mib_json(d);
    const auto limiter = diag::likely_limiter(d);
    j["kernel_limiter"] = limiter ? nlohmann::json(*limiter) : nlohmann::json(nullptr);
    if (limiter) text += "likely limiter: " + *limiter + "\n";
  }

 private:
  std::optional<diag::TcpMib> first_, last_;
};

// Under MPI: `ranks`, and summary.per_rank[] with each rank's host, rank and own totals.
void add_ranks(ranks::Comm& comm, Job& job, double elapsed, nlohmann::json& doc,
               std::string& text) {
  nlohmann::json row = job.rank_row(elapsed);
  row["host"] = comm.host();
  row["rank"] = comm.rank();
  const auto rows = comm.gather(row.dump());
  if (comm.rank() != 0) return;
  doc["ranks"] = comm.size();
  nlohmann::json& per_rank = doc["summary"]["per_rank"] = nlohmann::json::array();
  text += fmt::format("\n{} ranks:\n", comm.size());
  for (const auto& r : rows) {
    per_rank.push_back(nlohmann::json::parse(r));
    const nlohmann::json& j = per_rank.back();
    text += fmt::format("  rank {:<4} {:<24}", j["rank"].get<unsigned>(),
                        j["host"].get<std::string>());
    for (const auto& [key, value] : j.items())
      if (key != "rank" && key != "host")
        text += value.is_number_float() ? fmt::format(" {} {:.1f}", key, value.get<double>())
                                        : fmt::format(" {} {}", key, value.dump());
    text += '\n';
  }
}

}  // namespace

int run_and_report(Job& job, const Report& report, StopSignals& signals) {
  ranks::Comm& comm = ranks::world();
  const bool root = comm.rank() == 0;
  const OutputFlags& out = *report.out;
  const double interval = out.interval_seconds();
  std::FILE* human = out.human();
  const bool talk = root && !out.quiet;
  nlohmann::json doc = document(report.command, report.config);
  KernelCounters kernel(out.kernel_counters);  // its baseline before the start event is out
  NdjsonStream stream(root ? out.ndjson : std::string());
  stream.start(report.command, report.config);
  if (!report.first_interval.is_null()) {
    doc["intervals"].push_back(report.first_interval);
    stream.interval(report.first_interval);
  }
  if (talk && comm.size() > 1)
    print(human, fmt::format("{} ranks (mpirun): the figures are the job's; -t is per rank\n",
                             comm.size()));
  if (talk) print(human, report.banner);
  Progress progress;
  double last_t = 0;
  auto tick = [&](double t, std::uint64_t) {
    nlohmann::json j;
    std::string line;
    job.interval(t, t - last_t, j, line);
    kernel.interval(j, line);
    last_t = t;
    stream.interval(j);
    doc["intervals"].push_back(std::move(j));
    progress.clear();
    if (talk) print(human, line + '\n');
    if (talk && progress.enabled())
      progress.show(progress_text(t, report.duration, job.done_fraction()));
  };
  comm.barrier();  // every rank is ready: they start together
  const std::uint64_t t0 = job.start();
  const bool signalled =
      drive(comm, signals, t0, interval, report.duration, [&job] { return job.finished(); }, tick);
  std::uint64_t elapsed_ns[1] = {job.finish(signals, signalled) - t0};
  comm.max(elapsed_ns);  // the job lasted as long as its slowest rank
  const double elapsed = loop::seconds_from_ns(elapsed_ns[0]);
  if (job.reports_last_interval() && elapsed - last_t >= interval / 4) tick(elapsed, 0);
  progress.clear();
  std::string text;
  job.summary(elapsed, text, doc["summary"]);
  kernel.summary(text, doc["summary"]);
  if (comm.size() > 1) add_ranks(comm, job, elapsed, doc, text);
  if (root) print(human, text);
  job.complete(doc);
  stream.end(doc["summary"]);
  if (root && !out.json.empty()) write_json(out.json, doc);
  return job.exit_code();
}

NdjsonStream::NdjsonStream(const std::string& path) {
  if (path.empty()) return;
  if (path == "-") {
    f_ = stdout;
    return;
  }
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) throw RunError("cannot write NDJSON to " + path);
  owned_ = true;
}

NdjsonStream::~NdjsonStream() {
  if (owned_) std::fclose(f_);
}

void NdjsonStream::line(const nlohmann::json& j) {
  if (!f_) return;
  const std::string text = j.dump() + '\n';
  std::fputs(text.c_str(), f_);
  std::fflush(f_);
}

void NdjsonStream::start(const std::string& command, const nlohmann::json& config) {
  line({{"event", "start"}, {"tool", "connperf"}, {"version", CONNPERF_VERSION},
        {"command", command}, {"config", config}});
}

void NdjsonStream::interval(const nlohmann::json& j) {
  if (!f_) return;
  nlohmann::json e = {{"event", "interval"}};
  e.update(j);
  line(e);
}

void NdjsonStream::end(const nlohmann::json& summary) {
  line({{"event", "end"}, {"summary", summary}});
}

Progress::Progress() : tty_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { clear(); }

void Progress::show(const std::string& text) {
  if (!tty_) return;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void Progress::clear() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
}

namespace {

std::string seconds_text(double s) {
  return s < 60 ? fmt::format("{:.0f} s", s) : fmt::format("{}m{:02.0f}s", static_cast<long>(s / 60), std::floor(std::fmod(s, 60)));
}

}  // namespace

std::string progress_text(double elapsed, double total, double fraction) {
  if (fraction >= 0) {
    const double f = std::min(fraction, 1.0);
    std::string text = fmt::format("{:.0f}% of -n done, {:.1f} s", f * 100, elapsed);
    if (f > 0 && f < 1) text += fmt::format(", about {} left", seconds_text(elapsed / f - elapsed));
    return text;
  }
  if (total <= 0) return fmt::format("{:.1f} s", elapsed);
  const double f = std::min(elapsed / total, 1.0);
  return fmt::format("{:.1f} s of {}, {:.0f}%, {} left", elapsed, seconds_text(total), f * 100,
                     seconds_text(std::max(0.0, total - elapsed)));
}

std::string step_progress_text(std::size_t step, std::size_t steps, double elapsed_in_step,
                               double step_seconds, const std::string& what) {
  const double left = static_cast<double>(steps - step - 1) * step_seconds +
                      std::max(0.0, step_seconds - elapsed_in_step);
  return fmt::format("step {} of {}: {}, about {} left", step + 1, steps, what,
                     seconds_text(left));
}

void check_sources(const load::Targets& spec) {
  for (const auto& a : spec.binds) {
    const net::Result s = net::tcp_socket(a.family());
    if (!s.ok()) continue;  // out of files: the run will say so
    net::Fd fd(static_cast<int>(s.value));
    (void)net::set_bind_address_no_port(fd.get());
    if (const net::Result r = net::bind_to(fd.get(), a); !r.ok())
      throw RunError(fmt::format("--bind {}: cannot bind ({}: {})", a.host_string(),
                                 net::errno_name(r.sys_errno), net::errno_text(r.sys_errno)));
  }
}

nlohmann::json rank_counts(const stats::ClientSnapshot& own, double elapsed,
                           const std::vector<net::SockAddr>& sources) {
  nlohmann::json row = {
      {"started", own.started},
      {"completed", own.completed},
      {"errors", own.error_total()},
      {"cps", elapsed > 0 ? static_cast<double>(own.completed) / elapsed : 0.0}};
  if (!sources.empty()) {
    nlohmann::json& list = row["sources"] = nlohmann::json::array();
    for (const auto& a : sources) list.push_back(a.host_string());
  }
  return row;
}

int run_prepared(const std::function<Prepared()>& prepare, const TargetFlags& to,
                 StopSignals& signals) {
  ranks::Comm& comm = ranks::world();
  if (comm.size() == 1) {
    Prepared p = with_server_stats(prepare(), to);
    return run_and_report(*p.job, p.report, signals);
  }
  Prepared p;
  int code = kOk;
  std::string why;
  try {
    if (!to.server_stats.empty()) throw UsageError("--server-stats does not run under mpirun yet");
    p = prepare();
  } catch (const UsageError& e) {
    code = kUsage;
    why = e.what();
  } catch (const std::exception& e) {
    code = kCannotRun;
    why = e.what();
  }
  if (const int failed = ranks::agree_ready(comm, code, why)) return failed;
  try {
    return run_and_report(*p.job, p.report, signals);
  } catch (const std::exception& e) {  // the other ranks wait for this one: end the job
    fmt::print(stderr, "connperf: rank {} on {}: {}\n", comm.rank(), comm.host(), e.what());
    comm.abort(kCannotRun);
  }
  return kCannotRun;  // not reached: abort() ends the process
}

}  // namespace connperf::cli
