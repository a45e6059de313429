// The report's pure parts: axis ticks and labels from 1 to 10^7, charts with gaps, the page of a
// result and refusing what is not one; the progress line's text.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>

#include "cli/report.h"
#include "report/axis.h"
#include "report/chart.h"
#include "report/html.h"

namespace connperf::report {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Axis, LinearTicksAreOneTwoFiveStepsCoveringTheRange) {
  for (double hi = 1; hi <= 1e7; hi *= 3.7) {
    const auto t = linear_ticks(0, hi);
    ASSERT_GE(t.size(), 3u) << hi;
    EXPECT_LE(t.size(), 11u) << hi;
    EXPECT_EQ(t.front(), 0) << hi;
    EXPECT_GE(t.back(), hi) << hi;
    const double step = t[1] - t[0];
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 ||
                std::abs(mantissa - 5) < 1e-6) << step;
  }
  EXPECT_EQ(linear_ticks(0, 1000), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
  EXPECT_EQ(linear_ticks(0, 0).front(), 0);  // a flat zero series still gets an axis
  EXPECT_GT(linear_ticks(0, 0).back(), 0);
}

TEST(Axis, LogTicksAreDecades) {
  EXPECT_EQ(log_ticks(3, 4500), (std::vector<double>{1, 10, 100, 1000, 10000}));
  EXPECT_EQ(log_ticks(1, 1e7).size(), 8u);
  EXPECT_EQ(log_ticks(100, 100), (std::vector<double>{100, 1000}));
}

TEST(Axis, LabelsAreShortWithUnits) {
  EXPECT_EQ(tick_label(0, Unit::Count), "0");
  EXPECT_EQ(tick_label(1, Unit::Count), "1");
  EXPECT_EQ(tick_label(500, Unit::Count), "500");
  EXPECT_EQ(tick_label(1000, Unit::Count), "1k");
  EXPECT_EQ(tick_label(1500, Unit::Count), "1.5k");
  EXPECT_EQ(tick_label(10000, Unit::Count), "10k");
  EXPECT_EQ(tick_label(250000, Unit::Count), "250k");
  EXPECT_EQ(tick_label(1e7, Unit::Count), "10M");
  EXPECT_EQ(tick_label(1, Unit::Micros), "1µs");
  EXPECT_EQ(tick_label(800, Unit::Micros), "800µs");
  EXPECT_EQ(tick_label(1000, Unit::Micros), "1ms");
  EXPECT_EQ(tick_label(2500, Unit::Micros), "2.5ms");
  EXPECT_EQ(tick_label(1e6, Unit::Micros), "1s");
  EXPECT_EQ(tick_label(1e7, Unit::Micros), "10s");
  EXPECT_EQ(tick_label(30, Unit::Seconds), "30s");
  EXPECT_EQ(tick_label(0.005, Unit::Ratio), "0.5%");
  // Every tick of every range from 1 to 10^7 is at most 6 characters.
  for (double hi = 1; hi <= 1e7; hi *= 1.9)
    for (double t : linear_ticks(0, hi)) {
      EXPECT_LE(tick_label(t, Unit::Count).size(), 6u) << t;
      EXPECT_LE(tick_label(t, Unit::Micros).size(), 7u) << t;  // µ is two bytes
    }
}

TEST(Chart, GapsStartANewSubPathAndHaveNoMark) {
  Chart c{"t", "title", {"time (s)", Unit::Seconds, false}, {"connections/s", Unit::Count, false},
          {{"run", "#000", {{1, 10.0}, {2, 12.0}, {3, std::nullopt}, {4, 11.0}, {5, 9.0}}}}};
  const std::string svg = render_svg(c);
  EXPECT_EQ(count(svg, "class=\"pt\""), 4u);
  EXPECT_EQ(count(svg, "data-marks=\"4\""), 1u);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("<path d=\"([^\"]*)\"")));
  EXPECT_EQ(count(m[1].str(), "M"), 2u) << m[1];  // two runs of points, not a drop to zero
  EXPECT_NE(svg.find(">connections/s<"), std::string::npos);
  EXPECT_NE(svg.find(">run<"), std::string::npos);  // legend
}

nlohmann::json crr_doc() {
  nlohmann::json doc = {{"tool", "connperf"}, {"version", "0.1.0"}, {"command", "crr"},
                        {"config", {{"threads", 1}}}, {"intervals", nlohmann::json::array()}};
  for (int i = 1; i <= 5; ++i) {
    const bool empty = i == 3;
    doc["intervals"].push_back({{"t", i}, {"seconds", 1.0}, {"started", empty ? 0 : 100},
                                {"completed", empty ? 0 : 98}, {"errors", empty ? 0 : 2},
                                {"cps", empty ? 0 : 98.0},
                                {"response_us", {{"p50", 120}, {"p99", 900}}}});
  }
  doc["summary"] = {{"cps", 98.0}, {"errors", {{"refused", 8}, {"timeout", 0}}},
                    {"histograms",
                     {{"total", {{"count", 10}, {"buckets", {{100, 6}, {1000, 4}}}}}}}};
  return doc;
}

TEST(Html, ChartsEveryIntervalWithDataAndLeavesEmptyOnesOut) {
  const std::string html = render_html({{"a", crr_doc()}}, "T <1>");
  EXPECT_NE(html.find("<title>T &lt;1&gt;</title>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // nothing fetched
  EXPECT_NE(html.find("data-chart=\"crr-rate\""), std::string::npos);
  EXPECT_NE(html.find("data-series=\"a\" data-index=\"1\" data-marks=\"4\""), std::string::npos);
  EXPECT_NE(html.find("data-series=\"a p99\" data-index=\"1\" data-marks=\"4\""),
            std::string::npos);
  EXPECT_NE(html.find("<td>refused</td>"), std::string::npos);
  EXPECT_EQ(html.find("<td>timeout</td>"), std::string::npos);  // causes that never happened
}

TEST(Html, RefusesWhatIsNotAConnperfResult) {
  EXPECT_THROW(result_kind(nlohmann::json::array(), "x"), NotAResult);
  EXPECT_THROW(result_kind({{"tool", "wrk"}, {"command", "crr"}, {"summary", {}}}, "x"),
               NotAResult);
  nlohmann::json server = crr_doc();
  server["command"] = "server";
  EXPECT_THROW(result_kind(server, "x"), NotAResult);
  EXPECT_EQ(result_kind(crr_doc(), "x"), "crr");
  nlohmann::json sweep = crr_doc();
  sweep["command"] = "rr";
  sweep["summary"] = {{"steps", nlohmann::json::array()}};
  EXPECT_EQ(result_kind(sweep, "x"), "sweep");
}

}  // namespace
}  // namespace connperf::report

namespace connperf::cli {
namespace {

TEST(Progress, SaysWhereARunIs) {
  EXPECT_EQ(progress_text(12, 30, -1), "12.0 s of 30 s, 40%, 18 s left");
  EXPECT_EQ(progress_text(5, 0, 0.25), "25% of -n done, 5.0 s, about 15 s left");
  EXPECT_EQ(progress_text(3, 0, -1), "3.0 s");
  EXPECT_EQ(step_progress_text(1, 9, 2, 6, "epoll, 100 connections"),
            "step 2 of 9: epoll, 100 connections, about 46 s left");
  EXPECT_EQ(progress_text(30, 600, -1), "30.0 s of 10m00s, 5%, 9m30s left");
}

}  // namespace
}  // namespace connperf::cli
