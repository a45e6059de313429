// The TLS flags: the client's (crr --tls ...) and the server's (server --tls ...), declared once
// with their help, and turned into tls/ options checked before anything runs: a context is built
// once here, so an unreadable --cert or an unknown --groups name is a usage error (exit 2).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "tls/tls.h"

namespace connperf::cli {

struct TlsClientFlags {
  bool on = false;
  std::string version;  // "" = 1.2 or 1.3, as negotiated
  std::string ciphers;
  std::string ciphersuites;
  std::string groups = "X25519:P-256";
  std::string sni;
  std::string alpn;
  double resume = 0;
  bool verify = false;
  std::string ca;
  bool close_notify = false;
};
void add_tls_client_flags(CLI::App& c, TlsClientFlags& o);
tls::ClientOptions tls_client_options(const TlsClientFlags& o);  // throws UsageError

struct TlsServerFlags {
  bool on = false;
  std::string cert;
  std::string key;
  std::string key_type = "ec256";
  std::string version;
  std::string session_cache = "on";
  std::string tickets = "on";
};
void add_tls_server_flags(CLI::App& c, TlsServerFlags& o);
tls::ServerOptions tls_server_options(const TlsServerFlags& o);  // throws UsageError

}  // namespace connperf::cli
