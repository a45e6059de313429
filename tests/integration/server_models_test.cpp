// Every server model (epoll, thread, fork, iterative) serves every mode with the same counters
// and the same invariant; fork leaves no zombies; every model shuts down gracefully.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class ModelServer {
 public:
  ModelServer(const TempDir& dir, const std::string& model, const std::string& mode,
              std::vector<std::string> extra = {})
      : json_(dir.file("server-" + model + "-" + mode + ".json")),
        proc_(args(model, mode, extra), dir.path()),
        port_(proc_.wait_listening()) {}
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  Process& process() { return proc_; }
  json stop() {
    proc_.signal(SIGTERM);
    EXPECT_EQ(proc_.wait(10s), 0) << proc_.err();
    return read_json(json_)["summary"];
  }

 private:
  std::vector<std::string> args(const std::string& model, const std::string& mode,
                                const std::vector<std::string>& extra) {
    std::vector<std::string> a{connperf(), "server", "--listen", "127.0.0.1:0", "--model", model,
                               "--mode", mode, "-q", "--json", json_};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string json_;
  Process proc_;
  int port_;
};

class Models : public ::testing::TestWithParam<std::string> {};

TEST_P(Models, EchoFamilyRepliesAreByteExact) {
  TempDir dir;
  const std::string model = GetParam();
  {
    ModelServer s(dir, model, "echo");
    const json r = probe(dir, s.port(), {"hello\n", std::string(50'000, 'e')});
    EXPECT_EQ(r["replies"][0], "hello\n");
    EXPECT_EQ(r["replies"][1], std::string(50'000, 'e'));
    EXPECT_TRUE(r["eof"].get<bool>());
    const json sum = s.stop();
    EXPECT_EQ(sum["fin"], 1);
    expect_server_invariant(sum);
  }
  {
    ModelServer s(dir, model, "upper");
    EXPECT_EQ(probe(dir, s.port(), {"abc Def\n"})["replies"][0], "ABC DEF\n");
    s.stop();
  }
  {
    ModelServer s(dir, model, "stamp");
    const std::string reply = probe(dir, s.port(), {"x\n"}, {"--extra", "27"})["replies"][0];
    EXPECT_TRUE(std::regex_match(reply, std::regex(R"(\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] x\n)")))
        << reply;
    s.stop();
  }
  {
    ModelServer s(dir, model, "discard");
    const json r = probe(dir, s.port(), {"gone\n"}, {"--no-reply"});
    EXPECT_EQ(r["rest"], "");
    EXPECT_TRUE(r["eof"].get<bool>());
    s.stop();
  }
}

TEST_P(Models, CrrLoadKeepsTheInvariantAndMatchesTheClient) {
  TempDir dir;
  for (const char* mode : {"http", "crr", "echo"}) {
    ModelServer s(dir, GetParam(), mode);
    const std::string cj = dir.file(std::string("crr-") + mode + ".json");
    const RunResult r = run({connperf(), "crr", s.target(), "-n", "1500", "-c", "8", "-q",
                             "--request", std::string(mode) == "http" ? "http" : "raw", "--json", cj},
                            dir.path(), 60s);
    ASSERT_EQ(r.code, 0) << r.err;
    const json c = read_json(cj)["summary"];
    const json sum = s.stop();
    EXPECT_EQ(c["completed"], 1500) << mode << c["errors"].dump();
    EXPECT_EQ(sum["rst"], 1500) << mode;
    EXPECT_EQ(sum["accepted"], 1500) << mode;
    expect_server_invariant(sum);
  }
}

TEST_P(Models, PersistentHttpClientsWithKeepAlive) {
  TempDir dir;
  ModelServer s(dir, GetParam(), "http");
  const std::string url = "http://" + s.target() + "/";
  const RunResult r = run({"curl", "-sS", url, url, url}, dir.path(), 20s);
  EXPECT_EQ(r.out, "Ok\nOk\nOk\n") << r.err;
  // Iterative serves one connection at a time: a second keep-alive client would wait in the
  // backlog until the first one leaves (that is the model), so it gets one client.
  const std::string clients = GetParam() == "iterative" ? "1" : "4";
  const RunResult ab = run({"ab", "-q", "-k", "-n", "500", "-c", clients, url}, dir.path(), 60s);
  expect_ab_complete(ab, 500);
  const json sum = s.stop();
  EXPECT_EQ(sum["requests"], 503);
  expect_server_invariant(sum);
}

TEST_P(Models, SigtermDrainsConnectedClientsInOrder) {
  TempDir dir;
  ModelServer s(dir, GetParam(), "echo", {"--drain-timeout", "3"});
  const int fd = connect_loopback(s.port());
  ASSERT_EQ(::send(fd, "hi\n", 3, 0), 3);
  char buf[64];
  ASSERT_EQ(::recv(fd, buf, sizeof buf, 0), 3);
  s.process().signal(SIGTERM);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::recv(fd, buf, sizeof buf, 0), 0);  // an orderly close reaches the client
  ::close(fd);
  EXPECT_EQ(s.process().wait(3s), 0);
}

// HEAD gets the head of the reply without its body, in order with the other replies of a
// pipeline, in every model (a body would put a keep-alive client out of step).
TEST_P(Models, HeadRepliesHaveNoBody) {
  TempDir dir;
  ModelServer s(dir, GetParam(), "http");
  const int fd = connect_loopback(s.port(), 3);
  send_all(fd,
           "GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string got = read_to_end(fd);
  ::close(fd);
  const std::string head =
      "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n";
  const std::string last =
      "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: 3\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(got, head + "Ok\n" + head + head + "Ok\n" + last);
  const json sum = s.stop();
  EXPECT_EQ(sum["requests"], 4);
  expect_server_invariant(sum);
}

INSTANTIATE_TEST_SUITE_P(Server, Models, ::testing::Values("epoll", "thread", "fork", "iterative"));

TEST(ForkModel, NoZombiesAndTheFdStaysWithTheChild) {
  TempDir dir;
  ModelServer s(dir, "fork", "crr", {"--max-connections", "16"});
  const RunResult r = run({connperf(), "crr", s.target(), "-n", "600", "-c", "16", "--request",
                           "raw", "-q"},
                          dir.path(), 60s);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string pid = std::to_string(s.process().pid());
  poll_until(
      [&] {  // the acceptor reaps at least every 100 ms: wait until no child is left
        return run({"ps", "--ppid", pid, "-o", "stat="}, dir.path(), 10s).out.empty();
      },
      5s, 50ms);
  const RunResult ps = run({"ps", "--ppid", pid, "-o", "stat="}, dir.path(), 10s);
  EXPECT_EQ(ps.out.find('Z'), std::string::npos) << ps.out;
  // The parent keeps only its listener (and the usual stdio/epoll fds), never a client fd.
  const RunResult fds = run({"sh", "-c", "ls /proc/" + pid + "/fd | wc -l"}, dir.path(), 10s);
  EXPECT_LT(std::stoi(fds.out), 12) << fds.out;
  const json sum = s.stop();
  EXPECT_EQ(sum["rst"], 600);
  expect_server_invariant(sum);
}

// True when `fd` has bytes (or an end) to read within `ms`.
bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// Two listeners and --max-connections 1: with one connection waiting on each listener, the
// blocking models still take one at a time (they took one per listener: two slots from one).
class CapOverListeners : public ::testing::TestWithParam<std::string> {};

TEST_P(CapOverListeners, TheCapHoldsAcrossListeners) {
  TempDir dir;
  const int p1 = free_port(), p2 = free_port();
  const std::string json_path = dir.file("server.json");
  Process server({connperf(), "server", "--model", GetParam(), "--mode", "echo",
                  "--max-connections", "1", "--listen", "127.0.0.1:" + std::to_string(p1),
                  "--listen", "127.0.0.1:" + std::to_string(p2), "-q", "--json", json_path},
                 dir.path());
  server.wait_listening();
  const int a = connect_loopback(p1, 2);
  send_all(a, "a");
  ASSERT_TRUE(readable_within(a, 2000));  // served
  const int b = connect_loopback(p1, 2), c = connect_loopback(p2, 2);
  send_all(b, "b");
  send_all(c, "c");
  std::this_thread::sleep_for(200ms);
  ::close(a);
  std::this_thread::sleep_for(500ms);
  const bool rb = readable_within(b, 0), rc = readable_within(c, 0);
  EXPECT_NE(rb, rc) << "exactly one of the two waiting connections is served";
  ::close(rb ? b : c);
  EXPECT_TRUE(readable_within(rb ? c : b, 3000));  // then the other
  close_and_wait_peer_close(rb ? c : b);
  server.signal(SIGTERM);
  ASSERT_EQ(server.wait(10s), 0) << server.err();
  const json sum = read_json(json_path)["summary"];
  EXPECT_EQ(sum["accepted"], 3);
  EXPECT_EQ(sum["active"], 0);
  expect_server_invariant(sum);
}

INSTANTIATE_TEST_SUITE_P(Server, CapOverListeners, ::testing::Values("thread", "fork"));

// --max-connections below -t: every reactor thread still has a share, so no listener pauses
// for good while the kernel hands it connections.
TEST(EpollModel, MaxConnectionsBelowTheThreadCountServesEveryone) {
  TempDir dir;
  ModelServer s(dir, "epoll", "crr", {"-t", "2", "--max-connections", "1"});
  for (int i = 0; i < 10; ++i) {
    const int fd = connect_loopback(s.port(), 2);
    send_all(fd, "Get.");
    char buf[64];
    EXPECT_GT(::recv(fd, buf, sizeof buf, 0), 0) << "connection " << i << " was not served";
    ::close(fd);
  }
  const json sum = s.stop();
  EXPECT_EQ(sum["accepted"], 10);
}

// A fork child never outlives the server: when the parent is killed, its children go too, and
// their clients see the connection end.
TEST(ForkModel, ChildrenDieWithTheServer) {
  TempDir dir;
  ModelServer s(dir, "fork", "echo");
  const int fd = connect_loopback(s.port(), 3);
  send_all(fd, "x");
  char buf[16];
  ASSERT_EQ(::recv(fd, buf, sizeof buf, 0), 1);
  ::kill(s.process().pid(), SIGKILL);
  EXPECT_TRUE(readable_within(fd, 3000)) << "the child still holds the connection";
  EXPECT_LE(::recv(fd, buf, sizeof buf, 0), 0);  // an end, not data
  ::close(fd);
  s.process().wait(5s);
}

// A client that sends but never reads blocks the server's reply; --idle-timeout ends it, so
// the one-at-a-time iterative server goes on to the next client.
TEST(IterativeModel, AClientThatNeverReadsIsClosedAfterTheIdleTimeout) {
  TempDir dir;
  ModelServer s(dir, "iterative", "echo", {"--idle-timeout", "1"});
  const int stuck = connect_loopback(s.port());
  const int rcvbuf = 4096;
  ::setsockopt(stuck, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const std::string chunk(1 << 20, 'z');
  for (int i = 0; i < 16; ++i)  // until our send buffer is full too: the server is stuck
    if (::send(stuck, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL) <= 0) break;
  const int next = connect_loopback(s.port(), 5);
  send_all(next, "n");
  const auto t0 = std::chrono::steady_clock::now();
  char buf[16];
  EXPECT_EQ(::recv(next, buf, sizeof buf, 0), 1) << "the next client was never served";
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 4.0);
  close_and_wait_peer_close(next);
  ::close(stuck);
  const json sum = s.stop();
  EXPECT_GE(sum["closed_by_server"].get<int>(), 1);
  expect_server_invariant(sum);
}

// A request that arrives after the drain's FIN cannot be answered: that is the server's close,
// not a reset by the peer (rst must keep matching the client's RST closes).
TEST_P(Models, ARequestAfterTheDrainFinIsNotCountedAsAReset) {
  TempDir dir;
  ModelServer s(dir, GetParam(), "http", {"--drain-timeout", "3"});
  const int fd = connect_loopback(s.port(), 3);
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  char buf[256];
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
  s.process().signal(SIGINT);
  EXPECT_EQ(::recv(fd, buf, sizeof buf, 0), 0);  // the drain's FIN
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(300ms);
  ::close(fd);
  ASSERT_EQ(s.process().wait(10s), 0) << s.process().err();
  const json sum = read_json(dir.file("server-" + GetParam() + "-http.json"))["summary"];
  EXPECT_EQ(sum["rst"], 0);
  EXPECT_EQ(sum["accepted"], 1);
  expect_server_invariant(sum);
}

}  // namespace
}  // namespace connperf::test
