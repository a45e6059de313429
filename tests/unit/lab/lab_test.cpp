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
  EXPECT_NE(p.find("ct state new counter name passed"), std::string::npos) << p;
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
  const auto passed = r.find("ct state new counter name passed");
  ASSERT_NE(loss, std::string::npos) << r;
  ASSERT_NE(limit, std::string::npos) << r;
  ASSERT_NE(reject, std::string::npos) << r;
  EXPECT_LT(loss, limit);
  EXPECT_LT(limit, reject);
  EXPECT_LT(reject, passed);  // only what got through counts as passed
  EXPECT_NE(r.find("oifname \"cplab-d1\" masquerade"), std::string::npos) << r;
}

TEST(LabSample, ConntrackListAndStats) {
  DutSample s;
  count_states(
      "tcp      6 8 CLOSE src=198.18.0.10 dst=198.19.0.2 sport=1 dport=8080 [ASSURED] use=1\n"
      "tcp      6 118 TIME_WAIT src=198.18.0.10 dst=198.19.0.2 sport=2 dport=8080 use=1\n"
      "tcp      6 431999 ESTABLISHED src=198.18.0.11 dst=198.19.0.2 sport=3 dport=8080 use=1\n"
      "tcp      6 60 SYN_SENT src=198.18.0.11 dst=198.19.0.2 sport=4 dport=8080 use=1\n"
      "udp      17 29 src=198.18.0.2 dst=198.19.0.2 sport=5 dport=53 use=1\n"
      "conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown.\n",
      s);
  EXPECT_EQ(s.close, 1u);
  EXPECT_EQ(s.time_wait, 1u);
  EXPECT_EQ(s.established, 1u);
  EXPECT_EQ(s.other, 1u);
  add_stats("cpu=0   \tfound=0 invalid=3 insert=0 insert_failed=1 drop=2 early_drop=0 error=0\n"
            "cpu=1   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=4 early_drop=1 error=0\n",
            s);
  EXPECT_EQ(s.dropped, 1u + 2u + 4u + 1u);
}

}  // namespace
}  // namespace connperf::lab
