// The first screen of a run: its headline figures with units, and what it says when nothing
// completed.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "report/page_parts.h"

namespace connperf::report {
namespace {

using nlohmann::json;

json crr_summary() {
  return {{"started", 12620}, {"completed", 12618}, {"error_total", 2}, {"cps", 4205.88},
          {"errors", {{"refused", 2}, {"timeout", 0}}},
          {"latency_us", {{"total", {{"p50", 94}, {"p99", 6095}, {"count", 12618}}}}}};
}

const Figure& find(const std::vector<Figure>& figures, const std::string& id) {
  for (const Figure& f : figures)
    if (f.id == id) return f;
  throw std::runtime_error("no figure " + id);
}

TEST(Headline, CrrShowsRateLatencyErrorRateAndCompletedWithUnits) {
  const json doc = {{"summary", crr_summary()}};
  const auto figures = headline_figures(doc, "crr");
  EXPECT_EQ(find(figures, "rate").q.text(), "4,205.9 /s");
  EXPECT_EQ(find(figures, "p50").q.text(), "94 µs");
  EXPECT_EQ(find(figures, "p99").q.text(), "6.09 ms");
  EXPECT_EQ(find(figures, "error_rate").q.text(), "0.016 %");
  EXPECT_EQ(find(figures, "completed").q.text(), "12,618 of 12,620");
  EXPECT_EQ(nothing_completed_text(doc, "crr"), "");
}

TEST(Headline, NothingCompletedSaysSoAndNamesTheDominantCause) {
  json doc = {{"summary", crr_summary()}};
  doc["summary"]["completed"] = 0;
  doc["summary"]["errors"] = {{"refused", 26624}, {"timeout", 3}};
  EXPECT_EQ(nothing_completed_text(doc, "crr"),
            "nothing completed: 12,620 attempts, 26,624 of them refused");
  EXPECT_EQ(find(headline_figures(doc, "crr"), "p99").q.text(), "–");  // no latency, not 0
  json rr = {{"summary", {{"started", 0}, {"requests", 0}}}};
  EXPECT_EQ(nothing_completed_text(rr, "rr"), "nothing completed: no attempt was started");
}

TEST(Headline, ModelsShowTheLeastFairStep) {
  const json step8 = {{"connections", 8}, {"qps", 17612.0}, {"answered_connections", 1},
                      {"error_rate", 0.0}};
  const json step1 = {{"connections", 1}, {"qps", 46978.0}, {"answered_connections", 1},
                      {"error_rate", 0.0}};
  const json doc = {{"summary", {{"models", {{{"model", "iterative"}, {"steps", {step1, step8}}}}}}}};
  const auto figures = headline_figures(doc, "models");
  EXPECT_EQ(find(figures, "rate").q.text(), "46,978.0 /s");
  EXPECT_EQ(find(figures, "answered").q.text(), "1 of 8");
  EXPECT_EQ(find(figures, "answered").name, "fewest connections answered (iterative)");
}

TEST(Headline, TargetsAndTheLabTheyWentThrough) {
  EXPECT_EQ(targets_text({{"config", {{"targets", {"127.0.0.1:80", "127.0.0.1:81"}}}}}),
            "127.0.0.1:80, 127.0.0.1:81");
  EXPECT_EQ(targets_text({{"config", {{"targets", {"198.19.0.2:8080"}},
                                      {"lab", {{"name", "cplab"}}}}}}),
            "198.19.0.2:8080 through lab cplab");
}

}  // namespace
}  // namespace connperf::report
