// The request/response engine behind `connperf rr`: persistent connections spread over worker
// threads, each sending a request, reading the whole response, and repeating (closed loop), or
// sending on a per-connection schedule (open loop, --rate). start/drain/stop/snapshot/join are
// driven from the command's thread through loop::WorkerPool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "load/target.h"
#include "load/engine.h"
#include "load/phases.h"
#include "stats/client_stats.h"
#include "stats/conn_log.h"
#include "stats/printers.h"
#include "tls/tls.h"

namespace connperf::load {

struct RrSpec : Targets {
  unsigned threads = 1;
  std::vector<unsigned> cpus;        // --cpus: worker i runs on cpus[i % size]; empty = anywhere
  unsigned connections = 64;         // persistent connections in total
  double rate = 0;                   // requests per second in total; 0 = closed loop
  std::uint64_t count = 0;           // requests in total; 0 = until stopped
  std::size_t size = 0;              // > 0: an echo payload of this many bytes, checked byte for byte
  std::uint64_t timeout_ns = 5'000'000'000;
  Phases phases;                    // ramp-up, sustain, ramp-down of the rate or concurrency
  std::shared_ptr<stats::ConnLog> log;  // --log-connections: the rings its workers write
  tls::ClientOptions tls;           // tls.on: a TLS handshake after each connect
};

class RrWorker;
}  // namespace connperf::load
extern template class connperf::loop::WorkerPool<connperf::load::RrWorker>;
namespace connperf::load {
extern template class LoadEngine<RrWorker>;

// Counting: started = requests sent, completed = responses read in full, errors per request
// (a connection that could not be made costs the request that wanted it); connect_us is per
// connection, response_us from send to last byte, total_us from the scheduled send.
class RrEngine : public LoadEngine<RrWorker> {
 public:
  explicit RrEngine(RrSpec spec);
  ~RrEngine();

  std::uint64_t open_connections() const noexcept;
  // Fairness: of the `connections` slots, how many got at least one response since start
  // (a reconnected slot counts once). Published per loop batch, exact after join().
  std::uint64_t answered_connections() const noexcept;
  const RrSpec& spec() const noexcept { return spec_; }

 private:
  RrSpec spec_;
};

}  // namespace connperf::load
