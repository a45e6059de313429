// connperf server's echo family of modes, half-close and reset handling, and the graceful
// shutdown: what a plain socket client sees, and the TCP states on both sides.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "diag/sock_diag.h"
#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class ModeServer {
 public:
  ModeServer(const TempDir& dir, const std::string& mode, std::vector<std::string> extra = {})
      : json_(dir.file("server-" + mode + ".json")), proc_(args(mode, extra), dir.path()),
        port_(proc_.wait_listening()) {}
  int port() const { return port_; }
  Process& process() { return proc_; }
  json stop(int sig = SIGTERM) {
    proc_.signal(sig);
    EXPECT_EQ(proc_.wait(10s), 0) << proc_.err();
    return read_json(json_)["summary"];
  }

 private:
  std::vector<std::string> args(const std::string& mode, const std::vector<std::string>& extra) {
    std::vector<std::string> a{connperf(), "server", "--listen", "127.0.0.1:0", "--mode", mode,
                               "-t", "2", "-q", "--json", json_};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string json_;
  Process proc_;
  int port_;
};

TEST(ServerModes, EchoIsByteExactAndHalfCloseIsOrderly) {
  TempDir dir;
  ModeServer server(dir, "echo");
  const std::string big(100'000, 'x');
  const json r = probe(dir, server.port(), {"hello\n", "Mixed Case 123\n", big});
  EXPECT_EQ(r["replies"][0], "hello\n");
  EXPECT_EQ(r["replies"][1], "Mixed Case 123\n");
  EXPECT_EQ(r["replies"][2], big);
  EXPECT_TRUE(r["eof"].get<bool>());
  const json s = server.stop();
  EXPECT_EQ(s["accepted"], 1);
  EXPECT_EQ(s["fin"], 1);
  EXPECT_GE(s["requests"].get<std::uint64_t>(), 3u);
}

TEST(ServerModes, UpperAndStamp) {
  TempDir dir;
  ModeServer upper(dir, "upper");
  const json u = probe(dir, upper.port(), {"hello, World 42\n"});
  EXPECT_EQ(u["replies"][0], "HELLO, WORLD 42\n");
  upper.stop();
  ModeServer stamp(dir, "stamp");
  const json st = probe(dir, stamp.port(), {"hi\n"}, {"--extra", "27"});
  EXPECT_TRUE(std::regex_match(st["replies"][0].get<std::string>(),
                               std::regex(R"(\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] hi\n)")))
      << st["replies"][0];
  stamp.stop();
}

TEST(ServerModes, DiscardSendsNothing) {
  TempDir dir;
  ModeServer server(dir, "discard");
  const json r = probe(dir, server.port(), {"one\n", "two\n"}, {"--no-reply"});
  EXPECT_EQ(r["rest"], "");
  EXPECT_TRUE(r["eof"].get<bool>());
  const json s = server.stop();
  EXPECT_EQ(s["fin"], 1);
}

TEST(ServerModes, CrrLoadKeepsTheInvariantInEveryMode) {
  for (const char* mode : {"echo", "upper", "stamp"}) {
    TempDir dir;
    ModeServer server(dir, mode);
    const std::string cj = dir.file("crr.json");
    const RunResult r = run({connperf(), "crr", "127.0.0.1:" + std::to_string(server.port()),
                             "--request", "raw", "-n", "3000", "-c", "16", "-q", "--json", cj},
                            dir.path(), 60s);
    ASSERT_EQ(r.code, 0) << r.err;
    const json c = read_json(cj)["summary"];
    const json s = server.stop();
    EXPECT_EQ(c["completed"], 3000) << mode;
    EXPECT_EQ(s["rst"], 3000) << mode;
    expect_server_invariant(s);
  }
}

int local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

std::uint64_t count_state(diag::TcpState st, std::optional<std::uint16_t> local,
                          std::optional<std::uint16_t> remote) {
  diag::StateFilter f;
  f.local_port = local;
  f.remote_port = remote;
  return diag::count_tcp_states(f)[st];
}

// Waits up to a second for a socket state count to reach `want`.
bool state_reaches(diag::TcpState st, std::optional<std::uint16_t> local,
                   std::optional<std::uint16_t> remote, std::uint64_t want) {
  return poll_until([&] { return count_state(st, local, remote) == want; }, 1s);
}

TEST(ServerShutdown, SigintDrainsWithOrderlyCloseAndTheStatesShowIt) {
  TempDir dir;
  ModeServer server(dir, "echo", {"--drain-timeout", "5"});
  const auto sport = static_cast<std::uint16_t>(server.port());
  const int fd = connect_loopback(server.port());
  const auto cport = static_cast<std::uint16_t>(local_port(fd));
  ASSERT_TRUE(state_reaches(diag::TcpState::Established, sport, cport, 1));
  // Established is the kernel's word; an echo says the server itself holds the connection (a
  // SIGINT before its accept closes the listener, and the connection is reset).
  char echo[16];
  send_all(fd, "x");
  poll_until([&] { return ::recv(fd, echo, sizeof echo, MSG_DONTWAIT) > 0; }, 2s);

  server.process().signal(SIGINT);
  // Our side reads an orderly end of stream, and sits in CLOSE_WAIT; the server in FIN_WAIT2.
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[16];
  EXPECT_EQ(::recv(fd, buf, sizeof buf, 0), 0);
  EXPECT_TRUE(state_reaches(diag::TcpState::CloseWait, cport, sport, 1));
  EXPECT_TRUE(state_reaches(diag::TcpState::FinWait2, sport, cport, 1));
  EXPECT_TRUE(server.process().running());  // it waits for us within the drain timeout

  const auto closed_at = std::chrono::steady_clock::now();
  ::close(fd);
  EXPECT_EQ(server.process().wait(5s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - closed_at, 2s);
  EXPECT_TRUE(state_reaches(diag::TcpState::TimeWait, sport, cport, 1));  // the server closed first
  const json s = read_json(dir.file("server-echo.json"))["summary"];
  EXPECT_EQ(s["fin"], 1);
  EXPECT_EQ(s["active"], 0);

  // The port can be bound again at once.
  ModeServer again(dir, "echo", {"--listen", "127.0.0.1:" + std::to_string(sport)});
  again.stop();
}

TEST(ServerShutdown, DrainTimeoutClosesPeersThatStayAndASecondSignalIsImmediate) {
  TempDir dir;
  ModeServer server(dir, "echo", {"--drain-timeout", "0.5"});
  const int fd = connect_loopback(server.port());
  char echo[16];
  send_all(fd, "x");  // its echo says the server holds the connection
  poll_until([&] { return ::recv(fd, echo, sizeof echo, MSG_DONTWAIT) > 0; }, 2s);
  const auto t0 = std::chrono::steady_clock::now();
  server.process().signal(SIGTERM);
  EXPECT_EQ(server.process().wait(5s), 0);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GT(took, 400ms);
  EXPECT_LT(took, 2s);
  const json s = read_json(dir.file("server-echo.json"))["summary"];
  EXPECT_EQ(s["closed_by_server"], 1);
  ::close(fd);

  TempDir dir2;
  ModeServer twice(dir2, "echo", {"--drain-timeout", "30"});
  const int fd2 = connect_loopback(twice.port());
  send_all(fd2, "x");
  poll_until([&] { return ::recv(fd2, echo, sizeof echo, MSG_DONTWAIT) > 0; }, 2s);
  const auto t1 = std::chrono::steady_clock::now();
  twice.process().signal(SIGINT);
  // The drain's FIN says the first signal was taken, so the second is a second one.
  poll_until([&] { return ::recv(fd2, echo, sizeof echo, MSG_DONTWAIT) == 0; }, 2s);
  twice.process().signal(SIGINT);
  EXPECT_EQ(twice.process().wait(5s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 2s);
  ::close(fd2);
}

TEST(ServerModes, ResetByPeerIsCountedAndSurvived) {
  TempDir dir;
  ModeServer server(dir, "echo");
  const int fd = connect_loopback(server.port());
  ASSERT_EQ(::send(fd, "data\n", 5, 0), 5);
  char echo[16];  // the server has read our data once it echoes it
  poll_until([&] { return ::recv(fd, echo, sizeof echo, MSG_DONTWAIT) > 0; }, 2s);
  const linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(fd);
  std::this_thread::sleep_for(50ms);
  const json r = probe(dir, server.port(), {"still here\n"});
  EXPECT_EQ(r["replies"][0], "still here\n");
  const json s = server.stop();
  EXPECT_EQ(s["rst"], 1);
  EXPECT_EQ(s["fin"], 1);
}

}  // namespace
}  // namespace connperf::test
