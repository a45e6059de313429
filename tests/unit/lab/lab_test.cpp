// connperf lab's pure pieces: names, the DUT's ruleset, and the parsers of conntrack's output.
#include <gtest/gtest.h>

#include "lab/lab.h"

namespace connperf::lab {
namespace {

TEST(LabName, LettersAndDigitsThatFitAnInterfaceName) {
  for (const char* ok : {"cplab", "a", "lab2", "abcdefghij"}) EXPECT_NO_THROW(check_name(ok)) << ok;
  for (const char* bad : {"", "2lab", "Lab", "a-b", "a_b", "abcdefghijk", "a b", "../x"})
    EXPECT_THROW(check_name(bad), LabError) << bad;
}

TEST(LabTopology, SourcesAndNamespaces) {
  const Topology t{"cplab"};
  EXPECT_EQ(t.namespaces(), (std::vector<std::string>{"cplab-client", "cplab-dut", "cplab-server"}));
  EXPECT_EQ(t.sources_spec(1), "198.18.0.10");
  EXPECT_EQ(t.sources_spec(4), "198.18.0.10-198.18.0.13");
  LabSpec s;
  s.sources = Topology::kMaxSources + 1;
  EXPECT_THROW(check_spec(s), LabError);
}

TEST(LabRuleset, OnlyWhatWasAskedForInTheOrderThatCounts) {
  LabSpec plain;
  const std::string p = dut_ruleset(plain);
  EXPECT_NE(p.find("ct state new ct status ! confirmed counter name passed"), std::string::npos)
      << p;
  EXPECT_EQ(p.find("drop"), std::string::npos) << p;
  EXPECT_EQ(p.find("masquerade"), std::string::npos) << p;

  LabSpec all;
  all.loss_pct = 2.5;
  all.limit = 100;
  all.reject_pct = 10;
  all.nat = true;
  const std::string r = dut_ruleset(all);
  const auto loss = r.find("numgen random mod 100000 < 2500 counter name lost drop");
  const auto limit = r.find("ct count over 100 counter name refused reject with tcp reset");
  const auto reject = r.find("numgen random mod 100000 < 10000 counter name rejected");
  const auto passed = r.find("ct state new ct status ! confirmed counter name passed");
  ASSERT_NE(loss, std::string::npos) << r;
  ASSERT_NE(limit, std::string::npos) << r;
  ASSERT_NE(reject, std::string::npos) << r;
  EXPECT_LT(loss, limit);
  EXPECT_LT(limit, reject);
  EXPECT_LT(reject, passed);  // only what got through counts as passed
  EXPECT_NE(r.find("oifname \"cplab-d1\" masquerade"), std::string::npos) << r;
}

// issue 20, defect 5: the settings travel with the DUT (its table's comment), so a run reads
// what device it went through; a comment of anything else is no settings.
TEST(LabSettings, TheCommentRoundTripsAndIsInTheRuleset) {
  LabSpec s;
  s.sources = 3;
  s.nat = true;
  s.loss_pct = 2.5;
  s.limit = 100;
  s.reject_pct = 10;
  const std::string comment = settings_comment(s);
  EXPECT_EQ(comment, "connperf lab: sources=3 nat=1 loss=2.5 limit=100 reject=10");
  EXPECT_NE(dut_ruleset(s).find("comment \"" + comment + "\""), std::string::npos);
  const auto back = parse_settings(comment);
  ASSERT_TRUE(back);
  EXPECT_EQ(settings_json(*back), settings_json(s));
  EXPECT_EQ(settings_json(s), nlohmann::json({{"sources", 3}, {"nat", true}, {"loss_pct", 2.5},
                                              {"limit", 100}, {"reject_pct", 10.0}}));
  EXPECT_EQ(settings_text(s), "conntrack, NAT, 2.5% loss, limit 100, 10% reset");
  EXPECT_EQ(settings_text(LabSpec{}), "conntrack");
  for (const char* other : {"", "a comment", "connperf lab: sources=3 nat=1",
                            "connperf lab: sources=x nat=1 loss=1 limit=0 reject=0"})
    EXPECT_FALSE(parse_settings(other)) << other;
}

// issue 20, defect 5: refused, reset and passed count connections (a connection's first packet,
// its entry not yet confirmed), lost counts packets.
TEST(LabRuleset, ConnectionRulesMatchOnlyAConnectionsFirstPacket) {
  LabSpec s;
  s.loss_pct = 1;
  s.limit = 10;
  s.reject_pct = 1;
  const std::string r = dut_ruleset(s);
  EXPECT_NE(r.find("ct state new ct status ! confirmed ct count over 10 counter name refused"),
            std::string::npos) << r;
  EXPECT_NE(r.find("ct state new ct status ! confirmed numgen random mod 100000 < 1000 counter "
                   "name rejected"), std::string::npos) << r;
  EXPECT_NE(r.find("ct state new ct status ! confirmed counter name passed"), std::string::npos)
      << r;
  EXPECT_NE(r.find("    numgen random mod 100000 < 1000 counter name lost drop"), std::string::npos)
      << r;
}

}  // namespace
}  // namespace connperf::lab
