// The idle upstream pool of a proxy worker: keyed by origin, most recent first, bounded in size
// and idle time, and closing what it gives up.
#include "proxy/upstream_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

namespace connperf {
namespace {

using proxy::UpstreamPool;

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// Real descriptors, so that closing can be seen; those the test still owns are closed at the end.
class UpstreamPoolTest : public ::testing::Test {
 protected:
  int fd() {
    const int f = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    EXPECT_GE(f, 0);
    fds_.push_back(f);
    return f;
  }
  void TearDown() override {
    for (int f : fds_)
      if (is_open(f)) ::close(f);
  }
  std::vector<int> fds_;
};

TEST_F(UpstreamPoolTest, TakesTheMostRecentOfTheSameOriginOnly) {
  UpstreamPool pool(8, 1000);
  const int a = fd(), b = fd(), c = fd();
  EXPECT_TRUE(pool.park("example.test", 80, a, 1));
  EXPECT_TRUE(pool.park("example.test", 80, b, 2));
  EXPECT_TRUE(pool.park("example.test", 8080, c, 3));
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.take("other.test", 80), -1);
  EXPECT_EQ(pool.take("example.test", 81), -1);
  EXPECT_EQ(pool.take("example.test", 80), b);
  EXPECT_EQ(pool.take("example.test", 80), a);
  EXPECT_EQ(pool.take("example.test", 80), -1);
  EXPECT_EQ(pool.take("example.test", 8080), c);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_TRUE(is_open(a) && is_open(b) && is_open(c));  // taken: the caller's now
}

TEST_F(UpstreamPoolTest, HostAndPortDoNotRunTogether) {
  UpstreamPool pool(8, 1000);
  const int a = fd();
  EXPECT_TRUE(pool.park("a:1", 2, a, 0));
  EXPECT_EQ(pool.take("a", 12), -1);
  EXPECT_EQ(pool.take("a:1", 2), a);
}

TEST_F(UpstreamPoolTest, RefusesBeyondItsSize) {
  UpstreamPool pool(2, 1000);
  const int a = fd(), b = fd(), c = fd();
  EXPECT_FALSE(pool.full());
  EXPECT_TRUE(pool.park("h", 80, a, 0));
  EXPECT_TRUE(pool.park("i", 80, b, 0));
  EXPECT_TRUE(pool.full());
  EXPECT_FALSE(pool.park("h", 80, c, 0));
  EXPECT_TRUE(is_open(c));  // not taken: still the caller's
  EXPECT_EQ(pool.take("h", 80), a);
  EXPECT_FALSE(pool.full());
  EXPECT_TRUE(pool.park("h", 80, c, 0));
}

TEST_F(UpstreamPoolTest, DropClosesOneParkedConnection) {
  UpstreamPool pool(8, 1000);
  const int a = fd(), b = fd(), c = fd();
  pool.park("h", 80, a, 0);
  pool.park("h", 80, b, 0);
  pool.park("h", 80, c, 0);
  EXPECT_TRUE(pool.drop(b));
  EXPECT_FALSE(is_open(b));
  EXPECT_FALSE(pool.drop(b));
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.take("h", 80), c);
  EXPECT_EQ(pool.take("h", 80), a);
  EXPECT_EQ(pool.take("h", 80), -1);
  const int d = fd();
  EXPECT_FALSE(pool.drop(d));  // never parked: left alone
  EXPECT_TRUE(is_open(d));
}

TEST_F(UpstreamPoolTest, ExpireClosesTheIdleOnes) {
  UpstreamPool pool(8, 100);
  const int a = fd(), b = fd(), c = fd();
  pool.park("h", 80, a, 1000);
  pool.park("h", 80, b, 1050);
  pool.park("i", 80, c, 1000);
  EXPECT_EQ(pool.expire(1099), 0u);
  EXPECT_EQ(pool.expire(1100), 2u);  // idle for 100: gone
  EXPECT_FALSE(is_open(a));
  EXPECT_FALSE(is_open(c));
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.take("i", 80), -1);
  EXPECT_EQ(pool.take("h", 80), b);
}

TEST_F(UpstreamPoolTest, ClearAndTheDestructorCloseEverything) {
  const int a = fd(), b = fd();
  {
    UpstreamPool pool(8, 100);
    pool.park("h", 80, a, 0);
    pool.clear();
    EXPECT_FALSE(is_open(a));
    EXPECT_EQ(pool.size(), 0u);
    pool.park("h", 80, b, 0);
  }
  EXPECT_FALSE(is_open(b));
}

TEST_F(UpstreamPoolTest, DefaultsAreTheProxysLimits) {
  UpstreamPool pool;
  for (std::size_t i = 0; i < proxy::kPoolMax; ++i) EXPECT_TRUE(pool.park("h", 80, fd(), 0));
  EXPECT_TRUE(pool.full());
  EXPECT_EQ(pool.expire(proxy::kPoolIdleNs - 1), 0u);
  EXPECT_EQ(pool.expire(proxy::kPoolIdleNs), proxy::kPoolMax);
}

}  // namespace
}  // namespace connperf
