// connperf states (sock_diag) from the command line, and the TIME_WAIT counts that crr and
// server summaries add: why --close rst matters.
#include <signal.h>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(StatesCommand, CountsListenersOfARunningServer) {
  TempDir dir;
  const std::string sjson = dir.file("server.json");
  Process server({connperf(), "server", "--listen", "127.0.0.1:0", "-t", "2", "-q", "--json", sjson},
                 dir.path());
  const int port = server.wait_listening();
  const std::string path = dir.file("states.json");
  const RunResult r = run({connperf(), "states", "--port", std::to_string(port), "--json", path},
                          dir.path(), 10s);
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = read_json(path);
  EXPECT_EQ(doc["command"], "states");
  EXPECT_EQ(doc["summary"]["states"]["LISTEN"], 2);  // one SO_REUSEPORT listener per thread
  EXPECT_EQ(doc["summary"]["states"]["ESTABLISHED"], 0);
  EXPECT_NE(r.out.find("LISTEN"), std::string::npos);

  // A FIN close leaves the client's side in TIME_WAIT; an RST close leaves nothing.
  const std::string target = "127.0.0.1:" + std::to_string(port);
  const std::string fin = dir.file("fin.json");
  ASSERT_EQ(run({connperf(), "crr", target, "-n", "200", "--close", "fin", "-q", "--json", fin},
                dir.path()).code, 0);
  EXPECT_GE(read_json(fin)["summary"]["time_wait"].get<std::uint64_t>(), 200u);
  server.signal(SIGTERM);
  ASSERT_EQ(server.wait(10s), 0);
  EXPECT_EQ(read_json(sjson)["summary"]["time_wait"], 0);  // the server closed second
}

TEST(StatesCommand, RstCloseLeavesNoTimeWait) {
  TempDir dir;
  Process server({connperf(), "server", "--listen", "127.0.0.1:0", "-t", "1", "-q"}, dir.path());
  const int port = server.wait_listening();
  const std::string rst = dir.file("rst.json");
  ASSERT_EQ(run({connperf(), "crr", "127.0.0.1:" + std::to_string(port), "-n", "200", "-q",
                 "--json", rst},
                dir.path()).code, 0);
  EXPECT_EQ(read_json(rst)["summary"]["time_wait"], 0);
}

TEST(StatesCommand, WatchPrintsLinesUntilDuration) {
  TempDir dir;
  const RunResult r = run({connperf(), "states", "--watch", "0.1", "-d", "0.35"}, dir.path(), 10s);
  ASSERT_EQ(r.code, 0) << r.err;
  std::size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  EXPECT_GE(lines, 5u) << r.out;  // scope, header, t=0 and three ticks
}

}  // namespace
}  // namespace connperf::test
