#include "cli/tls_flags.h"

#include "cli/errors.h"
#include "cli/flags.h"

namespace connperf::cli {

namespace {

const std::vector<std::string> kTlsVersions{"1.2", "1.3"};
const std::vector<std::string> kOnOff{"on", "off"};

// A flag that needs --tls, given without it, is a usage error rather than silently plaintext.
void needs_tls(bool on, bool given, const char* flag) {
  if (given && !on) throw UsageError(std::string(flag) + ": only with --tls");
}

tls::Version tls_version(const std::string& text) {
  return text.empty() ? tls::Version::Any : *tls::parse_version(text);
}

}  // namespace

void add_tls_client_flags(CLI::App& c, TlsClientFlags& o) {
  c.add_flag("--tls", o.on, "TLS over each connection (OpenSSL): a handshake after the connect");
  c.add_option("--tls-version", o.version, "pin the TLS version")
      ->check(CLI::IsMember(kTlsVersions))
      ->default_str("1.2 or 1.3");
  c.add_option("--ciphers", o.ciphers, "TLS 1.2 cipher list (OpenSSL syntax)");
  c.add_option("--ciphersuites", o.ciphersuites, "TLS 1.3 cipher suites (OpenSSL syntax)");
  c.add_option("--groups", o.groups,
               "key exchange groups offered, first choice first (X25519 is used; P-256 is "
               "offered so that TLS 1.2 accepts a P-256 ECDSA certificate)")
      ->default_str("X25519:P-256");
  c.add_option("--sni", o.sni, "server name sent (and checked with --verify)");
  c.add_option("--alpn", o.alpn, "ALPN protocols offered, comma list (e.g. http/1.1)");
  c.add_option("--resume", o.resume,
               "fraction of connections that resume the worker's last session (0..1)")
      ->check(in_range(0.0, 1.0))
      ->default_str("0");
  c.add_flag("--verify", o.verify, "verify the server's certificate (off: like curl -k)");
  c.add_option("--ca", o.ca, "PEM file of the CAs --verify trusts")->default_str("system's");
  c.add_flag("--close-notify", o.close_notify, "send TLS close_notify before the TCP close");
}

tls::ClientOptions tls_client_options(const TlsClientFlags& o) {
  needs_tls(o.on, !o.version.empty(), "--tls-version");
  needs_tls(o.on, !o.ciphers.empty(), "--ciphers");
  needs_tls(o.on, !o.ciphersuites.empty(), "--ciphersuites");
  needs_tls(o.on, !o.sni.empty(), "--sni");
  needs_tls(o.on, !o.alpn.empty(), "--alpn");
  needs_tls(o.on, o.resume > 0, "--resume");
  needs_tls(o.on, o.verify, "--verify");
  needs_tls(o.on, o.close_notify, "--close-notify");
  tls::ClientOptions t;
  t.on = o.on;
  if (!o.on) return t;
  t.version = tls_version(o.version);
  t.ciphers = o.ciphers;
  t.ciphersuites = o.ciphersuites;
  t.groups = o.groups;
  t.sni = o.sni;
  t.alpn = o.alpn;
  t.resume = o.resume;
  t.verify = o.verify;
  t.ca = o.ca;
  t.close_notify = o.close_notify;
  try {
    tls::ClientContext check(t);
  } catch (const tls::ConfigError& e) {
    throw UsageError(e.what());
  }
  return t;
}

void add_tls_server_flags(CLI::App& c, TlsServerFlags& o) {
  c.add_flag("--tls", o.on,
             "serve TLS (OpenSSL); without --cert/--key, a self-signed certificate made at start");
  c.add_option("--cert", o.cert, "PEM certificate (chain) file");
  c.add_option("--key", o.key, "PEM private key file of --cert");
  c.add_option("--key-type", o.key_type, "the key made at start without --cert: ec256 (ECDSA "
                                         "P-256) or rsa2048")
      ->check(CLI::IsMember({"ec256", "rsa2048"}));
  c.add_option("--tls-version", o.version, "pin the TLS version")
      ->check(CLI::IsMember(kTlsVersions))
      ->default_str("1.2 or 1.3");
  c.add_option("--session-cache", o.session_cache, "server-side session cache (resumption by ID)")
      ->check(CLI::IsMember(kOnOff));
  c.add_option("--tickets", o.tickets, "session tickets (stateless resumption)")
      ->check(CLI::IsMember(kOnOff));
}

tls::ServerOptions tls_server_options(const TlsServerFlags& o) {
  needs_tls(o.on, !o.cert.empty() || !o.key.empty(), "--cert/--key");
  needs_tls(o.on, !o.version.empty(), "--tls-version");
  tls::ServerOptions t;
  t.on = o.on;
  if (!o.on) return t;
  t.cert = o.cert;
  t.key = o.key;
  t.key_type = o.key_type == "rsa2048" ? tls::KeyType::Rsa2048 : tls::KeyType::EcP256;
  t.version = tls_version(o.version);
  t.session_cache = o.session_cache == "on";
  t.tickets = o.tickets == "on";
  return t;
}

}  // namespace connperf::cli
