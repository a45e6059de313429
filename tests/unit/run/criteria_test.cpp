// --criteria's grammar (run/criteria) and the verdict it leads to (run/verdict): what each metric
// reads, the units of its value, the RFC 9411 preset, and the usage errors of a bad spec.
#include "run/criteria.h"

#include <gtest/gtest.h>

#include "run/errors.h"

namespace connperf::run {
namespace {

using Kind = Criterion::Kind;
using Unit = Criterion::Unit;

TEST(Criteria, EachMetricReadsItsFigureInItsUnit) {
  const auto c = parse_criteria(
      "errors<0.001%,resets<=0.00002,p99.connect<800us,p99.9<1s,cps>=20k,"
      "cps.deviation<5%,concurrency.deviation<10%",
      Judged::Crr);
  ASSERT_EQ(c.size(), 7u);
  EXPECT_EQ(c[0].kind, Kind::Share);
  EXPECT_EQ(c[0].figure, "/error_total");
  EXPECT_EQ(c[0].per, "/started");
  EXPECT_DOUBLE_EQ(c[0].bound, 1e-5);
  EXPECT_EQ(c[0].cmp, Cmp::Less);
  EXPECT_EQ(c[1].figure, "/errors/reset");
  EXPECT_EQ(c[1].cmp, Cmp::AtMost);
  EXPECT_DOUBLE_EQ(c[1].bound, 2e-5);
  EXPECT_EQ(c[2].figure, "/latency_us/connect/p99");
  EXPECT_EQ(c[2].unit, Unit::Micros);
  EXPECT_DOUBLE_EQ(c[2].bound, 800);
  EXPECT_EQ(c[3].figure, "/latency_us/total/p999");  // no phase: total
  EXPECT_DOUBLE_EQ(c[3].bound, 1e6);
  EXPECT_EQ(c[4].figure, "/cps");
  EXPECT_EQ(c[4].cmp, Cmp::AtLeast);
  EXPECT_DOUBLE_EQ(c[4].bound, 20000);
  EXPECT_EQ(c[5].kind, Kind::Deviation);
  EXPECT_EQ(c[5].figure, "cps");
  EXPECT_EQ(c[6].figure, "concurrency");
  EXPECT_EQ(c[6].text, "concurrency.deviation<10%");
}

TEST(Criteria, EachCommandHasItsOwnFigures) {
  EXPECT_EQ(parse_criteria("rate>5", Judged::Rr)[0].figure, "/qps");
  EXPECT_EQ(parse_criteria("concurrency.deviation<1%", Judged::Rr)[0].figure, "connections");
  const auto cc = parse_criteria("errors<1%,lost<=0,survived>=1000,time_to_reach_s<2s", Judged::Cc);
  EXPECT_EQ(cc[0].figure, "/failed");
  EXPECT_EQ(cc[0].per, "/attempted");
  EXPECT_EQ(cc[1].per, "/established");
  EXPECT_EQ(cc[2].figure, "/survived");
  EXPECT_DOUBLE_EQ(cc[3].bound, 2);
  // --object: goodput (body bytes/s) and the causes a wrong object is counted under
  const auto objects = parse_criteria("goodput>=1M,status<0.1%,body_short<=0,body_long<=0",
                                      Judged::Rr);
  EXPECT_EQ(objects[0].figure, "/goodput_bytes_per_s");
  EXPECT_DOUBLE_EQ(objects[0].bound, 1e6);
  EXPECT_EQ(objects[1].figure, "/errors/status");
  EXPECT_EQ(objects[2].figure, "/errors/body_short");
  EXPECT_EQ(parse_criteria("goodput_bytes_per_s>1", Judged::Crr)[0].figure, "/goodput_bytes_per_s");
  for (const char* bad : {"qps>1", "lost<1%", "body<1%"})
    EXPECT_THROW(parse_criteria(bad, Judged::Crr), run::UsageError) << bad;
  // cc --object: goodput of its keepalive replies; a wrong object is a share of its requests.
  const auto cc_objects = parse_criteria("goodput>=1M,status<1%,body_long<=0,resets<1%", Judged::Cc);
  EXPECT_EQ(cc_objects[0].figure, "/goodput_bytes_per_s");
  EXPECT_EQ(cc_objects[1].figure, "/request_errors/status");
  EXPECT_EQ(cc_objects[1].per, "/requests");
  EXPECT_EQ(cc_objects[2].figure, "/request_errors/body_long");
  EXPECT_EQ(cc_objects[3].figure, "/errors/reset");
  EXPECT_EQ(cc_objects[3].per, "/attempted");
  for (const char* bad : {"p99<5ms", "cps>1", "cps.deviation<5%"})
    EXPECT_THROW(parse_criteria(bad, Judged::Cc), run::UsageError) << bad;
}

TEST(Criteria, Rfc9411AddsTheRfcsBoundsWithTheirSections) {
  const auto c = parse_criteria("rfc9411,p99<50ms", Judged::Crr);
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].text, "errors<0.001%");
  EXPECT_EQ(c[0].source, "RFC 9411 7.2.3.3 a");
  EXPECT_EQ(c[3].source, "RFC 9411 7.2.3.3 d");
  EXPECT_TRUE(c[4].source.empty());
  EXPECT_EQ(parse_criteria("rfc9411", Judged::Rr)[2].text, "qps.deviation<5%");
  EXPECT_EQ(parse_criteria("rfc9411", Judged::Cc).size(), 2u);
}

