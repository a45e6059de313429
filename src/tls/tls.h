// TLS over a non-blocking socket (OpenSSL 3): the contexts built from the flags, and the steps an
// event loop takes on one connection (handshake, read, write) with their outcomes classified here,
// as net/ classifies errno. ClientContext: one per load worker, used by its loop thread only.
// ServerContext: one per server, shared by its worker threads (an SSL_CTX is thread-safe), so a
// session or ticket from one thread resumes on any.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/error.h"

namespace connperf::tls {

// Bad input (an unreadable --cert, an unknown --groups name, ...): one line, before any
// connection. The command layer turns it into a usage error.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Owns an SSL_CTX: freed also when a constructor below throws half-way.
struct CtxFree {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

enum class Version : std::uint8_t { Any, V12, V13 };
std::optional<Version> parse_version(std::string_view text) noexcept;  // "1.2", "1.3"

struct ClientOptions {
  bool on = false;
  Version version = Version::Any;
  std::string ciphers;        // TLS 1.2 cipher list (OpenSSL syntax); "" = OpenSSL's default
  std::string ciphersuites;   // TLS 1.3 suites; "" = OpenSSL's default
  std::string groups = "X25519:P-256";
  std::string sni;            // "" = no server name sent
  std::string alpn;           // comma list, e.g. "http/1.1"
  double resume = 0;          // fraction of connections offered the worker's last session
  bool verify = false;        // check the server's certificate (against --ca, else the system's)
  std::string ca;             // PEM file of trusted certificates
  bool close_notify = false;  // send the close_notify alert before the TCP close
};

enum class KeyType : std::uint8_t { EcP256, Rsa2048 };

struct ServerOptions {
  bool on = false;
  std::string cert;  // PEM files; both empty = a self-signed certificate made at start
  std::string key;
  KeyType key_type = KeyType::EcP256;
  Version version = Version::Any;
  bool session_cache = true;
  bool tickets = true;
};

// What one step on a connection came to. Failed: `cause` says why.
enum class Outcome : std::uint8_t { Done, WantRead, WantWrite, Failed };
enum class Cause : std::uint8_t {
  None,
  Syscall,   // the socket failed (sys_errno) or the peer closed (sys_errno 0)
  Protocol,  // a TLS error or an alert from the peer
  Verify,    // the peer's certificate did not verify
  NotTls,    // the peer answered with something that is no TLS record (a plaintext server)
};
struct Step {
  Outcome outcome = Outcome::Done;
  Cause cause = Cause::None;
  int sys_errno = 0;
  int alert = -1;       // Protocol: the alert the peer sent (its description code), -1 for none
  int sent_alert = -1;  // server side: the alert we sent before failing, -1 for none
};

// An alert's description as OpenSSL names it ("handshake failure", "protocol version").
const char* alert_name(int alert) noexcept;

Step handshake(SSL* ssl) noexcept;
// As net::read_some / net::send_some: WouldBlock when the record layer wants either direction,
// value 0 at the peer's close (close_notify or a plain FIN), Other (EPROTO) for a TLS error.
net::Result read_some(SSL* ssl, char* buf, std::size_t len) noexcept;
net::Result send_some(SSL* ssl, const char* data, std::size_t len) noexcept;
// An idle connection gives back its read and write buffers (about 17 KiB each) when nothing
// is buffered in them. SSL_MODE_RELEASE_BUFFERS does so after application data only: a
// connection whose last records were handshake messages (a 1.3 ticket, the client's Finished)
// keeps its read buffer until the next application data.
void release_buffers(SSL* ssl) noexcept;
// Frees `ssl`, sending the close_notify alert first when asked (never waiting for the peer's).
void close(SSL* ssl, bool notify) noexcept;

// What a handshake negotiated, as OpenSSL names it ("TLSv1.3", "TLS_AES_256_GCM_SHA384",
// "x25519").
struct Negotiated {
  std::string version;
  std::string cipher;
  std::string group;
};
Negotiated negotiated(SSL* ssl);

// Which new connections are offered the saved session: `ratio` of them, spread evenly (with
// 0.25, every fourth). Pure; one per worker.
class ResumeGate {
 public:
  explicit ResumeGate(double ratio) noexcept : ratio_(ratio) {}
  bool next() noexcept;

 private:
  double ratio_;
  double credit_ = 0;
};

class ClientContext {
 public:
  explicit ClientContext(const ClientOptions& o);  // throws ConfigError
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  // A new client connection on `fd` (nullptr when out of memory), offered the last session
  // when the resume ratio says so.
  SSL* open(int fd);
  bool close_notify() const noexcept { return close_notify_; }

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  CtxPtr ctx_;
  SSL_SESSION* session_ = nullptr;  // the latest the server gave (a ticket arrives after the
                                    // handshake in 1.3: it is read with the response)
  ResumeGate gate_;
  std::string sni_;
  bool verify_ = false;
  bool close_notify_ = false;
};

class ServerContext {
 public:
  explicit ServerContext(const ServerOptions& o);  // throws ConfigError
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  SSL* accept(int fd);  // nullptr when out of memory

 private:
  CtxPtr ctx_;
};

}  // namespace connperf::tls
