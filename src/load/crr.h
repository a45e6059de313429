// The connections-per-second engine behind `connperf crr`: worker threads, each with its own
// epoll loop and a preallocated array of connection slots. Engines do not print; the command
// samples snapshot() and hands the figures to stats printers. start/stop/snapshot/join are
// called from the command's thread; everything else runs on the workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/address.h"
#include "stats/client_stats.h"

namespace connperf::load {

enum class RequestKind : std::uint8_t { Http, Raw, Text };
enum class CloseMode : std::uint8_t { Rst, Fin };

const char* to_string(RequestKind kind) noexcept;
const char* to_string(CloseMode mode) noexcept;

struct Target {
  net::SockAddr addr;
  std::string name;  // as given on the command line; the HTTP Host header
};

struct CrrSpec {
  std::vector<Target> targets;         // round-robin
  std::vector<net::SockAddr> binds;    // source addresses, round-robin; empty = kernel's choice
  unsigned threads = 1;
  unsigned concurrency = 64;           // closed loop: in flight; open loop: cap on in flight
  double rate = 0;                     // new connections per second in total; 0 = closed loop
  std::uint64_t count = 0;             // attempts in total; 0 = until stop()
  CloseMode close = CloseMode::Rst;
  RequestKind request = RequestKind::Http;
  std::string text;                    // the request bytes for RequestKind::Text
  std::uint64_t timeout_ns = 5'000'000'000;
};

class CrrWorker;

class CrrEngine {
 public:
  explicit CrrEngine(CrrSpec spec);
  ~CrrEngine();
  CrrEngine(const CrrEngine&) = delete;
  CrrEngine& operator=(const CrrEngine&) = delete;

  // Spawns the workers and releases them together; returns the common start time (now_ns()).
  std::uint64_t start();
  void drain() noexcept;  // no new attempts; those in flight may finish
  void stop() noexcept;   // at once: attempts in flight become `aborted`
  bool finished() const noexcept;       // every worker has stopped (count reached or stop())
  void join();
  std::uint64_t stopped_at() const noexcept { return stopped_at_.load(); }  // last worker done

  void snapshot(stats::ClientSnapshot& out) const;  // the sum over workers
  std::uint64_t aborted() const noexcept;           // valid after join()
  bool saw_addr_unavailable() const noexcept;

  const CrrSpec& spec() const noexcept { return spec_; }

 private:
  friend class CrrWorker;
  void worker_done(std::uint64_t now) noexcept;

  CrrSpec spec_;
  std::vector<std::unique_ptr<CrrWorker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<std::latch> ready_;
  std::unique_ptr<std::latch> go_;
  std::uint64_t t0_ = 0;  // written before go_ opens; workers read it after
  enum Phase : int { kRunning, kDraining, kStopping };
  std::atomic<int> phase_{kRunning};
  std::atomic<unsigned> running_{0};
  std::atomic<std::uint64_t> stopped_at_{0};
};

}  // namespace connperf::load
