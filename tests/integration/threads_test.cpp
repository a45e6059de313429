// The engines with more than one thread, small and quick: what `make test-tsan` runs under
// ThreadSanitizer (with the epoll and thread server models of server_models_test and the
// proxy's two workers of proxy_cmd_test). Totals are exact, so a race that loses a count shows too.
#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json run_json(const TempDir& dir, const std::string& cmd, std::vector<std::string> args) {
  const std::string path = dir.file(cmd + ".json");
  std::vector<std::string> argv{connperf(), cmd, "-q", "--json", path};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = run(argv, dir.path(), 120s);
  EXPECT_EQ(r.code, 0) << r.err;
  return read_json(path)["summary"];
}

void crr_rr_cc_against(const std::string& model) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--model", model, "--mode", "http",
                             "-t", "2"});
  const json crr = run_json(dir, "crr", {server.target(), "-n", "600", "-c", "8", "-t", "2"});
  EXPECT_EQ(crr["completed"], 600) << crr.dump();
  const json rr = run_json(dir, "rr", {server.target(), "-n", "2000", "-c", "8", "-t", "2"});
  EXPECT_EQ(rr["requests"], 2000) << rr.dump();
  const json rate = run_json(dir, "rr", {server.target(), "-n", "400", "-c", "4", "-t", "2",
                                         "--rate", "800"});
  EXPECT_EQ(rate["requests"], 400) << rate.dump();
  const json cc = run_json(dir, "cc", {server.target(), "-n", "200", "-t", "2", "--hold", "0.5"});
  EXPECT_EQ(cc["established"], 200) << cc.dump();
  const json s = server.stop();
  expect_server_invariant(s);
  EXPECT_EQ(s["requests"], 600 + 2000 + 400);  // cc holds connections without requests
  EXPECT_GE(s["rst"].get<std::uint64_t>(), 600u);  // crr closes each connection with a RST
}

TEST(TwoThreads, CrrRrCcAgainstTheEpollServer) { crr_rr_cc_against("epoll"); }
TEST(TwoThreads, CrrRrCcAgainstTheThreadServer) { crr_rr_cc_against("thread"); }

}  // namespace
}  // namespace connperf::test
