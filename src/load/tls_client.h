// The TLS client side that crr, rr and cc share: one per load worker (its SSL_CTX and the names
// of its first handshake), one handshake step with its failure classified as a load error, and
// what a finished handshake records. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>

#include "load/connect.h"
#include "stats/client_stats.h"
#include "stats/printers.h"
#include "tls/tls.h"

namespace connperf::load {

class TlsClient {
 public:
  explicit TlsClient(const tls::ClientOptions& o) : ctx_(o) {}

  // A new connection on `fd`; nullptr when out of memory.
  SSL* open(int fd) { return ctx_.open(fd); }

  // One handshake step; on Failed, `why` says why. Done: the handshake began at `t_est`; its
  // time, full or resumed, and (the first time) the names negotiated are recorded.
  tls::Outcome step(SSL* ssl, std::uint64_t t_est, stats::ClientStats& st, Failure& why);

  // Frees the connection's TLS state (close_notify first with --close-notify) and clears it.
  void close(SSL*& ssl) noexcept {
    tls::close(ssl, ctx_.close_notify());
    ssl = nullptr;
  }

  const stats::TlsNames& names() const noexcept { return names_; }  // the first handshake's

  // Why a handshake failed, as load errors count it.
  static Failure failure(const tls::Step& st) noexcept;
  // A failed read or send over TLS: a record error (Other) is tls_failed.
  static Failure io_failure(const net::Result& r) noexcept {
    if (r.err == net::Err::Other) return {stats::ErrorKind::TlsFailed};
    return failure_of(r);
  }

 private:
  tls::ClientContext ctx_;
  stats::TlsNames names_;
};

// A worker's names, empty without --tls.
inline const stats::TlsNames& names_of(const std::unique_ptr<TlsClient>& tls) noexcept {
  static const stats::TlsNames kNone;
  return tls ? tls->names() : kNone;
}

}  // namespace connperf::load
