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
  EXPECT_NE(html.find("data-series=\"a\" data-index=\"0\" data-marks=\"4\""), std::string::npos);
  EXPECT_NE(html.find("data-series=\"a errors/s\" data-index=\"0\" data-marks=\"4\""),
            std::string::npos);  // errors on their own chart
  EXPECT_NE(html.find("data-series=\"a p99\" data-index=\"1\" data-marks=\"4\""),
            std::string::npos);
  EXPECT_NE(html.find("<td>refused</td><td class=\"num\">8</td>"), std::string::npos);
  EXPECT_EQ(html.find("<td>timeout</td>"), std::string::npos);  // causes that never happened
}

TEST(Html, TheFirstScreenSaysWhatWhereAndWhen) {
  nlohmann::json doc = crr_doc();
  doc["command_line"] = "connperf crr 127.0.0.1:80 -d 5";
  doc["host"] = "lab-7";
  doc["started_at"] = "2026-12-07T12:00:00Z";
  doc["config"]["targets"] = {"127.0.0.1:80"};
  doc["summary"].update({{"started", 12000}, {"completed", 11992}, {"error_total", 8}});
  const std::string html = render_html({{"a", doc}}, "");
  const auto headline = html.find("class=\"headline\"");
  ASSERT_NE(headline, std::string::npos);
  EXPECT_LT(headline, html.find("<svg"));  // before any chart
  EXPECT_NE(html.find("connperf crr 127.0.0.1:80 -d 5"), std::string::npos);
  EXPECT_NE(html.find("<b>host</b> lab-7"), std::string::npos);
  EXPECT_NE(html.find("<b>date</b> 2026-12-07 12:00:00 UTC"), std::string::npos);
  EXPECT_NE(html.find("<b>target</b> 127.0.0.1:80"), std::string::npos);
  EXPECT_NE(html.find("11,992<span class=\"unit\">of 12,000</span>"), std::string::npos);
  // The summary is a table of labelled, formatted values, not keys and raw numbers.
  EXPECT_NE(html.find("<td>completed</td><td class=\"num\">11,992</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>rate (connections/s)</td><td class=\"num\">98.0/s</td>"),
            std::string::npos);
  EXPECT_EQ(html.find("error_total"), std::string::npos);
}

TEST(Html, ARunWithNothingCompletedSaysSoInsteadOfDrawingLatency) {
  nlohmann::json doc = crr_doc();
  for (auto& iv : doc["intervals"]) iv["completed"] = 0;
  doc["summary"].update({{"started", 400}, {"completed", 0}, {"error_total", 400}});
  doc["summary"]["histograms"]["total"] = {{"count", 0}, {"buckets", nlohmann::json::array()}};
  const std::string html = render_html({{"a", doc}}, "");
  EXPECT_NE(html.find("nothing completed: 400 attempts, 8 of them refused"), std::string::npos);
  EXPECT_NE(html.find("No response completed: there is no latency to draw."), std::string::npos);
  EXPECT_EQ(html.find("data-chart=\"crr-latency\" viewBox"), std::string::npos);
}

TEST(Html, SweepsCarryATableOfThePlottedNumbers) {
  nlohmann::json doc = crr_doc();
  doc["command"] = "rr";
  doc["summary"] = {{"steps", nlohmann::json::array()}};
  for (int n : {1, 8})
    doc["summary"]["steps"].push_back(
        {{"connections", n}, {"qps", 1500.5 * n}, {"error_rate", 0.001}, {"answered_connections", 1},
         {"latency_us", {{"response", {{"p50", 40}, {"p99", 2500}, {"p999", 9000}}}}}});
  const std::string html = render_html({{"s", doc}}, "");
  EXPECT_NE(html.find("data-table=\"steps\""), std::string::npos);
  EXPECT_NE(html.find("<td>s</td><td class=\"num\">8</td><td class=\"num\">12,004.0/s</td>"
                      "<td class=\"num\">40 µs</td><td class=\"num\">2.50 ms</td>"
                      "<td class=\"num\">9.00 ms</td><td class=\"num\">0.10 %</td>"
                      "<td class=\"num\">1 of 8</td>"),
            std::string::npos);
  EXPECT_NE(html.find("data-chart=\"sweep-fairness\""), std::string::npos);
}

TEST(Html, ALabRunChartsTheDutAndServerColumns) {
  nlohmann::json doc = crr_doc();
  doc["dut"]["intervals"] = nlohmann::json::array();
  for (auto& iv : doc["intervals"]) {
    iv["server"] = {{"accepted", 97}, {"rst", 96}, {"fin", 0}, {"active", 1}};
    doc["dut"]["intervals"].push_back({{"t", iv["t"]}, {"new", 99}, {"entries", 1200},
                                       {"refused", 1}, {"reset", 0}, {"lost", 3}});
  }
  const std::string html = render_html({{"lab", doc}}, "");
  EXPECT_NE(html.find("data-chart=\"lab-flow\""), std::string::npos);
  EXPECT_NE(html.find("data-series=\"DUT new connections/s\" data-index=\"1\" data-marks=\"5\""),
            std::string::npos);
  EXPECT_NE(html.find("data-series=\"server accepted/s\" data-index=\"2\" data-marks=\"5\""),
            std::string::npos);
  EXPECT_NE(html.find("data-table=\"lab\""), std::string::npos);
  EXPECT_NE(html.find("<th>DUT new</th>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">1,200</td>"), std::string::npos);
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
