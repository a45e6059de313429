// A connection's course through the server, the same in every model: answers owed beyond the
// socket buffers (reading pauses, then resumes), a half-close while answers are owed, and
// requests after the drain's FIN; each with the counter its end goes to.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kHead = "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kGetClose = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
const std::string kReplyHead =
    "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n";
const std::string kCloseReply =
    "HTTP/1.1 200 OK\r\nServer: connperf\r\nContent-Length: 3\r\nConnection: close\r\n\r\nOk\n";

class StateServer {
 public:
  StateServer(const TempDir& dir, const std::string& model, std::vector<std::string> extra = {})
      : json_(dir.file("server-" + model + ".json")), proc_(args(model, extra), dir.path()),
        port_(proc_.wait_listening()) {}
  int port() const { return port_; }
  Process& process() { return proc_; }
  json summary() { return read_json(json_)["summary"]; }
  json stop() {
    proc_.signal(SIGTERM);
    EXPECT_EQ(proc_.wait(10s), 0) << proc_.err();
    return summary();
  }

 private:
  std::vector<std::string> args(const std::string& model, const std::vector<std::string>& extra) {
    std::vector<std::string> a{connperf(), "server", "--listen", "127.0.0.1:0", "--model", model,
                               "--mode", "http", "-q", "--json", json_};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string json_;
  Process proc_;
  int port_;
};

// `n` pipelined keep-alive requests, every seventh a HEAD; `expected` gets their replies.
std::string pipeline(int n, std::string& expected) {
  std::string requests;
  for (int i = 0; i < n; ++i) {
    const bool head = i % 7 == 3;
    requests += head ? kHead : kGet;
    expected += head ? kReplyHead : kReplyHead + "Ok\n";
  }
  return requests;
}

// A client that sends `requests` (from another thread: the server stops reading while it cannot
// send) and reads only after a while, so megabytes of replies pile up beyond the socket buffers
// (a small receive buffer would make loopback crawl at one window per delayed ACK).
std::string slow_reader(int port, const std::string& requests, bool half_close) {
  const int fd = connect_loopback(port, 10);
  std::thread sender([&] {
    send_all(fd, requests);
    if (half_close) ::shutdown(fd, SHUT_WR);
  });
  std::this_thread::sleep_for(300ms);
  std::string got = read_to_end(fd);
  sender.join();
  ::close(fd);
  return got;
}

class States : public ::testing::TestWithParam<std::string> {};

// Megabytes of replies owed: the server pauses reading, sends as the client takes, resumes, and
// ends with the closing reply, in order and complete.
TEST_P(States, RepliesBeyondTheSocketBuffersArriveWholeAndInOrder) {
  TempDir dir;
  StateServer s(dir, GetParam());
  std::string expected;
  const std::string requests = pipeline(80'000, expected) + kGetClose + kGet;
  expected += kCloseReply;
  const std::string got = slow_reader(s.port(), requests, false);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "the replies differ from the requests' order";
  const json sum = s.stop();
  EXPECT_EQ(sum["requests"], 80'001);
  EXPECT_EQ(sum["closed_by_server"], 1);
  expect_server_invariant(sum);
}

// The peer's FIN comes while answers are still owed: they all go out, then the connection ends
// as the peer's orderly close.
TEST_P(States, AHalfCloseWhileRepliesAreOwedIsAFinAfterEveryReply) {
  TempDir dir;
  StateServer s(dir, GetParam());
  std::string expected;
  const std::string requests = pipeline(60'000, expected);
  const std::string got = slow_reader(s.port(), requests, true);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  const json sum = s.stop();
  EXPECT_EQ(sum["requests"], 60'000);
  EXPECT_EQ(sum["fin"], 1);
  expect_server_invariant(sum);
}

// After the drain's FIN no request can be answered, whatever it asks for (keep-alive, close or
// a bad request): the server's close, never the peer's reset nor an error.
TEST_P(States, RequestsAfterTheDrainFinAreTheServersClose) {
  for (const std::string& late : {kGetClose, std::string("BAD\r\n\r\n"), kHead}) {
    TempDir dir;
    StateServer s(dir, GetParam(), {"--drain-timeout", "3"});
    const int fd = connect_loopback(s.port(), 3);
    send_all(fd, kGet);
    char buf[256];
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
    s.process().signal(SIGINT);
    EXPECT_EQ(::recv(fd, buf, sizeof buf, 0), 0);  // the drain's FIN
    send_all(fd, late);
    std::this_thread::sleep_for(300ms);
    ::close(fd);
    ASSERT_EQ(s.process().wait(10s), 0) << s.process().err();
    const json sum = s.summary();
    EXPECT_EQ(sum["closed_by_server"], 1) << late;
    EXPECT_EQ(sum["rst"], 0) << late;
    EXPECT_EQ(sum["errors"], 0) << late;
    expect_server_invariant(sum);
  }
}

INSTANTIATE_TEST_SUITE_P(Server, States, ::testing::Values("epoll", "thread", "fork", "iterative"));

}  // namespace
}  // namespace connperf::test
