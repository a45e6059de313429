// The concurrent-connections engine behind `connperf cc`: opens N connections at a ramp rate,
// holds them (optionally with a small request every --keepalive seconds) and counts what
// survives. start/stop/snapshot/join are called from the command's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "load/crr.h"
#include "stats/client_stats.h"

namespace connperf::load {

struct CcSpec {
  std::vector<Target> targets;
  std::vector<net::SockAddr> binds;
  unsigned threads = 1;
  std::uint64_t count = 1000;        // connections to open in total
  double ramp = 0;                   // new connections per second in total; 0 = as fast as possible
  unsigned max_pending = 256;        // connects in progress per thread at most
  std::uint64_t keepalive_ns = 0;    // > 0: send the request on every held connection this often
  RequestKind request = RequestKind::Raw;
  std::string text;
  std::uint64_t timeout_ns = 5'000'000'000;  // connect (and keepalive reply) limit
};

// started = connection attempts; completed = connections established; errors = attempts that
// failed, by cause; in_flight = connections open now. `lost` counts established connections that
// ended during the hold (closed or reset by the peer, or a keepalive without a reply).
struct CcCounts {
  stats::ClientSnapshot attempts;
  std::uint64_t open = 0;
  std::uint64_t lost = 0;
  std::uint64_t keepalives = 0;
};

class CcWorker;

class CcEngine {
 public:
  explicit CcEngine(CcSpec spec);
  ~CcEngine();
  CcEngine(const CcEngine&) = delete;
  CcEngine& operator=(const CcEngine&) = delete;

  std::uint64_t start();
  void stop() noexcept;  // closes every connection
  void join();
  bool ramp_done() const noexcept;  // every attempt has ended (open or failed)
  void snapshot(CcCounts& out) const;
  std::uint64_t aborted() const noexcept;  // connects still in progress at stop
  const CcSpec& spec() const noexcept { return spec_; }

 private:
  friend class CcWorker;
  CcSpec spec_;
  std::vector<std::unique_ptr<CcWorker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<std::latch> ready_;
  std::unique_ptr<std::latch> go_;
  std::uint64_t t0_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace connperf::load
