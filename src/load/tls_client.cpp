#include "load/tls_client.h"

#include "loop/clock.h"

namespace connperf::load {

tls::Outcome TlsClient::step(SSL* ssl, std::uint64_t t_est, stats::ClientStats& st,
                             Failure& why) {
  const tls::Step s = tls::handshake(ssl);
  if (s.outcome == tls::Outcome::Failed) {
    why = failure(s);
    st.tls_alert(s.alert);
  }
  if (s.outcome != tls::Outcome::Done) return s.outcome;
  st.tls_us().record(loop::us_from_ns(loop::now_ns() - t_est));
  st.handshake_done(SSL_session_reused(ssl) == 1);
  if (names_.version.empty()) {
    const tls::Negotiated n = tls::negotiated(ssl);
    names_ = {n.version, n.cipher, n.group};
  }
  return tls::Outcome::Done;
}

Failure TlsClient::failure(const tls::Step& st) noexcept {
  switch (st.cause) {
    case tls::Cause::Syscall:
      if (st.sys_errno == 0) return {stats::ErrorKind::ClosedEarly};
      return failure_of(net::Result::from_errno(st.sys_errno));
    case tls::Cause::Verify: return {stats::ErrorKind::TlsVerify};
    case tls::Cause::NotTls: return {stats::ErrorKind::NotTls};
    case tls::Cause::Protocol:
    case tls::Cause::None: break;
  }
  return {stats::ErrorKind::TlsFailed};
}

}  // namespace connperf::load
