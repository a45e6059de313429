#include "tls/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace connperf::tls {

namespace {

// The newest queued OpenSSL error as text ("no cipher match"), and the queue cleared.
std::string openssl_reason() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = e ? ERR_reason_error_string(e) : nullptr;
  return reason ? reason : "unknown OpenSSL error";
}

[[noreturn]] void config_error(const std::string& what) {
  throw ConfigError(fmt::format("{}: {}", what, openssl_reason()));
}

// Options both sides share: versions, and a non-blocking socket's write rules (a partial write
// may return; a retry may come from another buffer with the same bytes); idle connections give
// their buffers back. A peer's FIN without close_notify is an EOF, not an error: load tools and
// their targets close that way.
void common_setup(SSL_CTX* ctx, Version v) {
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  int min = TLS1_2_VERSION, max = 0;
  if (v == Version::V12) max = TLS1_2_VERSION;
  if (v == Version::V13) min = max = TLS1_3_VERSION;
  // Read what the socket has in one call, not a record header and then its body: a 1.3
  // handshake took 19 reads per connection without it.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_min_proto_version(ctx, min);
  SSL_CTX_set_max_proto_version(ctx, max);
}

// "h2,http/1.1" in ALPN's wire format: each name after its length byte.
std::string alpn_wire(const std::string& list) {
  std::string out;
  std::size_t from = 0;
  while (from <= list.size()) {
    std::size_t to = list.find(',', from);
    if (to == std::string::npos) to = list.size();
    const std::size_t n = to - from;
    if (n == 0 || n > 255) throw ConfigError("--alpn " + list + ": names of 1 to 255 characters");
    out += static_cast<char>(n);
    out.append(list, from, n);
    from = to + 1;
  }
  return out;
}

// The peer sent bytes that are no TLS record: a plaintext server answered the ClientHello.
bool plaintext_reply(unsigned long e) {
  if (ERR_GET_LIB(e) != ERR_LIB_SSL) return false;
  const int r = ERR_GET_REASON(e);
  return r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG ||
         r == SSL_R_UNKNOWN_PROTOCOL || r == SSL_R_HTTP_REQUEST;
}

// An alert received from the peer is queued as reason SSL_AD_REASON_OFFSET + its description.
int peer_alert(unsigned long e) {
  const int r = ERR_GET_REASON(e);
  if (ERR_GET_LIB(e) != ERR_LIB_SSL || r < SSL_AD_REASON_OFFSET || r >= SSL_AD_REASON_OFFSET + 256)
    return -1;
  return r - SSL_AD_REASON_OFFSET;
}

// The last alert this thread's server connection sent (its description), from the info callback
// of the server's context: a handshake step reads it when it fails. -1 for none.
thread_local int tls_server_sent_alert = -1;

void note_sent_alert(const SSL*, int where, int ret) {
  if ((where & SSL_CB_WRITE_ALERT) == SSL_CB_WRITE_ALERT) tls_server_sent_alert = ret & 0xff;
}

Step failed_step(SSL* ssl, int ret) {
  const int code = SSL_get_error(ssl, ret);
  if (code == SSL_ERROR_WANT_READ) return {Outcome::WantRead};
  if (code == SSL_ERROR_WANT_WRITE) return {Outcome::WantWrite};
  if (code == SSL_ERROR_SYSCALL || code == SSL_ERROR_ZERO_RETURN) {
    const int e = code == SSL_ERROR_SYSCALL ? errno : 0;
    ERR_clear_error();
    return {Outcome::Failed, Cause::Syscall, e};
  }
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (SSL_get_verify_result(ssl) != X509_V_OK) return {Outcome::Failed, Cause::Verify, 0};
  if (plaintext_reply(e)) return {Outcome::Failed, Cause::NotTls, 0};
  return {Outcome::Failed, Cause::Protocol, 0, peer_alert(e)};
}

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr make_key(KeyType type) {
  EVP_PKEY* key = type == KeyType::Rsa2048
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) config_error("--key-type: cannot make a key");
  return KeyPtr(key, EVP_PKEY_free);
}

