// A server listener's counters as the tests of stats/ need them: `accepted` connections, each
// with two requests, `rst` of them reset and `fin` closed by FIN.
#pragma once

#include <cstdint>

#include "stats/server_stats.h"

namespace connperf::test {

inline stats::ListenerSnapshot listener(std::uint64_t accepted, std::uint64_t rst, std::uint64_t fin) {
  stats::ListenerSnapshot s;
  s.accepted = accepted;
  s.requests = accepted * 2;
  s.rst = rst;
  s.fin = fin;
  return s;
}

}  // namespace connperf::test
