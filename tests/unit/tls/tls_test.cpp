// tls/: the resume ratio, bad options refused as ConfigError, and real handshakes between a
// ClientContext and a ServerContext over a non-blocking socketpair, stepped by hand as an event
// loop steps them (full, then resumed, for TLS 1.2 and 1.3).
#include "tls/tls.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace connperf::tls {
namespace {

TEST(ResumeGate, OffersTheRatioEvenly) {
  ResumeGate none(0), all(1), quarter(0.25);
  int n_none = 0, n_all = 0, n_quarter = 0;
  for (int i = 0; i < 100; ++i) {
    n_none += none.next();
    n_all += all.next();
    const bool q = quarter.next();
    n_quarter += q;
    EXPECT_EQ(q, i % 4 == 3) << i;  // every fourth, not the first 25
  }
  EXPECT_EQ(n_none, 0);
  EXPECT_EQ(n_all, 100);
  EXPECT_EQ(n_quarter, 25);
}

TEST(TlsOptions, VersionsParse) {
  EXPECT_EQ(parse_version("1.2"), Version::V12);
  EXPECT_EQ(parse_version("1.3"), Version::V13);
  EXPECT_FALSE(parse_version("1.1"));
}

std::string config_error(const ClientOptions& o) {
  try {
    ClientContext ctx(o);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(TlsOptions, BadClientInputIsAConfigError) {
  ClientOptions o;
  o.groups = "nope";
  EXPECT_EQ(config_error(o).rfind("--groups nope: ", 0), 0u) << config_error(o);
  o = {};
  o.ciphers = "nope";
  EXPECT_EQ(config_error(o).rfind("--ciphers nope: ", 0), 0u);
  o = {};
  o.ciphersuites = "nope";
  EXPECT_EQ(config_error(o).rfind("--ciphersuites nope: ", 0), 0u);
  o = {};
  o.alpn = "h2,,x";
  EXPECT_EQ(config_error(o).rfind("--alpn ", 0), 0u);
  o = {};
  o.ca = "/nonexistent.pem";
  EXPECT_EQ(config_error(o), "--ca goes with --verify");
  o.verify = true;
  EXPECT_EQ(config_error(o).rfind("--ca /nonexistent.pem: ", 0), 0u);
  EXPECT_EQ(config_error(ClientOptions{}), "");
}

TEST(TlsOptions, BadServerInputIsAConfigError) {
  ServerOptions o;
  o.cert = "/nonexistent.pem";
  EXPECT_THROW(ServerContext{o}, ConfigError);  // without --key
  o.key = "/nonexistent.key";
  try {
    ServerContext ctx(o);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--cert /nonexistent.pem: ", 0), 0u) << e.what();
  }
  EXPECT_NO_THROW(ServerContext{ServerOptions{}});
}

// One connection: a client and a server SSL over a non-blocking socketpair.
struct TlsPair {
  int fds[2] = {-1, -1};
  SSL* client = nullptr;
  SSL* server = nullptr;

  TlsPair(ClientContext& c, ServerContext& s) {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    client = c.open(fds[0]);
    server = s.accept(fds[1]);
  }
  ~TlsPair() {
    close(client, false);
    close(server, false);
    ::close(fds[0]);
    ::close(fds[1]);
  }

  // Steps both sides until both are done (or one fails): true when both are done.
  bool handshake() {
    bool c_done = false, s_done = false;
    for (int i = 0; i < 50 && !(c_done && s_done); ++i) {
      const Step c = c_done ? Step{} : tls::handshake(client);
      const Step s = s_done ? Step{} : tls::handshake(server);
      if (c.outcome == Outcome::Failed || s.outcome == Outcome::Failed) return false;
      c_done = c.outcome == Outcome::Done;
      s_done = s.outcome == Outcome::Done;
    }
    return c_done && s_done;
  }

  // The request and response after the handshake (the client's read also takes the 1.3 ticket).
  void exchange() {
    char buf[64];
    ASSERT_EQ(send_some(client, "ping", 4).value, 4);
    net::Result r = read_some(server, buf, sizeof buf);
    ASSERT_EQ(r.value, 4);
    EXPECT_EQ(std::string(buf, 4), "ping");
    ASSERT_EQ(send_some(server, "pong", 4).value, 4);
    r = read_some(client, buf, sizeof buf);
    ASSERT_EQ(r.value, 4);
    EXPECT_EQ(read_some(client, buf, sizeof buf).err, net::Err::WouldBlock);
  }
};

// A client pinned to `v` that offers its last session to every connection.
ClientOptions resuming(Version v) {
  ClientOptions co;
  co.version = v;
  co.resume = 1;
  return co;
}

void full_then_resumed(Version v, const char* name) {
  ClientContext client(resuming(v));
  ServerContext server(ServerOptions{});
  {
    TlsPair first(client, server);
    ASSERT_TRUE(first.handshake());
    EXPECT_FALSE(SSL_session_reused(first.client));
    const Negotiated n = negotiated(first.client);
    EXPECT_EQ(n.version, name);
    EXPECT_EQ(n.group, "x25519");
    EXPECT_FALSE(n.cipher.empty());
    first.exchange();
  }
  for (int i = 0; i < 3; ++i) {
    TlsPair again(client, server);
    ASSERT_TRUE(again.handshake());
    EXPECT_TRUE(SSL_session_reused(again.client)) << name << " #" << i;
    EXPECT_TRUE(SSL_session_reused(again.server)) << name << " #" << i;
    again.exchange();
  }
}

// --session-cache off --tickets off: nothing to resume with, every handshake is full.
TEST(TlsHandshake, NoCacheNoTicketsMeansEveryHandshakeIsFull) {
  for (const Version v : {Version::V12, Version::V13}) {
    ClientContext client(resuming(v));
    ServerOptions so;
    so.session_cache = false;
    so.tickets = false;
    ServerContext server(so);
    for (int i = 0; i < 3; ++i) {
      TlsPair p(client, server);
      ASSERT_TRUE(p.handshake());
      p.exchange();
      EXPECT_FALSE(SSL_session_reused(p.client)) << static_cast<int>(v) << " #" << i;
    }
  }
}

// --key-type rsa2048: the certificate made at start is RSA, and TLS 1.2 picks an RSA suite.
TEST(TlsHandshake, Rsa2048KeyMadeAtStart) {
  ClientOptions co;
  co.version = Version::V12;
  ClientContext client(co);
  ServerOptions so;
  so.key_type = KeyType::Rsa2048;
  ServerContext server(so);
  TlsPair p(client, server);
  ASSERT_TRUE(p.handshake());
  EXPECT_NE(negotiated(p.client).cipher.find("-RSA-"), std::string::npos)
      << negotiated(p.client).cipher;
  p.exchange();
}

TEST(TlsHandshake, FullThenResumedTls12) { full_then_resumed(Version::V12, "TLSv1.2"); }
TEST(TlsHandshake, FullThenResumedTls13) { full_then_resumed(Version::V13, "TLSv1.3"); }

TEST(TlsHandshake, PlaintextAnswerIsNotTls) {
  ClientContext client(ClientOptions{});
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  SSL* ssl = client.open(fds[0]);
  EXPECT_EQ(handshake(ssl).outcome, Outcome::WantRead);  // the ClientHello is out
  const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(::write(fds[1], reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
  const Step s = handshake(ssl);
  EXPECT_EQ(s.outcome, Outcome::Failed);
  EXPECT_EQ(s.cause, Cause::NotTls);
  close(ssl, false);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(TlsHandshake, PeerCloseMidHandshakeIsASyscallEof) {
  ClientContext client(ClientOptions{});
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  SSL* ssl = client.open(fds[0]);
  EXPECT_EQ(handshake(ssl).outcome, Outcome::WantRead);
  char hello[4096];
  EXPECT_GT(::read(fds[1], hello, sizeof hello), 0);  // read: closing on unread bytes resets
  ::close(fds[1]);
  const Step s = handshake(ssl);
  EXPECT_EQ(s.outcome, Outcome::Failed);
  EXPECT_EQ(s.cause, Cause::Syscall);
  EXPECT_EQ(s.sys_errno, 0);
  close(ssl, false);
  ::close(fds[0]);
}

}  // namespace
}  // namespace connperf::tls
