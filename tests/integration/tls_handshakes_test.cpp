// TLS end to end on loopback: crr --tls against server --tls with exact accounting (DESIGN.md
// section 3) for TLS 1.2 and 1.3, full and resumed; real peers (curl, openssl s_client and
// s_server); a plaintext server seen at once; bad input refused with exit 2 before any connection.
#include <signal.h>

#include <algorithm>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::uint64_t u64(const json& j, const char* key) { return j.at(key).get<std::uint64_t>(); }

json crr_tls(const TempDir& dir, const std::string& target, std::vector<std::string> extra,
             int expect_code = 0) {
  return tls_load(dir, "crr", target, extra, expect_code);
}

// Client and server agree exactly: every attempt completed, every completed connection is a
// server rst (--close rst), every accepted connection a handshake of the same kind.
void tls_accounting(const std::string& version) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "2"});
  constexpr std::uint64_t kN = 1500, kC = 8;
  json full_run = crr_tls(dir, server.target(),
                          {"--tls-version", version, "-n", std::to_string(kN), "-c",
                           std::to_string(kC), "-t", "2"});
  json resumed_run = crr_tls(dir, server.target(),
                             {"--tls-version", version, "--resume", "1", "-n",
                              std::to_string(kN), "-c", std::to_string(kC), "-t", "2"});
  const json s = server.stop();
  for (const json* c : {&full_run, &resumed_run}) {
    EXPECT_EQ(u64(*c, "completed"), kN) << c->dump();
    EXPECT_EQ(u64(*c, "error_total"), 0u) << (*c)["errors"].dump();
    EXPECT_EQ(u64((*c)["tls"], "full") + u64((*c)["tls"], "resumed"), kN);
    EXPECT_EQ((*c)["tls"]["version"], "TLSv" + version);
    EXPECT_EQ((*c)["tls"]["group"], "x25519");
    EXPECT_EQ((*c)["latency_us"]["tls"]["count"], kN);
  }
  EXPECT_EQ(u64(full_run["tls"], "resumed"), 0u);
  // Only the connections started before a worker had its first session are full.
  EXPECT_LE(u64(resumed_run["tls"], "full"), kC) << resumed_run["tls"].dump();
  expect_server_invariant(s);
  EXPECT_EQ(u64(s, "accepted"), 2 * kN);
  EXPECT_EQ(u64(s, "rst"), 2 * kN);  // DESIGN.md section 3: server rst == client completed
  EXPECT_EQ(u64(s, "requests"), 2 * kN);
  EXPECT_EQ(u64(s["tls"], "full"),
            u64(full_run["tls"], "full") + u64(resumed_run["tls"], "full"));
  EXPECT_EQ(u64(s["tls"], "resumed"), u64(resumed_run["tls"], "resumed"));
  EXPECT_EQ(u64(s["tls"], "failed"), 0u);
}

TEST(TlsCrr, ExactAccountingTls12FullAndResumed) { tls_accounting("1.2"); }
TEST(TlsCrr, ExactAccountingTls13FullAndResumed) { tls_accounting("1.3"); }

// The alert goes out before the RST; the server reads it as the peer's close (fin) or, when the
// reset overtakes it, as rst: either way each connection is counted once.
// --rate with phases (issue 21: TLS wherever a load runs): the sustain phase's own figures carry
// its handshakes, as many as it completed.
TEST(TlsCrr, PhasesAtARateHaveTheSustainPhasesHandshakes) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1"});
  const json c = crr_tls(dir, server.target(),
                         {"--rate", "200", "--ramp-up", "0.5", "--sustain", "1", "--ramp-down",
                          "0.5", "--resume", "0.5"});
  server.stop();
  const json& sustain = c["sustain"];
  ASSERT_TRUE(sustain.contains("tls")) << sustain.dump();
  // A handshake is counted when it is done, its connection when the response is: the two may
  // fall on either side of a phase's edge, by what was in flight there.
  const double done = static_cast<double>(u64(sustain, "completed"));
  EXPECT_NEAR(static_cast<double>(u64(sustain["tls"], "full") + u64(sustain["tls"], "resumed")),
              done, 20);
  EXPECT_GT(done, 100);
  EXPECT_NEAR(sustain["latency_us"]["tls"]["count"].get<double>(), done, 20);
  EXPECT_EQ(u64(c["tls"], "full") + u64(c["tls"], "resumed"), u64(c, "completed"));
}

TEST(TlsCrr, CloseNotifyFinClose) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1"});
  const json c = crr_tls(dir, server.target(), {"--close-notify", "--close", "fin", "-n", "300"});
  const json s = server.stop();
  EXPECT_EQ(u64(c, "completed"), 300u);
  expect_server_invariant(s);
  EXPECT_EQ(u64(s, "fin"), 300u) << s.dump();
}

TEST(TlsCrr, PlaintextServerIsNotTlsAtOnce) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1"});
  const auto t0 = std::chrono::steady_clock::now();
  const json c = crr_tls(dir, server.target(), {"-n", "200", "-c", "4", "--timeout", "4000"}, 1);
  const auto took = std::chrono::steady_clock::now() - t0;
  server.stop();
  EXPECT_EQ(u64(c["errors"], "not_tls"), 200u) << c["errors"].dump();
  EXPECT_LT(took, 3s);  // not one attempt waited for the 4 s timeout
}

