#include "cli/report.h"

#include <cstdio>

#include <fmt/format.h>

#include "loop/clock.h"

namespace connperf::cli {

namespace {

void print(std::FILE* to, const std::string& text) {
  if (text.empty()) return;
  std::fputs(text.c_str(), to);
  std::fflush(to);
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
  if (!out.json.empty()) write_json(out.json, doc);
  return job.exit_code();
}

}  // namespace connperf::cli
