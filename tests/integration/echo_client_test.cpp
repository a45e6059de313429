// connperf echo: the interactive client, driven through a pipe, against connperf server and a
// misbehaving Python peer.
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;

// Runs `connperf echo TARGET` with `shell_input` (a shell pipeline producing its stdin).
RunResult echo_client(const TempDir& dir, const std::string& shell_input, const std::string& target,
                      std::chrono::milliseconds limit = 10s) {
  return run({"sh", "-c", "(" + shell_input + ") | \"$0\" echo \"$1\"", connperf(), target},
             dir.path(), limit);
}

class EchoServer {
 public:
  EchoServer(const TempDir& dir, const std::string& mode)
      : proc_({connperf(), "server", "--listen", "127.0.0.1:0", "--mode", mode, "-t", "1", "-q"},
              dir.path()),
        target_("127.0.0.1:" + std::to_string(proc_.wait_listening())) {}
  ~EchoServer() { proc_.signal(SIGKILL); }
  const std::string& target() const { return target_; }

 private:
  Process proc_;
  std::string target_;
};

class PythonPeer {
 public:
  PythonPeer(const TempDir& dir, const std::string& mode)
      : proc_({"python3", peers_dir() + "/echo_server.py", "--mode", mode}, dir.path()),
        target_("127.0.0.1:" + std::to_string(proc_.wait_listening())) {}
  ~PythonPeer() { proc_.signal(SIGTERM); proc_.wait(5s); }
  const std::string& target() const { return target_; }

 private:
  Process proc_;
  std::string target_;
};

TEST(EchoClient, PipedLinesComeBackAndEndOfInputEndsInOrder) {
  TempDir dir;
  EchoServer server(dir, "echo");
  const RunResult r = echo_client(dir, "printf 'hello\\nworld\\n'", server.target());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\nworld\n");
  EXPECT_EQ(r.err, "");
}

TEST(EchoClient, UpperMode) {
  TempDir dir;
  EchoServer server(dir, "upper");
  const RunResult r = echo_client(dir, "printf 'Mixed case\\n'", server.target());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "MIXED CASE\n");
}

TEST(EchoClient, EmptyLineHalfCloses) {
  TempDir dir;
  EchoServer server(dir, "echo");
  const RunResult r = echo_client(dir, "printf 'a\\n\\nb\\n'", server.target());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "a\n");
}

TEST(EchoClient, ServerClosingWhileWaitingForInputIsNoticedAtOnce) {
  TempDir dir;
  PythonPeer peer(dir, "close-after-first");
  // stdin stays open: the client is waiting for input when the server closes.
  Process client({connperf(), "echo", peer.target()}, dir.path(), true);
  client.write_stdin("hi\n");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(client.wait(5s), 0) << client.err();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(client.out(), "hi\n");
  EXPECT_NE(client.err().find("closed by the server"), std::string::npos) << client.err();
}

TEST(EchoClient, ResetIsExitOne) {
  TempDir dir;
  PythonPeer peer(dir, "reset-after-first");
  Process client({connperf(), "echo", peer.target()}, dir.path(), true);
  client.write_stdin("hi\n");
  EXPECT_EQ(client.wait(5s), 1);
  EXPECT_NE(client.err().find("reset"), std::string::npos) << client.err();
}

TEST(EchoClient, RefusedIsOneLineExitOneAndBadTargetIsUsage) {
  TempDir dir;
  const RunResult r = echo_client(dir, "true", "127.0.0.1:" + std::to_string(free_port()));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.find("cannot connect"), 10u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_EQ(echo_client(dir, "true", "not-an-address").code, 2);
}

}  // namespace
}  // namespace connperf::test

namespace connperf::test {
namespace {

// Input without a newline is bounded: 128 MiB of one "line" goes out in pieces as it is read,
// and the client's peak memory stays far below the input (it held all of it before).
TEST(EchoClient, InputWithoutANewlineIsNotHeldWithoutLimit) {
  TempDir dir;
  EchoServer server(dir, "discard");
  const std::string rss = dir.path() + "/rss";
  const RunResult r = run({"sh", "-c",
                           "head -c 134217728 /dev/zero | tr '\\0' x | /usr/bin/time -f '%M' -o "
                           "\"$2\" \"$0\" echo \"$1\" >/dev/null",
                           connperf(), server.target(), rss},
                          dir.path(), 60s);
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(rss);
  long peak_kib = 0;
  ASSERT_TRUE(in >> peak_kib) << "no peak RSS from /usr/bin/time";
  EXPECT_LT(peak_kib, 48 * 1024 * kMemoryScale)
      << "peak RSS " << peak_kib << " KiB for 128 MiB without a newline";
}

}  // namespace
}  // namespace connperf::test