TEST(TlsCrr, VerifyFailsOnASelfSignedServerAndPassesWithItsCa) {
  TempDir dir;
  const CertFiles files(dir);
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1", "--cert", files.cert,
                             "--key", files.key});
  const json bad = crr_tls(dir, server.target(), {"--verify", "-n", "20"}, 1);
  EXPECT_EQ(u64(bad["errors"], "tls_verify"), 20u) << bad["errors"].dump();
  const json good = crr_tls(dir, server.target(),
                            {"--verify", "--ca", files.cert, "--sni", "localhost", "-n", "20"});
  EXPECT_EQ(u64(good, "completed"), 20u) << good["errors"].dump();
  const json s = server.stop();
  EXPECT_EQ(u64(s["tls"], "failed"), 20u);
  expect_server_invariant(s);
}

TEST(TlsPeers, CurlInsecureGetsOk) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1"});
  const std::string url = "https://" + server.target() + "/";
  const RunResult r = run({"curl", "-sS", "--insecure", url, url}, dir.path(), 10s);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Ok\nOk\n");
  const RunResult strict = run({"curl", "-sS", url}, dir.path(), 10s);
  EXPECT_EQ(strict.code, 60) << strict.err;  // the self-signed certificate is not trusted
  const json s = server.stop();
  EXPECT_EQ(u64(s, "requests"), 2u);
  EXPECT_EQ(u64(s["tls"], "full"), 1u);
  EXPECT_EQ(u64(s["tls"], "failed"), 1u);
  expect_server_invariant(s);
}

int count_lines(const std::string& text, const std::string& prefix) {
  int n = 0;
  for (std::size_t at = 0; (at = text.find("\n" + prefix, at)) != std::string::npos; ++at) ++n;
  return n;
}

// s_client -reconnect: one full handshake, then five on the saved session (TLS 1.2: s_client
// reconnects before a 1.3 ticket could arrive).
TEST(TlsPeers, OpensslReconnectResumes) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "2"});
  const RunResult r = run({"openssl", "s_client", "-connect", server.target(), "-reconnect",
                           "-tls1_2"},
                          dir.path(), 20s);
  EXPECT_EQ(r.code, 0) << r.err;
  const int reused = count_lines(r.out, "Reused, TLSv1.2");
  EXPECT_EQ(reused, 5) << r.out;
  const json s = server.stop();
  EXPECT_EQ(u64(s["tls"], "resumed"), 5u);
  EXPECT_EQ(u64(s["tls"], "full"), 1u);
  expect_server_invariant(s);
}

// openssl s_server -www as the origin, on a port it prints ("ACCEPT 127.0.0.1:PORT").
TEST(TlsPeers, CrrAgainstOpensslServer) {
  TempDir dir;
  const OpensslWww origin(dir);
  ASSERT_FALSE(origin.target().empty());
  const std::string& target = origin.target();
  const json v13 = crr_tls(dir, target, {"--tls-version", "1.3", "-n", "200", "-c", "4"});
  EXPECT_EQ(u64(v13, "completed"), 200u) << v13["errors"].dump();
  EXPECT_EQ(v13["tls"]["version"], "TLSv1.3");
  const json v12 = crr_tls(dir, target, {"--tls-version", "1.2", "--resume", "1", "-n", "200",
                                         "-c", "1", "--close-notify"});
  EXPECT_EQ(u64(v12, "completed"), 200u) << v12["errors"].dump();
  EXPECT_EQ(u64(v12["tls"], "resumed"), 199u) << v12["tls"].dump();
}

// One line on stderr, exit 2, and nothing reached the target.
TEST(TlsCli, BadInputExitsTwoBeforeAnyConnection) {
  TempDir dir;
  const CertFiles files(dir), other(dir, "other");
  ServerProcess target(dir, {"--listen", "127.0.0.1:0", "-t", "1"});
  const std::vector<std::vector<std::string>> bad = {
      {"crr", "--tls", "--groups", "nope", target.target()},
      {"crr", "--tls", "--ciphers", "nope", target.target()},
      {"crr", "--tls", "--ciphersuites", "nope", target.target()},
      {"crr", "--tls", "--verify", "--ca", dir.file("missing.pem"), target.target()},
      {"crr", "--resume", "1", target.target()},  // --resume without --tls
      {"server", "--tls", "--listen", "127.0.0.1:0", "--cert", dir.file("missing.pem"), "--key",
       files.key},
      {"server", "--tls", "--listen", "127.0.0.1:0", "--cert", files.cert, "--key", other.key},
      {"server", "--tls", "--listen", "127.0.0.1:0", "--cert", files.cert},
      {"rr", "--tls", "--groups", "nope", target.target()},
      {"cc", "--tls", "--ciphers", "nope", target.target()},
      {"cc", "--resume", "1", target.target()},
  };
  for (std::vector<std::string> args : bad) {
    args.insert(args.end(), {args[0] == "cc" ? "--hold" : "-d", "1"});
    args.insert(args.begin(), connperf());
    const RunResult r = run(args, dir.path(), 20s);
    const std::string line = fmt::format("{}", fmt::join(args, " "));
    EXPECT_EQ(r.code, 2) << line << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << line << "\n" << r.err;
    EXPECT_EQ(r.err.find("listening on"), std::string::npos) << line;
  }
  const json s = target.stop();
  EXPECT_EQ(u64(s, "accepted"), 0u);
}

}  // namespace
}  // namespace connperf::test
