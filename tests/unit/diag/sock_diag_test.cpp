// Tests for diag/sock_diag: real loopback connections driven through ESTABLISHED, CLOSE_WAIT,
// FIN_WAIT2 and TIME_WAIT, counted via netlink and cross-checked against `ss`.
#include "diag/sock_diag.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../../poll_until.h"

namespace connperf::diag {
namespace {

constexpr int kConns = 5;

// Owns a test socket so a failed ASSERT never leaks descriptors into later tests.
struct Sock {
  int fd = -1;
  Sock() = default;
  explicit Sock(int f) : fd(f) {}
  Sock(Sock&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Sock& operator=(Sock&& o) noexcept {
    if (this != &o) {
      reset();
      fd = o.fd;
      o.fd = -1;
    }
    return *this;
  }
  ~Sock() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// A listener plus kConns accepted connections on one loopback family.
struct Pair {
  Sock listener;
  std::vector<Sock> clients, servers;
  std::uint16_t port = 0;
};

// Returns false when the family is unavailable (e.g. no ::1 in a container).
bool make_connections(int family, Pair& p) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof(sockaddr_in6);
  }
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  p.listener = Sock(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (p.listener.fd < 0) return false;
  const int one = 1;
  ::setsockopt(p.listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(p.listener.fd, sa, len) != 0 || ::listen(p.listener.fd, kConns) != 0) return false;
  if (::getsockname(p.listener.fd, sa, &len) != 0) return false;
  p.port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  for (int i = 0; i < kConns; ++i) {
    p.clients.emplace_back(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(p.clients.back().fd, sa, len) != 0) return false;
    p.servers.emplace_back(::accept4(p.listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (p.servers.back().fd < 0) return false;
  }
  return true;
}

// State transitions after close() are asynchronous; poll up to 1 s.
bool eventually(const std::function<bool()>& pred) {
  return test::poll_until(pred, std::chrono::seconds(1));
}

StateFilter port_filter(std::uint16_t port) {
  StateFilter f;
  f.port = port;
  return f;
}

// Parses `ss -tanH` for one port into kernel-state counts; nullopt when ss cannot run.
std::optional<StateCounts> ss_counts(std::uint16_t port) {
  static const std::map<std::string, TcpState> names = {
      {"ESTAB", TcpState::Established},    {"SYN-SENT", TcpState::SynSent},
      {"SYN-RECV", TcpState::SynRecv},     {"FIN-WAIT-1", TcpState::FinWait1},
      {"FIN-WAIT-2", TcpState::FinWait2},  {"TIME-WAIT", TcpState::TimeWait},
      {"UNCONN", TcpState::Close},         {"CLOSE-WAIT", TcpState::CloseWait},
      {"LAST-ACK", TcpState::LastAck},     {"LISTEN", TcpState::Listen},
      {"CLOSING", TcpState::Closing}};
  const std::string p = std::to_string(port);
  const std::string cmd = "ss -tanH '( sport = :" + p + " or dport = :" + p + " )' 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof(buf), pipe)) > 0;) out.append(buf, n);
  if (::pclose(pipe) != 0) return std::nullopt;
  StateCounts c;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string state;
    if (!(words >> state)) continue;
    const auto it = names.find(state);
    if (it == names.end()) ADD_FAILURE() << "unknown ss state: " << line;
    else ++c.by_state[static_cast<std::size_t>(it->second)];
  }
  return c;
}

void expect_same_as_ss(std::uint16_t port) {
  const auto ss = ss_counts(port);
  if (!ss) GTEST_SKIP() << "ss not runnable";
  const StateCounts ours = count_tcp_states(port_filter(port));
  for (std::size_t i = 1; i < kTcpStates; ++i)
    EXPECT_EQ(ours.by_state[i], ss->by_state[i]) << to_string(static_cast<TcpState>(i));
}

TEST(SockDiagToString, EveryState) {
  const std::vector<std::pair<TcpState, std::string>> want = {
      {TcpState::Established, "ESTABLISHED"}, {TcpState::SynSent, "SYN_SENT"},
      {TcpState::SynRecv, "SYN_RECV"},        {TcpState::FinWait1, "FIN_WAIT1"},
      {TcpState::FinWait2, "FIN_WAIT2"},      {TcpState::TimeWait, "TIME_WAIT"},
      {TcpState::Close, "CLOSE"},             {TcpState::CloseWait, "CLOSE_WAIT"},
      {TcpState::LastAck, "LAST_ACK"},        {TcpState::Listen, "LISTEN"},
      {TcpState::Closing, "CLOSING"},         {TcpState::NewSynRecv, "NEW_SYN_RECV"}};
  for (const auto& [s, name] : want) EXPECT_EQ(name, to_string(s));
  EXPECT_STREQ("UNKNOWN", to_string(static_cast<TcpState>(0)));
  EXPECT_EQ(12, static_cast<int>(TcpState::NewSynRecv));
}

TEST(SockDiagCounts, TotalSumsStates) {
  StateCounts c;
  c.by_state[1] = 3;
  c.by_state[10] = 2;
  EXPECT_EQ(5u, c.total());
  EXPECT_EQ(3u, c[TcpState::Established]);
}

TEST(SockDiagCount, LifecycleOnIpv4) {
  Pair p;
  ASSERT_TRUE(make_connections(AF_INET, p));
  const StateFilter f = port_filter(p.port);

  StateCounts c = count_tcp_states(f);
  EXPECT_EQ(10u, c[TcpState::Established]);
  EXPECT_EQ(1u, c[TcpState::Listen]);
  EXPECT_EQ(11u, c.total());

  // Server closes first: server sends FIN -> FIN_WAIT2 once ACKed, client -> CLOSE_WAIT.
  for (auto& s : p.servers) s.reset();
  EXPECT_TRUE(eventually([&] {
    c = count_tcp_states(f);
    return c[TcpState::FinWait2] == 5 && c[TcpState::CloseWait] == 5;
  }));
  EXPECT_EQ(5u, c[TcpState::FinWait2]);
  EXPECT_EQ(5u, c[TcpState::CloseWait]);
  EXPECT_EQ(1u, c[TcpState::Listen]);
  EXPECT_EQ(11u, c.total());

  // Client closes: the active closer (server side) lands in TIME_WAIT, clients vanish.
  for (auto& s : p.clients) s.reset();
  EXPECT_TRUE(eventually([&] {
    c = count_tcp_states(f);
    return c[TcpState::TimeWait] == 5 && c.total() == 6;
  }));
  EXPECT_EQ(5u, c[TcpState::TimeWait]);
  EXPECT_EQ(1u, c[TcpState::Listen]);
  EXPECT_EQ(6u, c.total());
}

TEST(SockDiagCount, MatchesSs) {
  Pair p;
  ASSERT_TRUE(make_connections(AF_INET, p));
  expect_same_as_ss(p.port);
  if (testing::Test::IsSkipped()) return;
  for (auto& s : p.servers) s.reset();
  ASSERT_TRUE(eventually([&] {
    const auto c = count_tcp_states(port_filter(p.port));
    return c[TcpState::FinWait2] == 5 && c[TcpState::CloseWait] == 5;
  }));
  expect_same_as_ss(p.port);
  for (auto& s : p.clients) s.reset();
  // At least ours: a TIME_WAIT left by an earlier connection that happened to use this port
  // number (as a client's ephemeral port) lives 60 s and matches the filter too; ss sees it as
  // well, which is what the comparison below checks.
  ASSERT_TRUE(eventually([&] {
    return count_tcp_states(port_filter(p.port))[TcpState::TimeWait] >= 5;
  }));
  expect_same_as_ss(p.port);
}

TEST(SockDiagFilter, LocalVersusRemotePort) {
  Pair p;
  ASSERT_TRUE(make_connections(AF_INET, p));
  StateFilter local;
  local.local_port = p.port;  // the listener and the accepted server sides
  StateCounts c = count_tcp_states(local);
  EXPECT_EQ(5u, c[TcpState::Established]);
  EXPECT_EQ(1u, c[TcpState::Listen]);
  EXPECT_EQ(6u, c.total());

  StateFilter remote;
  remote.remote_port = p.port;  // only the clients
  c = count_tcp_states(remote);
  EXPECT_EQ(5u, c[TcpState::Established]);
  EXPECT_EQ(5u, c.total());

  StateFilter both;  // fields are ANDed: nothing has the port at both ends
  both.local_port = p.port;
  both.remote_port = p.port;
  EXPECT_EQ(0u, count_tcp_states(both).total());
}

TEST(SockDiagFilter, FamilySelection) {
  Pair p;
  ASSERT_TRUE(make_connections(AF_INET, p));
  StateFilter f = port_filter(p.port);
  f.ipv6 = false;
  EXPECT_EQ(11u, count_tcp_states(f).total());
  f.ipv4 = false;
  EXPECT_EQ(0u, count_tcp_states(f).total());
  f = port_filter(p.port);
  f.ipv4 = false;
  EXPECT_EQ(0u, count_tcp_states(f).total());
}

TEST(SockDiagCount, Ipv6Loopback) {
  Pair p;
  if (!make_connections(AF_INET6, p)) GTEST_SKIP() << "no usable ::1";
  StateFilter f = port_filter(p.port);
  f.ipv4 = false;
  StateCounts c = count_tcp_states(f);
  EXPECT_EQ(10u, c[TcpState::Established]);
  EXPECT_EQ(1u, c[TcpState::Listen]);
  EXPECT_EQ(11u, c.total());
  f = port_filter(p.port);
  f.ipv6 = false;
  EXPECT_EQ(0u, count_tcp_states(f).total());

  for (auto& s : p.servers) s.reset();
  for (auto& s : p.clients) s.reset();
  EXPECT_TRUE(eventually([&] {
    c = count_tcp_states(port_filter(p.port));
    return c[TcpState::TimeWait] == 5 && c.total() == 6;
  }));
}

TEST(SockDiagCount, UnfilteredSeesAtLeastOurSockets) {
  Pair p;
  ASSERT_TRUE(make_connections(AF_INET, p));
  const StateCounts all = count_tcp_states();
  EXPECT_GE(all[TcpState::Established], 10u);
  EXPECT_GE(all[TcpState::Listen], 1u);
}

}  // namespace
}  // namespace connperf::diag
