// The page of a result and refusing what is not one.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "report/html.h"

namespace connperf::report {
namespace {

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
