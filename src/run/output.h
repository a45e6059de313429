// Where a run's results go, chosen by one plain settings struct: the human table (banner, a line
// per interval or step, the summary text), the result document (--json), the NDJSON stream
// (--ndjson) and the progress line. The driver and the step runner write through one Output, so
// every subcommand gets every sink the same way. Command's thread only.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "run/hdr_log.h"
#include "stats/client_stats.h"

namespace connperf::run {

struct OutputSettings {
  double interval = 1;     // seconds between table lines
  std::string json;        // FILE, "-" for stdout, "" for none
  std::string ndjson;      // FILE, "-" for stdout, "" for none
  bool quiet = false;      // no banner, no interval lines
  bool kernel_counters = false;
  std::string hdr_log{};   // FILE: HdrHistogram interval log (run/hdr_log.h), "" for none
  nlohmann::json* keep = nullptr;  // also hands the finished document here (a suite's tests)
  bool silent = false;             // prints and writes nothing (a suite's probe of its target)
  // The human table goes to stderr when a JSON stream takes stdout.
  std::FILE* human() const noexcept {
    return json == "-" || ndjson == "-" ? stderr : stdout;
  }
};

// --ndjson: one JSON object per line, flushed per line, so `jq` or a dashboard follows a run:
// {"event":"start", and the result document's head: "tool", "version", "command",
// "command_line", "started_at", "host", "config"}, then
// {"event":"interval",…the interval's object…} (a sweep: one per step), then
// {"event":"end","summary":…}. Does nothing when `path` is empty. Throws RunError.
class NdjsonStream {
 public:
  explicit NdjsonStream(const std::string& path);
  ~NdjsonStream();
  NdjsonStream(const NdjsonStream&) = delete;
  NdjsonStream& operator=(const NdjsonStream&) = delete;
  void start(const nlohmann::json& doc);  // the document's head, without intervals and summary
  void interval(const nlohmann::json& j);
  void end(const nlohmann::json& summary);

 private:
  void line(const nlohmann::json& j);
  std::FILE* f_ = nullptr;
  bool owned_ = false;
};

// One self-updating status line on stderr, only when stderr is a terminal: nothing of it
// reaches files or pipes. clear() before other output goes to the same terminal.
class Progress {
 public:
  Progress();
  ~Progress();
  bool enabled() const noexcept { return tty_; }
  void show(const std::string& text);
  void clear();

 private:
  bool tty_;
  bool shown_ = false;
};

// "12.0 s of 30 s, 40%, 18 s left"; "7,500 of 10,000 (75%)"; "step 2 of 9". `total` 0 = no
// limit; `fraction` < 0 = not counted. Pure, for the status line.
std::string progress_text(double elapsed, double total, double fraction);
std::string step_progress_text(std::size_t step, std::size_t steps, double elapsed_in_step,
                               double step_seconds, const std::string& what);

// The sinks of one run. `talk`: this process prints (rank 0 of an MPI job; every plain run).
// The result document is built here: intervals as they come, the summary at the end.
class Output {
 public:
  Output(const OutputSettings& settings, const std::string& command, nlohmann::json config,
         bool talk = true);
  const OutputSettings& settings() const noexcept { return settings_; }
  nlohmann::json& document() noexcept { return doc_; }

  void banner(const std::string& text);                         // unless -q
  void interval(nlohmann::json j, const std::string& line);     // a table line and its object
  // The run started at t0 (monotonic ns): --hdr-log's StartTime.
  void started(std::uint64_t t0_ns);
  // An interval's latency histograms (--hdr-log), with its phase ("" without phases).
  void latency(double t, double seconds, const stats::ClientSnapshot& d, std::string_view phase);
  // A step of a step runner (--sweep, --search, models): its table row, even with -q, and an
  // NDJSON interval event; the steps themselves go to the summary (summary.steps[]).
  void step(const nlohmann::json& j, const std::string& row);
  void status(const std::string& text);                         // the progress line
  void text(const std::string& text);                           // summary text, even with -q
  // The end: the NDJSON end event and the document (--json) with its summary as it stands.
  void end();

 private:
  OutputSettings settings_;
  bool talk_;
  nlohmann::json doc_;
  NdjsonStream stream_;
  HdrLog hdr_;
  Progress progress_;
};

}  // namespace connperf::run
