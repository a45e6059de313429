// server --log-connections end to end, in every model: a record per accepted connection, the
// records' ends against the server's counters (rst, fin, closed_by_server, errors), TCP_INFO on
// loopback, the TLS handshake's time, every Nth with --log-sample, CSV, drops under a writer
// that cannot write (a FIFO nobody reads, the fork model's children included), and an
// unwritable path before listening.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;

void run_client(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), connperf());
  args.push_back("-q");
  const RunResult r = run(args, dir.path(), 30s);
  ASSERT_EQ(r.code, 0) << r.err;
}

class ServerConnLog : public ::testing::TestWithParam<const char*> {};

// crr with --close rst and with --close fin, and cc's held connections closed by the server's
// idle timeout: three of the four ends, each counted as the summary counts it.
TEST_P(ServerConnLog, RecordPerAcceptedConnection) {
  TempDir dir;
  const std::string log = dir.file("srv.ndjson");
  ServerProcess server(dir, {"--model", GetParam(), "-t", "2", "--mode", "http", "--idle-timeout",
                             "0.2", "--log-connections", log, "--tcp-info"});
  run_client(dir, {"crr", server.target(), "-n", "200", "-c", "4"});
  run_client(dir, {"crr", server.target(), "-n", "100", "-c", "2", "--close", "fin"});
  // held past 3 idle timeouts: the iterative model serves (and times out) one at a time
  run_client(dir, {"cc", server.target(), "-n", "3", "--hold", "1"});
  const nlohmann::json s = server.stop();
  const auto records = read_ndjson(log);
  EXPECT_EQ(records.size(), s["accepted"].get<std::uint64_t>());
  EXPECT_EQ(s["log_records"], records.size());
  EXPECT_EQ(s["log_dropped"], 0);
  std::map<std::string, std::uint64_t> by_end;
  std::uint64_t requests = 0;
  for (const auto& rec : records) {
    ++by_end[rec["end"].get<std::string>()];
    requests += rec["requests"].get<std::uint64_t>();
    // cc's held connections: closed by the idle timeout; the peer's rst and fin need no detail
    EXPECT_EQ(rec.value("detail", ""), rec["end"] == "closed_by_server" ? "idle_timeout" : "")
        << rec;
    EXPECT_EQ(rec["peer"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << rec;
    EXPECT_EQ(rec["local"], server.target()) << rec;
    EXPECT_GT(rec["rtt_us"].get<std::uint64_t>(), 0u) << rec;  // loopback: small, not zero
    EXPECT_LT(rec["rtt_us"].get<std::uint64_t>(), 1'000'000u) << rec;
    EXPECT_EQ(rec["total_retrans"], 0) << rec;
    EXPECT_LE(rec["start_us"].get<std::uint64_t>() + rec["duration_us"].get<std::uint64_t>(),
              60'000'000u);
    if (rec["requests"] == 0) continue;
    EXPECT_TRUE(rec.contains("first_byte_us")) << rec;
    EXPECT_TRUE(rec.contains("response_us")) << rec;
    EXPECT_LE(rec["first_byte_us"].get<std::uint64_t>(), rec["duration_us"].get<std::uint64_t>());
  }
  for (const char* end : {"rst", "fin", "closed_by_server", "errors"})
    EXPECT_EQ(by_end[end], s[end].get<std::uint64_t>()) << end;
  EXPECT_EQ(by_end["rst"], 200u);
  EXPECT_EQ(by_end["fin"], 100u);
  EXPECT_EQ(by_end["closed_by_server"], 3u);
  EXPECT_EQ(requests, s["requests"].get<std::uint64_t>());
}

INSTANTIATE_TEST_SUITE_P(Models, ServerConnLog,
                         ::testing::Values("epoll", "thread", "fork", "iterative"));

// Every Nth: each epoll worker's (one here), or the acceptor's in a blocking model; CSV rows.
TEST(ServerConnLogSample, EveryNthAndCsv) {
  for (const char* model : {"epoll", "thread"}) {
    TempDir dir;
    const std::string log = dir.file("srv.csv");
    ServerProcess server(dir, {"--model", model, "-t", "1", "--mode", "http",
                               "--log-connections", log, "--log-sample", "7"});
    run_client(dir, {"crr", server.target(), "-n", "1000", "-c", "4"});
    const nlohmann::json s = server.stop();
    EXPECT_EQ(s["log_records"], (1000u + 6) / 7) << model;
    std::stringstream in(read_file(log));
    std::string header;
    std::getline(in, header);
    EXPECT_EQ(header.rfind("start_us,time,worker,peer,local,tls_us,first_byte_us,", 0), 0u)
        << header;
    const auto columns = std::count(header.begin(), header.end(), ',');
    std::size_t rows = 0;
    for (std::string line; std::getline(in, line); ++rows) {
      EXPECT_EQ(std::count(line.begin(), line.end(), ','), columns) << line;
      EXPECT_NE(line.find(",rst"), std::string::npos) << line;
    }
    EXPECT_EQ(rows, (1000u + 6) / 7) << model;
  }
}

// A FIFO open but never read: the writer stalls, the workers (threads, or forked children
// through shared memory) drop, counted; every accepted connection is a whole line in the FIFO
// or a drop, and the server still stops on time.
TEST(ServerConnLogDrops, BlockedWriterDropsAndCounts) {
  for (const char* model : {"thread", "fork"}) {
    TempDir dir;
    const std::string fifo = dir.file("log.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(reader, 0);
    ServerProcess server(dir, {"--model", model, "--mode", "http", "--log-connections", fifo});
    // One connection at a time: one slot, so its ring (1,024 records) fills.
    run_client(dir, {"crr", server.target(), "-n", "2500", "-c", "1"});
    const auto t0 = std::chrono::steady_clock::now();
    const nlohmann::json s = server.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s) << model;
    std::string data;
    char buf[65536];
    for (ssize_t n; (n = ::read(reader, buf, sizeof buf)) > 0;)
      data.append(buf, static_cast<std::size_t>(n));
    ::close(reader);
    const auto lines = static_cast<std::uint64_t>(std::count(data.begin(), data.end(), '\n'));
    EXPECT_GT(s["log_dropped"].get<std::uint64_t>(), 0u) << model;
    EXPECT_EQ(s["log_records"].get<std::uint64_t>(), lines) << model;
    EXPECT_EQ(lines + s["log_dropped"].get<std::uint64_t>(), s["accepted"].get<std::uint64_t>())
        << model;
  }
}

// --tls: the handshake's time, before the first request byte.
TEST(ServerConnLogTls, HandshakeBeforeTheFirstByte) {
  TempDir dir;
  const std::string log = dir.file("tls.ndjson");
  ServerProcess server(dir, {"-t", "1", "--tls", "--log-connections", log});
  run_client(dir, {"crr", server.target(), "--tls", "-n", "20", "-c", "2"});
  const nlohmann::json s = server.stop();
  const auto records = read_ndjson(log);
  ASSERT_EQ(records.size(), s["accepted"].get<std::uint64_t>());
  for (const auto& rec : records) {
    ASSERT_TRUE(rec.contains("tls_us")) << rec;
    EXPECT_LE(rec["tls_us"].get<std::uint64_t>(), rec["first_byte_us"].get<std::uint64_t>());
  }
}

// What the counter does not say: a request that asked for the close, a bad request (400).
TEST(ServerConnLogDetail, ClosingRepliesNameTheirCause) {
  TempDir dir;
  const std::string log = dir.file("d.ndjson");
  ServerProcess server(dir, {"-t", "1", "--log-connections", log});
  const nlohmann::json close =
      probe(dir, server.port(), {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"});
  const nlohmann::json bad = probe(dir, server.port(), {"NOT HTTP\r\n\r\n"});
  const nlohmann::json s = server.stop();
  const auto records = read_ndjson(log);
  ASSERT_EQ(records.size(), 2u) << close << bad;
  EXPECT_EQ(records[0]["end"], "closed_by_server");
  EXPECT_EQ(records[0]["detail"], "connection_close");
  EXPECT_EQ(records[0]["requests"], 1);
  EXPECT_EQ(records[1]["end"], "errors");
  EXPECT_EQ(records[1]["detail"], "bad_request");
  EXPECT_EQ(s["errors"], 1);
}

// An unwritable path, or a FIFO nobody opened: one line, exit 2, before anything listens.
TEST(ServerConnLogBadInput, EndsBeforeListening) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo-without-reader").c_str(), 0600), 0);
  const std::vector<std::vector<std::string>> bad = {
      {"--log-connections", dir.file("no-such-dir/x.ndjson")},
      {"--model", "fork", "--log-connections", dir.file("fifo-without-reader")},
      {"--log-sample", "10"},
      {"--tcp-info"}};
  for (const auto& extra : bad) {
    std::vector<std::string> argv = {connperf(), "server", "--listen", "127.0.0.1:0", "-d", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult r = run(argv, dir.path(), 10s);
    EXPECT_EQ(r.code, 2) << extra[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.find("listening on"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace connperf::test
