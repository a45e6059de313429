// TLS beyond crr and the epoll server: rr --tls and cc --tls against server --tls with exact
// accounting, and server --tls on the thread, fork and iterative models counting as epoll does.
#include <gtest/gtest.h>

#include "harness.h"

namespace connperf::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::uint64_t tls_count(const json& j, const char* key) { return j.at(key).get<std::uint64_t>(); }

// rr: one handshake per connection, every request over it; the server counts the same.
void rr_over_tls(const std::string& version) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "2"});
  const json c = tls_load(dir, "rr", server.target(),
                          {"--tls-version", version, "-c", "6", "-t", "2", "-n", "3000"});
  const json s = server.stop();
  EXPECT_EQ(tls_count(c, "completed"), 3000u) << c["errors"].dump();
  EXPECT_EQ(tls_count(c, "error_total"), 0u) << c["errors"].dump();
  EXPECT_EQ(tls_count(c["tls"], "full"), 6u) << c["tls"].dump();
  EXPECT_EQ(c["tls"]["version"], "TLSv" + version);
  EXPECT_EQ(c["latency_us"]["tls"]["count"], 6);
  expect_server_invariant(s);
  EXPECT_EQ(tls_count(s, "requests"), 3000u);
  EXPECT_EQ(tls_count(s, "accepted"), 6u);
  EXPECT_EQ(tls_count(s["tls"], "full"), 6u);
  EXPECT_EQ(tls_count(s["tls"], "failed"), 0u);
}

TEST(TlsRr, OneHandshakePerConnectionTls12) { rr_over_tls("1.2"); }
TEST(TlsRr, OneHandshakePerConnectionTls13) { rr_over_tls("1.3"); }

// Echo payloads larger than a TLS record go through intact.
TEST(TlsRr, EchoPayloadAcrossRecords) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1", "--mode", "echo"});
  const json c = tls_load(dir, "rr", server.target(), {"--size", "40000", "-c", "2", "-n", "200"});
  server.stop();
  EXPECT_EQ(tls_count(c, "completed"), 200u) << c["errors"].dump();
  EXPECT_EQ(tls_count(c, "error_total"), 0u) << c["errors"].dump();
}

// A plaintext server: each connection's handshake fails at once, as not_tls.
TEST(TlsRr, PlaintextServerIsNotTls) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "-t", "1"});
  const json c = tls_load(dir, "rr", server.target(), {"-c", "2", "-n", "20"}, 1);
  server.stop();
  EXPECT_EQ(tls_count(c["errors"], "not_tls"), 20u) << c["errors"].dump();
}

// A server that refuses the version: each failed handshake is tls_failed, named by the alert
// the server sent; the server counts each as failed.
TEST(TlsRr, AlertFromThePeerIsNamed) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "--tls-version", "1.2"});
  for (const std::string command : {"crr", "rr", "cc"}) {
    const std::vector<std::string> count =
        command == "cc" ? std::vector<std::string>{"-n", "10", "--hold", "0"}
                        : std::vector<std::string>{"-n", "10", "-c", "1"};
    std::vector<std::string> args{"--tls-version", "1.3"};
    args.insert(args.end(), count.begin(), count.end());
    const json c = tls_load(dir, command, server.target(), args, 1);
    EXPECT_EQ(tls_count(c["errors"], "tls_failed"), 10u) << command << c["errors"].dump();
    EXPECT_EQ(c["tls"]["alerts"]["protocol version"], 10) << command << c["tls"].dump();
  }
  const json s = server.stop();
  EXPECT_EQ(tls_count(s["tls"], "failed"), 30u);
  EXPECT_EQ(s["tls"]["alerts_sent"]["protocol version"], 30) << s["tls"].dump();  // issue 21
  EXPECT_EQ(s["listeners"][0]["tls"]["alerts_sent"]["protocol version"], 30);
  expect_server_invariant(s);
}

