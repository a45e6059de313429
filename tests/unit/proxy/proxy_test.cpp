// The proxy's policy: --connect-ports lists and the default connection cap.
#include <gtest/gtest.h>

#include <stdexcept>

#include "proxy/proxy.h"

namespace connperf {
namespace {

// The default connection cap leaves room for every connection being a tunnel (two sockets,
// two pipes) and for the idle upstream pools.
TEST(Policy, DefaultConnectionCapFitsTunnelsAndPoolsInTheFdLimit) {
  EXPECT_EQ(proxy::connections_that_fit(20000, 2), (20000u - 2 * 512 - 100) / 6);
  EXPECT_LE(proxy::fds_needed(proxy::connections_that_fit(20000, 2), 2), 20000u);
  EXPECT_LE(proxy::fds_needed(proxy::connections_that_fit(1024, 1), 1), 1024u);
  EXPECT_EQ(proxy::connections_that_fit(300, 4), 16u);  // a floor, with a warning at start
}

TEST(Policy, PortSetListsAndRanges) {
  const proxy::PortSet p = proxy::PortSet::parse("443,8443,9000-9100");
  EXPECT_TRUE(p.contains(443));
  EXPECT_TRUE(p.contains(9050));
  EXPECT_FALSE(p.contains(80));
  EXPECT_FALSE(p.contains(9101));
  EXPECT_EQ(p.to_string(), "443,8443,9000-9100");
  EXPECT_THROW(proxy::PortSet::parse(""), std::invalid_argument);
  EXPECT_THROW(proxy::PortSet::parse("0"), std::invalid_argument);
  EXPECT_THROW(proxy::PortSet::parse("90-80"), std::invalid_argument);
  EXPECT_THROW(proxy::PortSet::parse("443,"), std::invalid_argument);
  EXPECT_THROW(proxy::PortSet::parse("70000"), std::invalid_argument);
}

}  // namespace
}  // namespace connperf
