// The job-wide figures of a run split over ranks: client counters summed and latency histograms
// added bucket by bucket (so percentiles of the job are exact), the agreed end of preparing a
// run, and each rank's share of the job's figures. Command's thread; collective: every rank calls
// each function in the same order.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "load/cc_fleet.h"
#include "ranks/comm.h"
#include "stats/client_stats.h"

namespace connperf::ranks {

// `s` and `extra` become the sums over every rank (min and max of histograms combine).
void sum(Comm& comm, stats::ClientSnapshot& s, std::span<std::uint64_t> extra = {});

// cc's job totals: counts summed; reached when the slowest rank had all of its connections open,
// and only if every rank did.
load::CcTotals sum(Comm& comm, const load::CcTotals& own);

// Every rank's outcome of preparing its part: 0, or an exit code and why. Returns 0 when every
// rank is ready; else the code of the lowest failing rank, whose message rank 0 has printed as
// one line naming the rank and its host.
int agree_ready(Comm& comm, int code, const std::string& message);

}  // namespace connperf::ranks
