// The concurrent-connections engine behind `connperf cc`: opens N connections at a ramp rate,
// holds them (optionally with a small request every --keepalive seconds) and counts what
// survives. start/stop/snapshot/join are called from the command's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "load/phases.h"
#include "load/target.h"
#include "load/engine.h"
#include "stats/client_stats.h"
#include "stats/conn_log.h"
#include "tls/tls.h"

namespace connperf::load {

struct CcSpec : Targets {
  CcSpec() { request = RequestKind::Raw; }
  unsigned threads = 1;
  std::vector<unsigned> cpus;        // --cpus: worker i runs on cpus[i % size]; empty = anywhere
  std::uint64_t count = 1000;        // connections to open in total
  double ramp = 0;                   // new connections per second in total; 0 = as fast as possible
  unsigned max_pending = 256;        // connects in progress per thread at most
  std::uint64_t keepalive_ns = 0;    // > 0: send the request on every held connection this often
  std::uint64_t timeout_ns = 5'000'000'000;  // connect (and keepalive reply) limit
  // --ramp-up/--sustain/--ramp-down: the -n connections open linearly over the ramp-up (instead
  // of at `ramp`), are held for the sustain phase and closed linearly over the ramp-down.
  Phases phases;
  std::shared_ptr<stats::ConnLog> log;  // --log-connections (one process only)
  tls::ClientOptions tls;            // tls.on: held connections are TLS (established = handshake done)
};

// started = connection attempts; completed = connections established; errors = attempts that
// failed, by cause; in_flight = connections open now. `lost` counts established connections that
// ended during the hold (closed or reset by the peer, or a keepalive without a reply); `closed`
// those the ramp-down closed (phases). `requests`: the keepalive requests — started = sent,
// completed = answered (with --object: 200 and the body asked for), errors the replies that were
// not (status, body_short, body_long, bad_response), response_us from the send to the reply
// (its last byte with --object; ttfb_us its first), body bytes and objects (--object).
struct CcCounts {
  stats::ClientSnapshot attempts;
  stats::ClientSnapshot requests;
  std::uint64_t open = 0;
  std::uint64_t lost = 0;
  std::uint64_t keepalives = 0;
  std::uint64_t closed = 0;

  CcCounts& operator+=(const CcCounts& o) noexcept {
    attempts += o.attempts;
    requests += o.requests;
    open += o.open;
    lost += o.lost;
    keepalives += o.keepalives;
    closed += o.closed;
    return *this;
  }
};

class CcWorker;
}  // namespace connperf::load
extern template class connperf::loop::WorkerPool<connperf::load::CcWorker>;
namespace connperf::load {
extern template class LoadEngine<CcWorker>;

// stop() closes every connection; aborted() counts connects still in progress then.
class CcEngine : public LoadEngine<CcWorker> {
 public:
  explicit CcEngine(CcSpec spec);
  ~CcEngine();

  bool ramp_done() const noexcept;  // every attempt has ended (open or failed)
  void snapshot(CcCounts& out) const;
  const CcSpec& spec() const noexcept { return spec_; }

 private:
  CcSpec spec_;
};

}  // namespace connperf::load
