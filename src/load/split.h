// A job's figures split over P parts (MPI ranks, cc's worker processes) by the rule the threads
// use (loop::share: the first parts get one more): counts, connections and rates; the source
// addresses by stride, so no two parts ever use the same one. Pure functions.
#pragma once

#include <vector>

#include "load/cc.h"
#include "load/crr.h"
#include "load/rr.h"
#include "net/address.h"

namespace connperf::load {

// Addresses i, i+P, i+2P, … of `binds` (empty when there are fewer than P).
std::vector<net::SockAddr> share_binds(const std::vector<net::SockAddr>& binds, unsigned parts,
                                       unsigned index);

CrrSpec share_of(const CrrSpec& spec, unsigned parts, unsigned index);
RrSpec share_of(const RrSpec& spec, unsigned parts, unsigned index);
CcSpec share_of(const CcSpec& spec, unsigned parts, unsigned index);

}  // namespace connperf::load
