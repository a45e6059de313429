#include "stats/server_stats.h"

namespace connperf::stats {

ListenerSnapshot& ListenerSnapshot::operator+=(const ListenerSnapshot& o) noexcept {
  accepted += o.accepted;
  requests += o.requests;
  rst += o.rst;
  fin += o.fin;
  closed_by_server += o.closed_by_server;
  errors += o.errors;
  tls_full += o.tls_full;
  tls_resumed += o.tls_resumed;
  tls_failed += o.tls_failed;
  for (std::size_t i = 0; i < kAlertSlots; ++i) {
    alerts_sent[i] += o.alerts_sent[i];
    alerts_received[i] += o.alerts_received[i];
  }
  not_found += o.not_found;
  return *this;
}

ListenerSnapshot& ListenerSnapshot::operator-=(const ListenerSnapshot& earlier) noexcept {
  accepted = counter_delta(accepted, earlier.accepted);
  requests = counter_delta(requests, earlier.requests);
  rst = counter_delta(rst, earlier.rst);
  fin = counter_delta(fin, earlier.fin);
  closed_by_server = counter_delta(closed_by_server, earlier.closed_by_server);
  errors = counter_delta(errors, earlier.errors);
  tls_full = counter_delta(tls_full, earlier.tls_full);
  tls_resumed = counter_delta(tls_resumed, earlier.tls_resumed);
  tls_failed = counter_delta(tls_failed, earlier.tls_failed);
  for (std::size_t i = 0; i < kAlertSlots; ++i) {
    alerts_sent[i] = counter_delta(alerts_sent[i], earlier.alerts_sent[i]);
    alerts_received[i] = counter_delta(alerts_received[i], earlier.alerts_received[i]);
  }
  not_found = counter_delta(not_found, earlier.not_found);
  return *this;
}

void ListenerStats::snapshot(ListenerSnapshot& out) const noexcept {
  // Closing counters before `accepted`: a reader never sees more closes than accepts.
  out.rst = rst.get();
  out.fin = fin.get();
  out.closed_by_server = closed_by_server.get();
  out.errors = errors.get();
  out.requests = requests.get();
  out.tls_full = tls_full.get();
  out.tls_resumed = tls_resumed.get();
  out.tls_failed = tls_failed.get();
  for (std::size_t i = 0; i < kAlertSlots; ++i) {
    out.alerts_sent[i] = alerts_sent[i].get();
    out.alerts_received[i] = alerts_received[i].get();
  }
  out.not_found = not_found.get();
  out.accepted = accepted.get();
}

}  // namespace connperf::stats
