#include "run/hdr_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <tuple>

#include <fmt/format.h>

#include "loop/clock.h"
#include "run/errors.h"
#include "stats/hdr_codec.h"

namespace connperf::run {

namespace {

// "Mon Dec 07 18:58:28 UTC 2026", as HdrHistogram's writers put a date after StartTime.
std::string utc_date(double epoch_s) {
  const std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  const std::size_t n = std::strftime(text, sizeof text, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return std::string(text, n);
}

[[noreturn]] void cannot_write(const std::string& path) {
  throw UsageError(fmt::format("--hdr-log: cannot write {}: {}", path, std::strerror(errno)));
}

}  // namespace

void check_hdr_log_path(const std::string& path) {
  if (path.empty()) return;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) cannot_write(path);
  ::close(fd);
}

HdrLog::HdrLog(const std::string& path) {
  if (path.empty()) return;
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) cannot_write(path);
}

HdrLog::~HdrLog() {
  if (f_) std::fclose(f_);
}

void HdrLog::line(const std::string& text) {
  std::fputs(text.c_str(), f_);
}

void HdrLog::start(std::string_view command, std::uint64_t t0_ns, Tags tags) {
  if (!on()) return;
  tags_ = tags;
  const double start_epoch_s = loop::epoch_seconds_at(t0_ns);
  line(fmt::format("#[connperf {}: latency in microseconds; Interval_Max in milliseconds]\n",
                   command));
  line("#[Histogram log format version 1.3]\n");
  line(fmt::format("#[StartTime: {:.3f} (seconds since epoch), {}]\n", start_epoch_s,
                   utc_date(start_epoch_s)));
  line(fmt::format("#[BaseTime: {:.3f} (seconds since epoch)]\n", start_epoch_s));
  line("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
       "\"Interval_Compressed_Histogram\"\n");
  std::fflush(f_);
}

void HdrLog::interval(double t, double seconds, const stats::ClientSnapshot& d,
                      std::string_view phase) {
  if (!on()) return;
  if (phase != phase_) {
    line(fmt::format("#[Phase: {} from {:.3f}]\n", phase, t - seconds));
    phase_ = phase;
  }
  const std::tuple<bool, const char*, const stats::Histogram*> tags[] = {
      {tags_.connect, "connect", &d.connect_us},
      {tags_.tls, "tls", &d.tls_us},
      {tags_.response, "response", &d.response_us},
      {tags_.total, "total", &d.total_us}};
  for (const auto& [wanted, tag, h] : tags)
    if (wanted)
      line(fmt::format("Tag={},{:.3f},{:.3f},{:.3f},{}\n", tag, t - seconds, seconds,
                       static_cast<double>(h->max()) / 1000.0,
                       stats::hdr::encode_compressed_base64(*h)));
  std::fflush(f_);
}

}  // namespace connperf::run
