// The load engines' one connect path (load/connect.h).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "load/connect.h"
#include "net/socket.h"

namespace connperf::load {
namespace {

net::SockAddr local_of(int fd) {
  net::SockAddr a;
  EXPECT_TRUE(net::local_address(fd, a).ok());
  return a;
}

// A listener on 127.0.0.1, port chosen by the kernel.
struct Listener {
  net::Fd fd;
  net::SockAddr addr;
  Listener() {
    const net::Result r = net::open_listener(net::resolve_endpoint("127.0.0.1:0"), false, 16);
    EXPECT_TRUE(r.ok());
    fd = net::Fd(static_cast<int>(r.value));
    addr = local_of(fd.get());
  }
};

TEST(Connector, SourcesOfTheTargetsFamilyInTurn) {
  Listener l;
  Targets t;
  t.targets.push_back({l.addr, l.addr.to_string()});
  for (const char* b : {"::1", "127.0.0.2", "127.0.0.3"})
    for (const auto& a : net::parse_bind_spec(b)) t.binds.push_back(a);
  Connector c(t, 0);
  std::vector<std::string> sources;
  for (int i = 0; i < 4; ++i) {
    net::Fd fd;
    std::uint64_t t_connect = 0;
    ASSERT_TRUE(c.open(c.next_target(), fd, t_connect).ok());
    EXPECT_GT(t_connect, 0u);
    const std::string s = local_of(fd.get()).to_string();
    sources.push_back(s.substr(0, s.rfind(':')));
  }
  EXPECT_EQ(sources, (std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.2", "127.0.0.3"}));
}

TEST(Connector, TargetsInTurnFromTheWorkersOwnStart) {
  Listener a, b;
  Targets t;
  t.targets = {{a.addr, "a"}, {b.addr, "b"}};
  Connector first(t, 0), second(t, 1);
  EXPECT_EQ(first.next_target(), 0);
  EXPECT_EQ(first.next_target(), 1);
  EXPECT_EQ(first.next_target(), 0);
  EXPECT_EQ(second.next_target(), 1);
  EXPECT_EQ(second.next_target(), 0);
}

TEST(Connector, ARefusedConnectIsClassified) {
  net::SockAddr closed;
  {
    Listener l;  // its port is free again once it closes
    closed = l.addr;
  }
  Targets t;
  t.targets.push_back({closed, closed.to_string()});
  Connector c(t, 0);
  net::Fd fd;
  std::uint64_t t_connect = 0;
  const net::Result r = c.open(0, fd, t_connect);
  Failure f = failure_of(r);
  if (r.ok()) {  // loopback refuses inside connect(), or later as the pending error
    pollfd p{fd.get(), POLLOUT, 0};
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    f = connect_failure(fd.get());
  }
  EXPECT_EQ(f.kind, stats::ErrorKind::Refused);
}

// A hang-up with no pending error is the peer closing as the connection opened: closed_early
// in every engine (rr counted it as a reset).
TEST(Connector, AHangUpWithoutAnErrorIsClosedEarly) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ::close(sv[1]);
  const Failure f = connect_failure(sv[0]);
  EXPECT_EQ(f.kind, stats::ErrorKind::ClosedEarly);
  EXPECT_EQ(f.sys_errno, 0);
  ::close(sv[0]);
}

}  // namespace
}  // namespace connperf::load
