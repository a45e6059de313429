// The request/response engine behind `connperf rr`: persistent connections spread over worker
// threads, each sending a request, reading the whole response, and repeating (closed loop), or
// sending on a per-connection schedule (open loop, --rate). start/drain/stop/snapshot/join are
// called from the command's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "load/crr.h"
#include "stats/client_stats.h"

namespace connperf::load {

struct RrSpec {
  std::vector<Target> targets;       // round-robin over connections
  std::vector<net::SockAddr> binds;  // source addresses, round-robin
  unsigned threads = 1;
  unsigned connections = 64;         // persistent connections in total
  double rate = 0;                   // requests per second in total; 0 = closed loop
  std::uint64_t count = 0;           // requests in total; 0 = until stopped
  RequestKind request = RequestKind::Http;
  std::string text;                  // RequestKind::Text
  std::size_t size = 0;              // > 0: an echo payload of this many bytes, checked byte for byte
  std::uint64_t timeout_ns = 5'000'000'000;
};

class RrWorker;

// Counting: started = requests sent, completed = responses read in full, errors per request
// (a connection lost while idle counts once, as the request that found it gone); connect_us is
// per connection, response_us from send to last byte, total_us from the scheduled send.
class RrEngine {
 public:
  explicit RrEngine(RrSpec spec);
  ~RrEngine();
  RrEngine(const RrEngine&) = delete;
  RrEngine& operator=(const RrEngine&) = delete;

  std::uint64_t start();
  void drain() noexcept;  // no new requests; those outstanding may finish
  void stop() noexcept;   // at once: outstanding requests become `aborted`
  bool finished() const noexcept { return running_.load() == 0; }
  void join();
  std::uint64_t stopped_at() const noexcept { return stopped_at_.load(); }
  void snapshot(stats::ClientSnapshot& out) const;
  std::uint64_t aborted() const noexcept;
  std::uint64_t open_connections() const noexcept;
  const RrSpec& spec() const noexcept { return spec_; }

 private:
  friend class RrWorker;
  enum Phase : int { kRunning, kDraining, kStopping };
  RrSpec spec_;
  std::vector<std::unique_ptr<RrWorker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<std::latch> ready_;
  std::unique_ptr<std::latch> go_;
  std::uint64_t t0_ = 0;
  std::atomic<int> phase_{kRunning};
  std::atomic<unsigned> running_{0};
  std::atomic<std::uint64_t> stopped_at_{0};
};

}  // namespace connperf::load