// A self-signed certificate for CN=connperf (and the DNS name localhost), valid for a day.
CertPtr self_signed(EVP_PKEY* key) {
  CertPtr cert(X509_new(), X509_free);
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("connperf"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name,
                                                "DNS:localhost,IP:127.0.0.1")) {
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(x, key, EVP_sha256())) config_error("--tls: cannot sign a certificate");
  return cert;
}

// "--key FILE: No such file or directory" rather than OpenSSL's "system lib".
void check_readable(const char* flag, const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0)
    throw ConfigError(fmt::format("{} {}: {}", flag, path, std::strerror(errno)));
}

void load_key_pair(SSL_CTX* ctx, const ServerOptions& o) {
  if (o.cert.empty() != o.key.empty()) throw ConfigError("--cert and --key go together");
  if (o.cert.empty()) {
    const KeyPtr key = make_key(o.key_type);
    const CertPtr cert = self_signed(key.get());
    if (SSL_CTX_use_certificate(ctx, cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key.get()) != 1)
      config_error("--tls: the generated key");
    return;
  }
  check_readable("--cert", o.cert);
  check_readable("--key", o.key);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1)
    config_error("--cert " + o.cert + ": cannot read a PEM certificate");
  const bool loaded = SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) == 1;
  const unsigned long e = ERR_peek_last_error();
  const bool mismatch =
      ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH;
  if (!loaded && !mismatch)
    config_error("--key " + o.key + ": cannot read a PEM private key");
  if (!loaded || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    throw ConfigError("--key " + o.key + " does not match --cert " + o.cert);
  }
}

}  // namespace

std::optional<Version> parse_version(std::string_view text) noexcept {
  if (text == "1.2") return Version::V12;
  if (text == "1.3") return Version::V13;
  return std::nullopt;
}

const char* alert_name(int alert) noexcept { return SSL_alert_desc_string_long(alert); }

bool ResumeGate::next() noexcept {
  credit_ += ratio_;
  if (credit_ < 1) return false;
  credit_ -= 1;
  return true;
}

// errno is cleared before each call: at a plain EOF OpenSSL reports SSL_ERROR_SYSCALL and sets no
// errno, and a stale EAGAIN would read as a failed socket.
Step handshake(SSL* ssl) noexcept {
  errno = 0;
  tls_server_sent_alert = -1;
  const int ret = SSL_do_handshake(ssl);
  if (ret == 1) return {Outcome::Done};
  Step s = failed_step(ssl, ret);
  if (s.outcome == Outcome::Failed) s.sent_alert = tls_server_sent_alert;
  return s;
}

net::Result read_some(SSL* ssl, char* buf, std::size_t len) noexcept {
  std::size_t n = 0;
  errno = 0;
  if (SSL_read_ex(ssl, buf, len, &n) == 1) return {static_cast<long>(n)};
  const Step s = failed_step(ssl, 0);
  if (s.outcome != Outcome::Failed) return net::Result::from_errno(EAGAIN);
  if (s.cause == Cause::Syscall) return s.sys_errno ? net::Result::from_errno(s.sys_errno)
                                                    : net::Result{0};
  return net::Result::from_errno(EPROTO);
}

net::Result send_some(SSL* ssl, const char* data, std::size_t len) noexcept {
  std::size_t n = 0;
  errno = 0;
  if (SSL_write_ex(ssl, data, len, &n) == 1) return {static_cast<long>(n)};
  const Step s = failed_step(ssl, 0);
  if (s.outcome != Outcome::Failed) return net::Result::from_errno(EAGAIN);
  if (s.cause == Cause::Syscall) return net::Result::from_errno(s.sys_errno ? s.sys_errno : EPIPE);
  return net::Result::from_errno(EPROTO);
}

void release_buffers(SSL* ssl) noexcept {
  if (ssl && SSL_has_pending(ssl) == 0) SSL_free_buffers(ssl);
}

