// The report's numbers: separators, units that fit, tiny error rates that still read as
// something, dates in UTC, and keys turned into labels with their unit.
#include <gtest/gtest.h>

#include <string>

#include "report/format.h"

namespace connperf::report {
namespace {

TEST(Format, CountsAndRatesHaveThousandsSeparators) {
  EXPECT_EQ(count_text(0), "0");
  EXPECT_EQ(count_text(12618), "12,618");
  EXPECT_EQ(count_text(1234567.6), "1,234,568");
  EXPECT_EQ(count_text(-20), "-20");
  EXPECT_EQ(rate_text(4205.88764), "4,205.9");
  EXPECT_EQ(rate_text(999.96), "1,000.0");
  EXPECT_EQ(rate_text(0.35), "0.35");
  EXPECT_EQ(rate_text(0), "0.0");
}

TEST(Format, LatencyTakesTheUnitThatFits) {
  EXPECT_EQ(latency_quantity(45).text(), "45 µs");
  EXPECT_EQ(latency_quantity(4007).text(), "4.01 ms");
  EXPECT_EQ(latency_quantity(1'560'000).text(), "1.56 s");
  EXPECT_EQ(latency_quantity(4007).value, "4.01");
  EXPECT_EQ(latency_quantity(4007).unit, "ms");
}

TEST(Format, ErrorRatesStayReadableWhenTiny) {
  EXPECT_EQ(percent_quantity(0).text(), "0 %");
  EXPECT_EQ(percent_quantity(0.024).text(), "2.4 %");
  EXPECT_EQ(percent_quantity(1).text(), "100 %");
  EXPECT_EQ(percent_quantity(3.0 / 1'000'000).text(), "0.00030 %");  // 3 in a million
  EXPECT_EQ(percent_quantity(0.0042).text(), "0.42 %");
}

TEST(Format, DurationsAndDates) {
  EXPECT_EQ(duration_text(3.0001), "3.00 s");
  EXPECT_EQ(duration_text(125), "2m05s");
  EXPECT_EQ(duration_text(7260), "2h01m");
  EXPECT_EQ(date_text("2026-12-07T18:23:55Z"), "2026-12-07 18:23:55 UTC");
  EXPECT_EQ(date_text("yesterday"), "yesterday");
}

TEST(Format, ValuesTakeTheUnitOfTheirKey) {
  EXPECT_EQ(value_text("cps", 4205.88764), "4,205.9/s");
  EXPECT_EQ(value_text("completed", 12618), "12,618");
  EXPECT_EQ(value_text("drain_s", 0.93), "0.93 s");
  EXPECT_EQ(value_text("timeout_ms", 5000), "5,000 ms");
  EXPECT_EQ(value_text("latency_us.total.p99", 6095), "6.09 ms");
  EXPECT_EQ(value_text("error_rate", 0.5), "50 %");
  EXPECT_EQ(value_text("lab.dut.loss_pct", 0.5), "0.50 %");
  EXPECT_EQ(value_text("kib_per_connection", 2.84), "2.8 KiB");
  EXPECT_EQ(value_text("targets", nlohmann::json{"127.0.0.1:80", "[::1]:80"}),
            "127.0.0.1:80, [::1]:80");
  EXPECT_EQ(value_text("nat", false), "no");
  EXPECT_EQ(value_text("kernel_limiter", nullptr), "–");
  EXPECT_EQ(value_text("close", "rst"), "rst");
}

TEST(Format, KeysBecomeWords) {
  EXPECT_EQ(key_label("error_total"), "errors");
  EXPECT_EQ(key_label("time_to_reach_s"), "time to reach the target");
  EXPECT_EQ(key_label("lab.dut.loss_pct"), "lab dut loss");
  EXPECT_EQ(key_label("kernel.TcpExtListenOverflows"), "kernel TcpExtListenOverflows");
}

}  // namespace
}  // namespace connperf::report
