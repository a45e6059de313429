#include "run/driver.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "diag/tcp_mib.h"
#include "loop/clock.h"
#include "run/cpu_usage.h"
#include "ranks/reduce.h"

namespace connperf::run {

namespace {

// What one step of the run loop found, agreed over ranks: a signal on any rank stops the job,
// the run ends by itself when every rank has reached its end, and rank 0's clock ends -d and
// ticks.
struct Step {
  bool signalled, reached_end, ended, tick;
};

Step agree(ranks::Comm& comm, Step s) {
  if (comm.size() == 1) return s;
  const bool root = comm.rank() == 0;
  std::uint64_t v[4] = {s.signalled, !s.reached_end, root && s.ended, root && s.tick};
  comm.max(v);
  return {v[0] != 0, v[1] == 0, v[2] != 0, v[3] != 0};
}

// Calls tick(t) every `interval` seconds from t0 until the job reaches its end, `duration`
// seconds pass (0 = no limit) or a signal arrives, and between ticks `status(elapsed)` every
// quarter second, so the progress line moves between table rows. Returns true when stopped
// by a signal.
bool clock(ranks::Comm& comm, StopSignals& signals, std::uint64_t t0, double interval,
           double duration, Job& job, const std::function<void(double)>& tick,
           const std::function<void(double)>& status) {
  constexpr std::uint64_t kPollNs = 20'000'000;  // how soon the end of a counted run is seen
  constexpr std::uint64_t kStatusNs = 250'000'000;
  const std::uint64_t interval_ns = loop::ns_from_seconds(interval);
  const std::uint64_t end = duration > 0 ? t0 + loop::ns_from_seconds(duration) : 0;
  std::uint64_t next_tick = t0 + interval_ns;
  std::uint64_t next_status = t0 + kStatusNs;
  for (;;) {
    std::uint64_t wake = std::min(next_tick, loop::now_ns() + kPollNs);
    if (end) wake = std::min(wake, end);
    const bool signalled = signals.wait_until(wake);
    const bool done = !signalled && job.reached_end();
    const std::uint64_t now = loop::now_ns();
    const Step s = agree(comm, {signalled, done, end && now >= end, now >= next_tick});
    if (s.signalled) return true;
    if (s.reached_end || s.ended) return false;
    if (s.tick) {
      tick(loop::seconds_from_ns(next_tick - t0));
      next_tick += interval_ns;
      next_status = now + kStatusNs;  // the row just printed says where the run is
    } else if (now >= next_status) {
      status(loop::seconds_from_ns(now - t0));
      next_status = now + kStatusNs;
    }
  }
}

// --kernel-counters: the namespace's TCP MIB read on the reporting thread when the job is
// wrapped (before the start event is out), at every tick and at the end; intervals get their
// differences, the summary the run's.
class KernelCountersJob final : public JobDecorator {
 public:
  explicit KernelCountersJob(Job& inner) : JobDecorator(inner) {
    if (!(first_ = last_ = diag::read_tcp_mib()))
      std::fputs("warning: --kernel-counters: cannot read /proc/net/snmp\n", stderr);
  }
  void interval(double t, double seconds, nlohmann::json& j, std::string& line) override {
    load_->interval(t, seconds, j, line);
    if (!last_) return;
    const diag::TcpMib now = diag::read_tcp_mib().value_or(*last_);
    add_kernel_delta(now - *last_, j, line);
    last_ = now;
  }
  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
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
class RanksJob final : public JobDecorator {
 public:
  RanksJob(Job& inner, ranks::Comm& comm) : JobDecorator(inner), comm_(comm) {}
  void summary(double elapsed, std::string& text, nlohmann::json& j) override {
    load_->summary(elapsed, text, j);
    nlohmann::json row = load_->rank_row(elapsed);
    row["host"] = comm_.host();
    row["rank"] = comm_.rank();
    const auto rows = comm_.gather(row.dump());
    if (comm_.rank() != 0) return;
    nlohmann::json& per_rank = j["per_rank"] = nlohmann::json::array();
    text += fmt::format("\n{} ranks:\n", comm_.size());
    for (const auto& r : rows) {
      per_rank.push_back(nlohmann::json::parse(r));
      text += rank_line(per_rank.back());
    }
  }
  void add_sections(nlohmann::json& doc) override {
    load_->add_sections(doc);
    doc["ranks"] = comm_.size();
  }