void close(SSL* ssl, bool notify) noexcept {
  if (!ssl) return;
  // A session freed without a shutdown counts as bad, and OpenSSL would no longer resume it:
  // a quiet close (RST or FIN without the alert) keeps it good.
  if (SSL_is_init_finished(ssl)) {
    if (notify) SSL_shutdown(ssl);
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  ERR_clear_error();
  SSL_free(ssl);
}

Negotiated negotiated(SSL* ssl) {
  Negotiated n;
  n.version = SSL_get_version(ssl);
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) n.cipher = SSL_CIPHER_get_name(c);
  const int group = static_cast<int>(SSL_get_negotiated_group(ssl));
  if (const char* g = SSL_group_to_name(ssl, group)) n.group = g;
  return n;
}

ClientContext::ClientContext(const ClientOptions& o)
    : gate_(o.resume), sni_(o.sni), verify_(o.verify), close_notify_(o.close_notify) {
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx_) config_error("--tls");
  SSL_CTX* ctx = ctx_.get();
  common_setup(ctx, o.version);
  if (!o.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, o.ciphers.c_str()) != 1)
    config_error("--ciphers " + o.ciphers);
  if (!o.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, o.ciphersuites.c_str()) != 1)
    config_error("--ciphersuites " + o.ciphersuites);
  if (!o.groups.empty() && SSL_CTX_set1_groups_list(ctx, o.groups.c_str()) != 1)
    throw ConfigError("--groups " + o.groups + ": unknown group (e.g. X25519, P-256, X448)");
  if (!o.alpn.empty()) {
    const std::string wire = alpn_wire(o.alpn);
    // set_alpn_protos returns 0 on success.
    if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size())) != 0)
      config_error("--alpn " + o.alpn);
  }
  if (o.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!o.ca.empty()) check_readable("--ca", o.ca);
    const int ok = o.ca.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                : SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr);
    if (ok != 1) config_error("--ca " + o.ca + ": cannot read certificates from it");
  } else if (!o.ca.empty()) {
    throw ConfigError("--ca goes with --verify");
  }
  // Sessions are kept by us (one per worker), from the callback: in TLS 1.3 the ticket comes
  // after the handshake.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &ClientContext::on_new_session);
  SSL_CTX_set_app_data(ctx, this);
}

ClientContext::~ClientContext() { SSL_SESSION_free(session_); }

int ClientContext::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<ClientContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  SSL_SESSION_free(self->session_);
  self->session_ = session;
  return 1;  // the session is ours now
}

SSL* ClientContext::open(int fd) {
  SSL* ssl = SSL_new(ctx_.get());
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_connect_state(ssl);
  if (!sni_.empty()) {
    // SSL_set_tlsext_host_name, without its C cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, sni_.data());
    if (verify_) SSL_set1_host(ssl, sni_.c_str());
  }
  if (gate_.next() && session_) {
    // A copy for each connection: when a resumed 1.3 connection gets its new ticket, OpenSSL
    // marks the session it resumed as used up, which would turn every connection offered the
    // same session at the same time into a full handshake.
    SSL_SESSION* copy = SSL_SESSION_dup(session_);
    SSL_set_session(ssl, copy ? copy : session_);
    SSL_SESSION_free(copy);
  }
  return ssl;
}

ServerContext::ServerContext(const ServerOptions& o) {
  ctx_.reset(SSL_CTX_new(TLS_server_method()));
  if (!ctx_) config_error("--tls");
  SSL_CTX* ctx = ctx_.get();
  common_setup(ctx, o.version);
  load_key_pair(ctx, o);
  static constexpr unsigned char kSessionContext[] = "connperf";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_info_callback(ctx, &note_sent_alert);  // failures are counted by the alert sent
  SSL_CTX_set_session_cache_mode(ctx, o.session_cache ? SSL_SESS_CACHE_SERVER
                                                       : SSL_SESS_CACHE_OFF);
  if (!o.tickets) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);  // 1.3 with a cache: stateful tickets
    if (!o.session_cache) SSL_CTX_set_num_tickets(ctx, 0);
  } else {
    // One TLS 1.3 ticket per handshake, not OpenSSL's two: a client resumes one session at a
    // time (crr keeps the last), and each ticket costs the server a session encoding, its
    // encryption and a key derivation.
    SSL_CTX_set_num_tickets(ctx, 1);
  }
}

ServerContext::~ServerContext() = default;

SSL* ServerContext::accept(int fd) {
  SSL* ssl = SSL_new(ctx_.get());
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

}  // namespace connperf::tls
