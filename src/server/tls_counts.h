// How a TLS handshake on a served connection is counted, in every model (epoll, thread, fork,
// iterative): a done one as full or resumed; a failed one as tls_failed and, by what failed it,
// in one closing counter (the peer's reset or FIN, else an error), and by the alert that ended
// it, sent or received, where there was one.
#pragma once

#include "net/error.h"
#include "stats/server_stats.h"
#include "tls/tls.h"

namespace connperf::server {

inline void count_handshake(stats::ListenerStats& st, SSL* ssl) noexcept {
  (SSL_session_reused(ssl) == 1 ? st.tls_resumed : st.tls_full).add();
}

// Counts the failure; returns the counter the connection ends in.
inline stats::Counter& handshake_failure(stats::ListenerStats& st, const tls::Step& s) noexcept {
  st.tls_failed.add();
  if (s.sent_alert >= 0) st.alerts_sent[stats::alert_slot(s.sent_alert)].add();
  if (s.alert >= 0) st.alerts_received[stats::alert_slot(s.alert)].add();
  if (s.cause != tls::Cause::Syscall) return st.errors;
  if (s.sys_errno == 0) return st.fin;
  return net::classify(s.sys_errno) == net::Err::Reset ? st.rst : st.errors;
}

}  // namespace connperf::server