// The server names the alert a client sent it: crr --verify rejects the self-signed
// certificate and says so (unknown ca); the server counts each failure under that name.
TEST(TlsRr, ServerNamesTheAlertTheClientSent) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1"});
  const json c = tls_load(dir, "crr", server.target(), {"--verify", "-n", "5", "-c", "1"}, 1);
  EXPECT_EQ(tls_count(c["errors"], "tls_verify"), 5u) << c["errors"].dump();
  const json s = server.stop();
  EXPECT_EQ(tls_count(s["tls"], "failed"), 5u) << s["tls"].dump();
  EXPECT_EQ(s["tls"]["alerts_received"]["unknown CA"], 5) << s["tls"].dump();
  EXPECT_TRUE(s["tls"]["alerts_sent"].empty()) << s["tls"].dump();
  expect_server_invariant(s);
}

// cc: held TLS connections, with a keepalive answered over TLS; the server saw each handshake.
TEST(TlsCc, HoldsTlsConnectionsWithKeepalives) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1", "--mode", "crr"});
  const json c = tls_load(dir, "cc", server.target(),
                          {"-n", "300", "--ramp", "1000", "--hold", "1", "--keepalive", "0.3",
                           "--resume", "1", "-t", "2"});
  const json s = server.stop();
  EXPECT_EQ(tls_count(c, "established"), 300u) << c.dump();
  EXPECT_EQ(tls_count(c, "survived"), 300u) << c.dump();
  EXPECT_GT(tls_count(c, "keepalives"), 0u);
  EXPECT_EQ(tls_count(c["tls"], "full") + tls_count(c["tls"], "resumed"), 300u);
  EXPECT_GT(tls_count(c["tls"], "resumed"), 200u) << c["tls"].dump();  // ramped: tickets came
  EXPECT_EQ(c["tls"]["version"], "TLSv1.3");
  expect_server_invariant(s);
  EXPECT_EQ(tls_count(s, "accepted"), 300u);
  EXPECT_EQ(tls_count(s["tls"], "full"), tls_count(c["tls"], "full"));
  EXPECT_EQ(tls_count(s["tls"], "resumed"), tls_count(c["tls"], "resumed"));
}

// Worker processes publish their handshakes too.
TEST(TlsCc, ProcessesSumTheirHandshakes) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "-t", "1"});
  const json c = tls_load(dir, "cc", server.target(), {"-n", "200", "--hold", "0.5",
                                                       "--processes", "2"});
  server.stop();
  EXPECT_EQ(tls_count(c, "established"), 200u) << c.dump();
  EXPECT_EQ(tls_count(c["tls"], "full") + tls_count(c["tls"], "resumed"), 200u);
  EXPECT_EQ(c["tls"]["group"], "x25519");
}

// Every blocking model serves TLS with the epoll model's counters: full and resumed handshakes
// as the client counts them, server rst == client completed, and a plaintext client counted as
// a failed handshake.
void model_serves_tls(const std::string& model, const std::string& version) {
  TempDir dir;
  ServerProcess server(dir, {"--listen", "127.0.0.1:0", "--tls", "--model", model});
  const std::string c_flag = model == "iterative" ? "1" : "4";
  const json c = tls_load(dir, "crr", server.target(),
                          {"--tls-version", version, "--resume", "0.5", "-n", "400", "-c", c_flag});
  const std::string plain = dir.file("plain.json");
  run({connperf(), "crr", server.target(), "-n", "5", "-c", "1", "-q", "--json", plain},
      dir.path(), 30s);
  const json s = server.stop();
  EXPECT_EQ(tls_count(c, "completed"), 400u) << c["errors"].dump();
  EXPECT_GT(tls_count(c["tls"], "resumed"), 150u) << c["tls"].dump();
  expect_server_invariant(s);
  EXPECT_EQ(tls_count(s["tls"], "full"), tls_count(c["tls"], "full")) << s.dump();
  EXPECT_EQ(tls_count(s["tls"], "resumed"), tls_count(c["tls"], "resumed"));
  EXPECT_EQ(tls_count(s["tls"], "failed"), 5u);
  EXPECT_EQ(tls_count(s, "requests"), 400u);
  EXPECT_GE(tls_count(s, "rst"), 400u);  // the TLS run's, plus the plaintext ones that reset
}

TEST(TlsServerModels, ThreadTls13) { model_serves_tls("thread", "1.3"); }
TEST(TlsServerModels, ForkTls12) { model_serves_tls("fork", "1.2"); }
TEST(TlsServerModels, IterativeTls13) { model_serves_tls("iterative", "1.3"); }

}  // namespace
}  // namespace connperf::test
