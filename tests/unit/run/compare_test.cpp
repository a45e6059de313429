// compare (run/compare): the Mann–Whitney p-value against known cases, the direction of each
// metric, the tolerance and the noise deciding a regression, and sweeps step by step.
#include "run/compare.h"

#include <gtest/gtest.h>

#include "cli/criteria.h"

namespace connperf::run {
namespace {

using nlohmann::json;

TEST(MannWhitney, SeparatedSamplesAreBeyondTheNoiseAndMixedOnesAreNot) {
  const std::vector<double> low{1, 2, 3, 4, 5, 6, 7, 8}, high{11, 12, 13, 14, 15, 16, 17, 18};
  // U = 0 for 8 and 8: z = (32 - 0.5) / sqrt(8*8*17/12) = 3.30, two-sided p = 0.00096.
  EXPECT_NEAR(*mann_whitney_p(low, high), 0.00096, 0.00005);
  const std::vector<double> a{1, 3, 5, 7, 9, 11}, b{2, 4, 6, 8, 10, 12};
  EXPECT_GT(*mann_whitney_p(a, b), 0.5);
  const std::vector<double> same{4, 4, 4}, same2{4, 4};
  EXPECT_EQ(*mann_whitney_p(same, same2), 1.0);  // all tied
  EXPECT_FALSE(mann_whitney_p(std::vector<double>{1}, high));
}

json run_doc(double cps, double p99, std::vector<double> interval_cps) {
  json iv = json::array();
  for (double c : interval_cps)
    iv.push_back({{"seconds", 1.0}, {"cps", c}, {"started", 1000}, {"errors", 0},
                  {"total_us", {{"p50", 100}, {"p99", p99}}}});
  return {{"tool", "connperf"},
          {"command", "crr"},
          {"intervals", iv},
          {"summary",
           {{"cps", cps}, {"started", 1000}, {"error_total", 0},
            {"latency_us", {{"total", {{"p99", p99}, {"count", 1000}}}}}}}};
}

std::vector<Criterion> metrics(const char* spec) {
  std::vector<Criterion> out;
  std::string_view s(spec);
  for (std::size_t start = 0; start <= s.size();) {
    const std::size_t comma = std::min(s.find(',', start), s.size());
    out.push_back(cli::parse_metric(s.substr(start, comma - start), cli::Judged::Crr, "--metric"));
    start = comma + 1;
  }
  return out;
}

TEST(Compare, ARateDropBeyondTheNoiseRegressesALatencyDropIsBetter) {
  const json base = run_doc(10000, 900, {9900, 10100, 10000, 9950, 10050});
  const json now = run_doc(8000, 600, {7900, 8100, 8000, 7950, 8050});
  const Comparison c = compare_results(base, now, metrics("cps,p99.total,errors"), 0.05);
  ASSERT_EQ(c.metrics.size(), 3u);
  EXPECT_EQ(c.metrics[0].verdict, MetricChange::Verdict::Worse);
  EXPECT_TRUE(c.metrics[0].regressed);
  EXPECT_LT(*c.metrics[0].p_value, 0.05);
  EXPECT_EQ(c.metrics[1].verdict, MetricChange::Verdict::Better);  // lower latency is better
  EXPECT_FALSE(c.metrics[1].higher_is_better);
  EXPECT_EQ(c.metrics[2].verdict, MetricChange::Verdict::Same);
  EXPECT_TRUE(c.regressed());
  const json j = comparison_json(c);
  EXPECT_EQ(j["regressed"], true);
  EXPECT_EQ(j["metrics"][0]["verdict"], "worse");
  EXPECT_NE(comparison_text(c, 0.05).find("worse (regressed)"), std::string::npos);
}

TEST(Compare, WithinTheToleranceOrTheNoiseIsTheSame) {
  const json base = run_doc(10000, 900, {9000, 11000, 10000, 9500, 10500});
  // 3% lower: within 5%
  EXPECT_FALSE(compare_results(base, run_doc(9700, 900, {9700, 9700, 9700, 9700, 9700}),
                               metrics("cps"), 0.05).regressed());
  // 8% lower but the intervals overlap: within the noise
  const Comparison noisy = compare_results(
      base, run_doc(9200, 900, {8000, 11000, 9000, 10500, 7500}), metrics("cps"), 0.05);
  EXPECT_EQ(noisy.metrics[0].verdict, MetricChange::Verdict::Same);
  EXPECT_GT(*noisy.metrics[0].p_value, 0.05);
}

// Runs of one run each look steady inside (tight intervals), yet differ from run to run as a
// shared host drifts: with several runs a side their spread is the noise.
TEST(Compare, SeveralRunsASideJudgeMediansAgainstTheRunsSpread) {
  auto steady = [](double cps) { return run_doc(cps, 900, {cps, cps + 1, cps - 1, cps}); };
  const std::vector<json> base{steady(10000), steady(8500), steady(11000)};
  const std::vector<json> drifted{steady(9000), steady(10500), steady(8800)};
  const Comparison one = compare_results(base[0], drifted[0], metrics("cps"), 0.05);
  EXPECT_TRUE(one.regressed()) << "one run a side: the intervals alone call drift a change";
  const Comparison noisy = compare_rounds(base, drifted, metrics("cps"), 0.05);
  ASSERT_EQ(noisy.metrics.size(), 1u);
  const MetricChange& m = noisy.metrics[0];
  EXPECT_EQ(*m.base, 10000);  // medians
  EXPECT_EQ(*m.now, 9000);
  EXPECT_EQ(m.base_range, std::make_pair(8500.0, 11000.0));
  EXPECT_EQ(m.verdict, MetricChange::Verdict::Same) << "-10%, but inside the runs' spread";
  EXPECT_FALSE(m.p_value);
  const std::string text = comparison_text(noisy, 0.05);
  EXPECT_NE(text.find("10,000 (8,500–11,000)"), std::string::npos) << text;
  EXPECT_NE(text.find("overlap"), std::string::npos) << text;
  const std::vector<json> slower{steady(7000), steady(7500), steady(8000)};
  const Comparison worse = compare_rounds(base, slower, metrics("cps,p99.total"), 0.05);
  EXPECT_EQ(worse.metrics[0].verdict, MetricChange::Verdict::Worse);
  EXPECT_TRUE(worse.regressed());
  EXPECT_EQ(worse.metrics[1].verdict, MetricChange::Verdict::Same);
  EXPECT_NE(comparison_text(worse, 0.05).find("apart"), std::string::npos);
  const json j = comparison_json(worse);
  EXPECT_EQ(j["metrics"][0]["new_range"], json::array({7000.0, 8000.0}));
  EXPECT_TRUE(compare_rounds(std::span(base).first(1), std::span(slower).first(1),
                             metrics("cps"), 0.05).metrics[0].p_value)
      << "one a side: the intervals' test";
}

TEST(Compare, SweepsCompareStepByStep) {
  auto sweep = [](double qps50, double qps100) {
    json steps = json::array();
    steps.push_back({{"connections", 50}, {"qps", qps50}, {"error_rate", 0.0},
                     {"latency_us", {{"response", {{"p99", 500}, {"count", 10}}}}}});
    steps.push_back({{"connections", 100}, {"qps", qps100}, {"error_rate", 0.0},
                     {"latency_us", {{"response", {{"p99", 800}, {"count", 10}}}}}});
    return json{{"tool", "connperf"}, {"command", "rr"}, {"summary", {{"steps", steps}}}};
  };
  const Comparison c = compare_results(sweep(50000, 60000), sweep(50500, 40000), {}, 0.05);
  ASSERT_EQ(c.metrics.size(), 6u);
  EXPECT_EQ(c.metrics[0].name, "qps @ 50");
  EXPECT_EQ(c.metrics[0].verdict, MetricChange::Verdict::Same);
  EXPECT_EQ(c.metrics[3].name, "qps @ 100");
  EXPECT_TRUE(c.metrics[3].regressed);
  EXPECT_FALSE(c.metrics[3].p_value);  // one value per step: the tolerance alone
}

}  // namespace
}  // namespace connperf::run
