#include "loop/worker_pool.h"

namespace connperf::loop {

const char* to_string(Phase phase) noexcept {
  switch (phase) {
    case Phase::Running: return "running";
    case Phase::Draining: return "draining";
    case Phase::Stopping: return "stopping";
  }
  return "?";
}

}  // namespace connperf::loop
