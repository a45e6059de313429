// run/hdr_log: the interval log's header, one line per interval and tag that decodes to the
// interval's histogram, phase comments, and a path that cannot be written.
#include "run/hdr_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "loop/clock.h"
#include "run/errors.h"
#include "stats/hdr_codec.h"
#include "../../scratch_file.h"

namespace connperf::run {
namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',')
      out.emplace_back();
    else
      out.back().push_back(c);
  }
  return out;
}

stats::ClientSnapshot interval_of(std::uint64_t base) {
  stats::ClientSnapshot d;
  d.connect_us.record(base);
  d.response_us.record_n(base * 10, 2);
  d.total_us.record_n(base * 11, 2);
  d.total_us.record(5'000'000);
  return d;
}

void expect_decodes_to(const std::string& base64, const stats::Histogram& h) {
  const auto d = stats::hdr::decode_compressed_base64(base64);
  ASSERT_TRUE(d);
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < d->counts.size(); ++i) {
    EXPECT_EQ(d->counts[i], h.bucket_count(i)) << i;
    n += d->counts[i];
  }
  EXPECT_EQ(n, h.count());
}

TEST(HdrLog, HeaderThenALinePerTagAndIntervalWithPhaseComments) {
  const std::string path = test::scratch_file("x.hlog");
  {
    HdrLog log(path);
    ASSERT_TRUE(log.on());
    log.start("crr", loop::now_ns());
    log.interval(1.0, 1.0, interval_of(100), "ramp_up");
    log.interval(2.0, 1.0, interval_of(1000), "sustain");
    log.interval(2.5, 0.5, interval_of(3000), "sustain");
  }
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 5u + 2 + 9);
  EXPECT_EQ(lines[0].rfind("#[connperf crr", 0), 0u);
  EXPECT_EQ(lines[1], "#[Histogram log format version 1.3]");
  EXPECT_EQ(lines[2].rfind("#[StartTime: ", 0), 0u);
  EXPECT_NE(lines[2].find(" (seconds since epoch), "), std::string::npos);
  EXPECT_EQ(lines[3].rfind("#[BaseTime: ", 0), 0u);
  EXPECT_EQ(lines[3].substr(12, 10), lines[2].substr(13, 10));  // the same epoch seconds
  EXPECT_EQ(lines[4],
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
            "\"Interval_Compressed_Histogram\"");
  EXPECT_EQ(lines[5], "#[Phase: ramp_up from 0.000]");
  EXPECT_EQ(lines[9], "#[Phase: sustain from 1.000]");  // once, at the phase's first interval
  const std::vector<std::size_t> rows = {6, 7, 8, 10, 11, 12, 13, 14, 15};
  const char* tags[] = {"Tag=connect", "Tag=response", "Tag=total"};
  const std::uint64_t bases[] = {100, 1000, 3000};
  const char* starts[] = {"0.000", "1.000", "2.000"};
  const char* lengths[] = {"1.000", "1.000", "0.500"};
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto f = fields(lines[rows[k]]);
    ASSERT_EQ(f.size(), 5u) << lines[rows[k]];
    EXPECT_EQ(f[0], tags[k % 3]);
    EXPECT_EQ(f[1], starts[k / 3]);
    EXPECT_EQ(f[2], lengths[k / 3]);
    const stats::ClientSnapshot d = interval_of(bases[k / 3]);
    const stats::Histogram* h[] = {&d.connect_us, &d.response_us, &d.total_us};
    EXPECT_EQ(f[3], fmt::format("{:.3f}", static_cast<double>(h[k % 3]->max()) / 1000));  // ms
    expect_decodes_to(f[4], *h[k % 3]);
  }
}

// The tags are the run's, the same every interval: --tls adds tls after connect; cc has no total.
TEST(HdrLog, TagsAreTheRunsInTheirOrder) {
  const std::string path = test::scratch_file("tags.hlog");
  {
    HdrLog log(path);
    log.start("crr", loop::now_ns(), {.connect = true, .tls = true, .response = true, .total = true});
    log.interval(1.0, 1.0, interval_of(100), "");
  }
  {
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 5u + 4);
    const char* tags[] = {"Tag=connect", "Tag=tls", "Tag=response", "Tag=total"};
    for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(fields(lines[5 + k])[0], tags[k]);
  }
  {
    HdrLog log(path);
    log.start("cc", loop::now_ns(), {.connect = true, .tls = false, .response = false, .total = false});
    log.interval(1.0, 1.0, interval_of(100), "");
    log.interval(2.0, 1.0, interval_of(100), "");
  }
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 5u + 2);
  EXPECT_EQ(fields(lines[5])[0], "Tag=connect");
  EXPECT_EQ(fields(lines[6])[0], "Tag=connect");
}

TEST(HdrLog, NoPathWritesNothingAndABadPathIsAUsageError) {
  HdrLog none("");
  EXPECT_FALSE(none.on());
  none.start("crr", 0);
  none.interval(1, 1, stats::ClientSnapshot{}, "");
  EXPECT_THROW(HdrLog("/nonexistent-dir/x.hlog"), UsageError);
  EXPECT_THROW(check_hdr_log_path("/nonexistent-dir/x.hlog"), UsageError);
  EXPECT_NO_THROW(check_hdr_log_path(""));
  const std::string path = test::scratch_file("probe.hlog");
  {
    std::ofstream(path) << "kept\n";
  }
  check_hdr_log_path(path);  // creates, never truncates: the run writes it
  EXPECT_EQ(lines_of(path), std::vector<std::string>{"kept"});
}

}  // namespace
}  // namespace connperf::run
