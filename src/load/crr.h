// The connections-per-second engine behind `connperf crr`: worker threads, each with its own
// epoll loop and a preallocated array of connection slots. Engines do not print; the command
// samples snapshot() and hands the figures to stats printers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "load/engine.h"
#include "load/phases.h"
#include "load/target.h"
#include "stats/client_stats.h"
#include "stats/conn_log.h"
#include "stats/printers.h"
#include "tls/tls.h"

namespace connperf::load {

enum class CloseMode : std::uint8_t { Rst, Fin };
// The close modes' names, in the enum's order: to_string, parse_close and the CLI's --close.
inline constexpr std::array<std::string_view, 2> kCloseNames{"rst", "fin"};
static_assert(kCloseNames.size() == static_cast<std::size_t>(CloseMode::Fin) + 1);

const char* to_string(CloseMode mode) noexcept;
std::optional<CloseMode> parse_close(std::string_view name) noexcept;

struct CrrSpec : Targets {
  unsigned threads = 1;
  std::vector<unsigned> cpus;        // --cpus: worker i runs on cpus[i % size]; empty = anywhere
  unsigned concurrency = 64;           // closed loop: in flight; open loop: cap on in flight
  double rate = 0;                     // new connections per second in total; 0 = closed loop
  std::uint64_t count = 0;             // attempts in total; 0 = until stop()
  CloseMode close = CloseMode::Rst;
  std::uint64_t timeout_ns = 5'000'000'000;
  Phases phases;                       // ramp-up, sustain, ramp-down of the rate or concurrency
  tls::ClientOptions tls;              // tls.on: a TLS handshake after the connect
  std::shared_ptr<stats::ConnLog> log;  // --log-connections: the rings its workers write
};

class CrrWorker;
}  // namespace connperf::load
extern template class connperf::loop::WorkerPool<connperf::load::CrrWorker>;
namespace connperf::load {
extern template class LoadEngine<CrrWorker>;

class CrrEngine : public LoadEngine<CrrWorker> {
 public:
  explicit CrrEngine(CrrSpec spec);
  ~CrrEngine();

  bool saw_addr_unavailable() const noexcept;
  const CrrSpec& spec() const noexcept { return spec_; }

 private:
  CrrSpec spec_;
};

}  // namespace connperf::load
