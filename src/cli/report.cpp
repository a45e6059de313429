#include "cli/report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "diag/tcp_mib.h"
#include "loop/clock.h"
#include "stats/printers.h"

namespace connperf::cli {

namespace {

void print(std::FILE* to, const std::string& text) {
  if (text.empty()) return;
  std::fputs(text.c_str(), to);
  std::fflush(to);
}

// Calls tick(t, now) every `interval` seconds from t0 until finished() turns true, `duration`
// seconds pass (0 = no limit) or a signal arrives. Returns true when stopped by a signal.
bool drive(StopSignals& signals, std::uint64_t t0, double interval, double duration,
           const std::function<bool()>& finished,
           const std::function<void(double, std::uint64_t)>& tick) {
  constexpr std::uint64_t kPollNs = 20'000'000;  // how soon the end of a counted run is seen
  const std::uint64_t interval_ns = loop::ns_from_seconds(interval);
  const std::uint64_t end = duration > 0 ? t0 + loop::ns_from_seconds(duration) : 0;
  std::uint64_t next_tick = t0 + interval_ns;
  for (;;) {
    std::uint64_t wake = std::min(next_tick, loop::now_ns() + kPollNs);
    if (end) wake = std::min(wake, end);
    if (signals.wait_until(wake)) return true;
    if (finished()) return false;
    const std::uint64_t now = loop::now_ns();
    if (end && now >= end) return false;
    if (now >= next_tick) {
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

}  // namespace

int run_and_report(Job& job, const Report& report, StopSignals& signals) {
  const OutputFlags& out = *report.out;
  const double interval = out.interval_seconds();
  std::FILE* human = out.human();
  nlohmann::json doc = document(report.command, report.config);
  NdjsonStream stream(out.ndjson);
  stream.start(report.command, report.config);
  if (!report.first_interval.is_null()) {
    doc["intervals"].push_back(report.first_interval);
    stream.interval(report.first_interval);
  }
  if (!out.quiet) print(human, report.banner);
  Progress progress;
  double last_t = 0;
  KernelCounters kernel(out.kernel_counters);
  auto tick = [&](double t, std::uint64_t) {
    nlohmann::json j;
    std::string line;
    job.interval(t, t - last_t, j, line);
    kernel.interval(j, line);
    last_t = t;
    stream.interval(j);
    doc["intervals"].push_back(std::move(j));
    progress.clear();
    if (!out.quiet) print(human, line + '\n');
    if (progress.enabled()) progress.show(progress_text(t, report.duration, job.done_fraction()));
  };
  const std::uint64_t t0 = job.start();
  const bool signalled =
      drive(signals, t0, interval, report.duration, [&job] { return job.finished(); }, tick);
  const double elapsed = loop::seconds_from_ns(job.finish(signals, signalled) - t0);
  if (job.reports_last_interval() && elapsed - last_t >= interval / 4) tick(elapsed, 0);
  progress.clear();
  std::string text;
  job.summary(elapsed, text, doc["summary"]);
  kernel.summary(text, doc["summary"]);
  print(human, text);
  job.complete(doc);
  stream.end(doc["summary"]);
  if (!out.json.empty()) write_json(out.json, doc);
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

}  // namespace connperf::cli
