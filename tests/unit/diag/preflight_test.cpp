// The one preflight: doctor's verdict on a plan and the warnings before a crr, rr or cc run come
// from diag::preflight, with the kernel's tcp_tw_reuse rule and one open-file headroom.
#include <gtest/gtest.h>

#include "diag/preflight.h"

namespace connperf::diag {
namespace {

HostLimits host(int ports, std::optional<long> tw_reuse) {
  HostLimits h;
  h.port_lo = 40000;
  h.port_hi = 40000 + ports - 1;
  h.tw_reuse = tw_reuse;
  h.somaxconn = 4096;
  h.files_soft = h.files_hard = 1 << 20;
  return h;
}

std::size_t problems(const Plan& p, const HostLimits& h) {
  std::size_t k = 0;
  for (const Finding& f : preflight(p, h)) k += f.severity == Severity::Problem;
  return k;
}

// What doctor plans: --rate, --close fin and the targets; nothing about -c, -n or -d.
Plan doctor_fin(double rate, bool loopback) {
  Plan p;
  p.rate = rate;
  p.fin = true;
  p.loopback = loopback;
  return p;
}

// What crr plans for the same run: -c in flight and a duration as well.
Plan crr_fin(double rate, bool loopback) {
  Plan p = doctor_fin(rate, loopback);
  p.connections = 64;
  p.duration_s = 10;
  return p;
}

TEST(Preflight, TimeWaitReuseIsTheKernelsRule) {
  EXPECT_TRUE(tw_reuse_applies(1, false));
  EXPECT_TRUE(tw_reuse_applies(1, true));
  EXPECT_FALSE(tw_reuse_applies(2, false));
  EXPECT_TRUE(tw_reuse_applies(2, true));
  EXPECT_FALSE(tw_reuse_applies(0, true));
  EXPECT_TRUE(tw_reuse_applies(std::nullopt, true));  // unreadable: the default, 2
  EXPECT_FALSE(tw_reuse_applies(std::nullopt, false));
}

// 100 ports carry 100/60 = 1.67 FIN closes/s without reuse; 2/s is just past the edge.
TEST(Preflight, DoctorAndCrrAgreeOnAFinPlanAtTheEdgeOfTheBudget) {
  struct Case {
    std::optional<long> tw_reuse;
    bool loopback;
    std::size_t warn;
  };
  for (const Case c : {Case{2, false, 1}, Case{2, true, 0}, Case{1, false, 0}, Case{1, true, 0},
                       Case{0, true, 1}, Case{0, false, 1}, Case{std::nullopt, true, 0}}) {
    const HostLimits h = host(100, c.tw_reuse);
    SCOPED_TRACE(testing::Message() << "tcp_tw_reuse " << c.tw_reuse.value_or(-1)
                                    << (c.loopback ? " loopback" : " remote"));
    EXPECT_EQ(problems(doctor_fin(2, c.loopback), h), c.warn);
    EXPECT_EQ(problems(crr_fin(2, c.loopback), h), c.warn);
    EXPECT_EQ(problems(doctor_fin(1, c.loopback), h), 0u);  // 60 tuples: fits either way
    EXPECT_EQ(problems(crr_fin(1, c.loopback), h), 0u);
  }
}

TEST(Preflight, FinAsFastAsPossibleWarnsUnlessTimeWaitIsReused) {
  Plan p = crr_fin(0, false);  // no --rate
  EXPECT_EQ(problems(p, host(28232, 2)), 1u);
  EXPECT_NE(preflight(p, host(28232, 2)).back().text.find("TIME_WAIT for 60 s"),
            std::string::npos);
  EXPECT_EQ(problems(p, host(28232, 1)), 0u);
  p.count = 28232;  // each connection needs one tuple at most
  EXPECT_EQ(problems(p, host(28232, 2)), 0u);
  p.count = 28233;
  EXPECT_EQ(problems(p, host(28232, 2)), 1u);
  p.fin = false;  // RST: ports come back at once
  EXPECT_EQ(problems(p, host(28232, 2)), 0u);
}

TEST(Preflight, RateTextNamesTheNumbersDoctorPrints) {
  const std::vector<Finding> f = preflight(doctor_fin(2, true), host(100, 0));
  ASSERT_EQ(f.size(), 2u);  // advice on 100 ports, then the problem
  EXPECT_EQ(f[0].severity, Severity::Advice);
  EXPECT_EQ(f[1].severity, Severity::Problem);
  EXPECT_EQ(f[1].text.rfind("2 new connections/s need 120 tuples but only 100 are available", 0),
            0u)
      << f[1].text;
}

// The same open-file rule for every plan: connections per process + kOpenFileHeadroom.
TEST(Preflight, OpenFileHeadroomIsTheSameForCrrAndCc) {
  HostLimits h = host(28232, 2);
  h.files_hard = 1024;
  Plan crr;
  crr.connections = 1024 - kOpenFileHeadroom;
  Plan cc;
  cc.held = true;
  cc.processes = 1;
  cc.connections = 1024 - kOpenFileHeadroom;
  EXPECT_EQ(problems(crr, h), 0u);
  EXPECT_EQ(problems(cc, h), 0u);
  ++crr.connections;
  ++cc.connections;
  EXPECT_EQ(problems(crr, h), 1u);
  EXPECT_EQ(problems(cc, h), 1u);
  EXPECT_NE(preflight(cc, h).back().text.find("per process"), std::string::npos);
  cc.processes = 2;  // split: 481 per process
  EXPECT_EQ(problems(cc, h), 0u);
  cc.connections = 2 * (1024 - kOpenFileHeadroom) + 1;
  EXPECT_EQ(problems(cc, h), 1u);
  h.files_hard = 0;  // unknown: no verdict
  EXPECT_EQ(problems(crr, h), 0u);
}

// Held connections: past half the port range per source address and target, connect() crawls.
TEST(Preflight, HeldConnectionsWarnPastHalfThePortsPerPair) {
  const HostLimits h = host(1000, 2);
  Plan cc;
  cc.held = true;
  cc.connections = 500;
  EXPECT_EQ(problems(cc, h), 0u);
  cc.connections = 501;
  ASSERT_EQ(problems(cc, h), 1u);
  EXPECT_NE(preflight(cc, h).back().text.find("half the local port range 40000-40999"),
            std::string::npos);
  cc.sources = 2;
  EXPECT_EQ(problems(cc, h), 0u);
}

TEST(Preflight, ConntrackIsAProblemOnlyWhereTrackingIsInUse) {
  HostLimits h = host(28232, 2);
  h.conntrack_max = 1000;
  h.conntrack_count = 0;
  Plan p;
  p.rate = 101;  // RST: 101 × 10 s CLOSE
  ASSERT_TRUE(conntrack_budget(p, h));
  EXPECT_EQ(conntrack_budget(p, h)->needed, 1010u);
  EXPECT_EQ(problems(p, h), 0u);
  EXPECT_EQ(preflight(p, h).back().severity, Severity::Advice);
  h.conntrack_count = 1;
  EXPECT_EQ(problems(p, h), 1u);
  p.rate = 99;
  EXPECT_EQ(problems(p, h), 0u);
}

}  // namespace
}  // namespace connperf::diag