TEST(Criteria, ABadSpecIsAUsageErrorNamingThePart) {
  for (const char* bad : {"", "errors", "errors<", "<5", "errors=1%", "errors<5", "errors<-1%",
                          "p99<50", "p99.dns<50ms", "p98<1ms", "cps>fast", "cps>1G", "nope<1",
                          "errors<1%,", ",errors<1%", "errors<1%,,resets<1%", "p99<1e999s"}) {
    try {
      parse_criteria(bad, Judged::Crr);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const run::UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--criteria: ", 0), 0u) << e.what();
    }
  }
}

TEST(Criteria, MaxErrorRateIsOneCriterion) {
  const auto c = run_criteria("p99<1s", 0.01, Judged::Crr);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].text, "errors<=0.01");
  EXPECT_EQ(c[1].source, "--max-error-rate");
  EXPECT_TRUE(run_criteria("", -1, Judged::Rr).empty());
}

nlohmann::json summary() {
  return {{"started", 100000},
          {"completed", 99990},
          {"error_total", 10},
          {"errors", {{"reset", 1}, {"timeout", 9}}},
          {"cps", 20000.5},
          {"latency_us", {{"total", {{"p99", 1500}, {"count", 99990}}},
                          {"connect", {{"p99", 0}, {"count", 0}}}}}};
}

TEST(Verdict, EachCriterionIsMeasuredAndJudged) {
  const std::vector<run::IntervalFigures> intervals{
      {1.0, {{"cps", 100}}}, {1.0, {{"cps", 110}}}, {1.0, {{"cps", 90}}},
      {0.2, {{"cps", 10}}}};  // the short last one is not judged
  const run::Verdict v = run::judge(
      parse_criteria("errors<0.001%,resets<=0.001%,p99<2ms,cps>=20k,cps.deviation<=10%,"
                     "p99.connect<1ms,concurrency.deviation<10%",
                     Judged::Crr),
      summary(), intervals);
  ASSERT_EQ(v.checks.size(), 7u);
  EXPECT_FALSE(v.checks[0].pass);  // 10 of 100,000 = 0.01%
  EXPECT_DOUBLE_EQ(*v.checks[0].measured, 1e-4);
  EXPECT_TRUE(v.checks[1].pass);  // 1 of 100,000 = 0.001%, at most
  EXPECT_TRUE(v.checks[2].pass);
  EXPECT_TRUE(v.checks[3].pass);
  EXPECT_NEAR(*v.checks[4].measured, 0.1, 1e-12);
  EXPECT_TRUE(v.checks[4].pass);
  EXPECT_FALSE(v.checks[5].measured);  // nothing measured is no figure, and does not pass
  EXPECT_FALSE(v.checks[5].pass);
  EXPECT_FALSE(v.checks[6].measured);  // no interval has it
  EXPECT_FALSE(v.pass());
  EXPECT_EQ(run::verdict_reason(v).rfind("criteria not met: errors<0.001% (measured 0.01%)", 0), 0u)
      << run::verdict_reason(v);
  const std::string text = run::verdict_text(v);
  EXPECT_EQ(text.rfind("verdict: FAIL (4 of 7 criteria met)\n", 0), 0u) << text;
  EXPECT_NE(text.find("pass  cps>=20k "), std::string::npos) << text;
  const nlohmann::json j = run::verdict_json(v);
  EXPECT_EQ(j["pass"], false);
  EXPECT_EQ(j["criteria"][5]["measured"], nullptr);
  EXPECT_EQ(j["criteria"][3]["bound"], 20000);
}

TEST(Verdict, AllHeldIsAPass) {
  const run::Verdict v = run::judge(parse_criteria("errors<1%,cps>20000", Judged::Crr), summary(), {});
  EXPECT_TRUE(v.pass());
  EXPECT_TRUE(run::verdict_reason(v).empty());
  EXPECT_EQ(run::verdict_text(v).rfind("verdict: PASS (2 of 2 criteria met)", 0), 0u);
}

}  // namespace
}  // namespace connperf::run
