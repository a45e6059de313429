#include "cli/report.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "loop/clock.h"

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

}  // namespace

int run_and_report(Job& job, const Report& report, StopSignals& signals) {
  const OutputFlags& out = *report.out;
  const double interval = out.interval_seconds();
  std::FILE* human = out.human();
  nlohmann::json doc = document(report.command, report.config);
  if (!report.first_interval.is_null()) doc["intervals"].push_back(report.first_interval);
  if (!out.quiet) print(human, report.banner);
  double last_t = 0;
  auto tick = [&](double t, std::uint64_t) {
    nlohmann::json j;
    std::string line;
    job.interval(t, t - last_t, j, line);
    last_t = t;
    doc["intervals"].push_back(std::move(j));
    if (!out.quiet) print(human, line + '\n');
  };
  const std::uint64_t t0 = job.start();
  const bool signalled =
      drive(signals, t0, interval, report.duration, [&job] { return job.finished(); }, tick);
  const double elapsed = loop::seconds_from_ns(job.finish(signals, signalled) - t0);
  if (job.reports_last_interval() && elapsed - last_t >= interval / 4) tick(elapsed, 0);
  std::string text;
  job.summary(elapsed, text, doc["summary"]);
  print(human, text);
  job.complete(doc);
  if (!out.json.empty()) write_json(out.json, doc);
  return job.exit_code();
}

}  // namespace connperf::cli
