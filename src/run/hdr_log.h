// --hdr-log FILE: the run's latency histograms as an HdrHistogram interval log (format v1.3),
// which HdrHistogram's own readers and plotters take: a header (#[StartTime: …],
// #[BaseTime: …], the legend), then per interval one line per tag — connect, tls (with --tls),
// response, total (cc: connect, and response with --keepalive) —
// with the interval's start (seconds since BaseTime, the run's start), its length, its max in ms
// and its histogram (stats/hdr_codec.h: compressed V2, base64, values in µs). A phase change
// (--ramp-up, --sustain, --ramp-down) is a comment line before the phase's first interval, so the
// tags stay the same whatever the phase. Written on the reporting thread from the interval
// deltas the jobs already take; the engines never see it. Command's thread only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "stats/client_stats.h"

namespace connperf::run {

// Throws UsageError when `path` cannot be opened for writing; creates it, does not truncate it.
// For the command line's checks, before anything runs.
void check_hdr_log_path(const std::string& path);

// The tags an interval's lines carry, the same every interval: what the run measures.
struct HdrLogTags {
  bool connect = true, tls = false, response = true, total = true;
};

class HdrLog {
 public:
  // Opens (truncates) `path`; "" = no log. Throws UsageError when the file cannot be written, so
  // a bad path ends the run before any connection.
  explicit HdrLog(const std::string& path);
  ~HdrLog();
  HdrLog(const HdrLog&) = delete;
  HdrLog& operator=(const HdrLog&) = delete;
  bool on() const noexcept { return f_ != nullptr; }

  using Tags = HdrLogTags;
  // The header: `command` (a comment naming the run), StartTime and BaseTime at the run's t0
  // (monotonic ns, loop/clock.h) on the wall clock; `tags` for every interval after it.
  void start(std::string_view command, std::uint64_t t0_ns, Tags tags = {});
  // The interval that ended at `t` seconds after t0, `seconds` long; `phase` "" without phases.
  void interval(double t, double seconds, const stats::ClientSnapshot& d, std::string_view phase);

 private:
  void line(const std::string& text);
  std::FILE* f_ = nullptr;
  std::string phase_;
  Tags tags_;
};

}  // namespace connperf::run
