#include "stats/server_stats.h"

namespace connperf::stats {

ListenerSnapshot& ListenerSnapshot::operator+=(const ListenerSnapshot& o) noexcept {
  accepted += o.accepted;
  requests += o.requests;
  rst += o.rst;
  fin += o.fin;
  closed_by_server += o.closed_by_server;
  errors += o.errors;
  return *this;
}

ListenerSnapshot& ListenerSnapshot::operator-=(const ListenerSnapshot& earlier) noexcept {
  accepted = counter_delta(accepted, earlier.accepted);
  requests = counter_delta(requests, earlier.requests);
  rst = counter_delta(rst, earlier.rst);
  fin = counter_delta(fin, earlier.fin);
  closed_by_server = counter_delta(closed_by_server, earlier.closed_by_server);
  errors = counter_delta(errors, earlier.errors);
  return *this;
}

void ListenerStats::snapshot(ListenerSnapshot& out) const noexcept {
  // Closing counters before `accepted`: a reader never sees more closes than accepts.
  out.rst = rst.get();
  out.fin = fin.get();
  out.closed_by_server = closed_by_server.get();
  out.errors = errors.get();
  out.requests = requests.get();
  out.accepted = accepted.get();
}

}  // namespace connperf::stats