 private:
  static std::string rank_line(const nlohmann::json& j) {
    std::string text = fmt::format("  rank {:<4} {:<24}", j["rank"].get<unsigned>(),
                                   j["host"].get<std::string>());
    for (const auto& [key, value] : j.items())
      if (key != "rank" && key != "host")
        text += value.is_number_float() ? fmt::format(" {} {:.1f}", key, value.get<double>())
                                        : fmt::format(" {} {}", key, value.dump());
    return text + '\n';
  }
  ranks::Comm& comm_;
};

// The job as the settings and the launch ask: each layer wraps the one before.
struct Wrapped {
  Wrapped(Job& job, const Plan& plan, ranks::Comm& comm) : top(&job) {
    top = &cpu.emplace(*top, plan.command, plan.config, comm);
    if (plan.out.kernel_counters) top = &kernel.emplace(*top);
    if (comm.size() > 1) top = &ranks.emplace(*top, comm);
  }
  Job* top;
  std::optional<CpuUsageJob> cpu;
  std::optional<KernelCountersJob> kernel;
  std::optional<RanksJob> ranks;
};

}  // namespace

void add_kernel_delta(const diag::TcpMib& delta, nlohmann::json& j, std::string& line) {
  j["kernel"] = diag::tcp_mib_json(delta);
  if (const std::string moved = diag::tcp_mib_moved(delta); !moved.empty())
    line += "  kernel: " + moved;
}

int drive(Job& inner, const Plan& plan, StopSignals& signals) {
  ranks::Comm& comm = ranks::world();
  Wrapped wrapped(inner, plan, comm);  // the kernel baseline before the start event
  Job& job = *wrapped.top;
  Output out(plan.out, plan.command, plan.config, comm.rank() == 0);
  if (!plan.first_interval.is_null()) out.interval(plan.first_interval, "");
  if (comm.size() > 1)
    out.banner(fmt::format("{} ranks (mpirun): the figures are the job's; -t is per rank\n",
                           comm.size()));
  out.banner(plan.banner);
  double last_t = 0;
  auto tick = [&](double t) {
    nlohmann::json j;
    std::string line;
    job.interval(t, t - last_t, j, line);
    if (const stats::ClientSnapshot* d = job.interval_figures())
      out.latency(t, t - last_t, *d, j.contains("phase") ? j["phase"].get<std::string>() : "");
    last_t = t;
    out.interval(std::move(j), line);
  };
  auto status = [&](double elapsed) {
    out.status(progress_text(elapsed, plan.duration, job.done_fraction()));
  };
  comm.barrier();  // every rank is ready: they start together
  const std::uint64_t t0 = job.start();
  out.started(t0);
  const bool signalled =
      clock(comm, signals, t0, plan.out.interval, plan.duration, job, tick, status);
  std::uint64_t elapsed_ns[1] = {job.stop(signals, signalled) - t0};
  comm.max(elapsed_ns);  // the job lasted as long as its slowest rank
  const double elapsed = loop::seconds_from_ns(elapsed_ns[0]);
  // The run's tail gets its own row when it is long enough to say something; a run shorter than
  // the first tick always gets one, so the table is never empty however fast the host.
  if (job.reports_last_interval() && elapsed > 0 &&
      (elapsed - last_t >= plan.out.interval / 4 || last_t == 0))
    tick(elapsed);
  std::string text;
  job.summary(elapsed, text, out.document()["summary"]);
  out.text(text);
  job.add_sections(out.document());
  if (signalled) out.document()["interrupted"] = true;
  out.end();
  if (const std::string why = job.exit_reason();
      !why.empty() && comm.rank() == 0 && !plan.out.silent)
    fmt::print(stderr, "connperf: {}\n", why);
  return job.exit_code();
}

int run_prepared(const std::function<Prepared()>& prepare, StopSignals& signals) {
  ranks::Comm& comm = ranks::world();
  if (comm.size() == 1) {
    Prepared p = prepare();
    return drive(*p.job, p.plan, signals);
  }
  Prepared p;
  int code = kOk;
  std::string why;
  try {
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
    return drive(*p.job, p.plan, signals);
  } catch (const std::exception& e) {  // the other ranks wait for this one: end the job
    fmt::print(stderr, "connperf: rank {} on {}: {}\n", comm.rank(), comm.host(), e.what());
    comm.abort(kCannotRun);
  }
  return kCannotRun;  // not reached: abort() ends the process
}

}  // namespace connperf::run
