// CPS under held load (crr --hold N): N connections opened before the measurement and held for
// the whole run, each sending its request every --hold-interval so that a device cannot age it
// out, while the crr load runs beside them — what fills a firewall's connection table in
// Avalanche's "TCP connection rate examination". The held connections are cc's engine (one
// thread); their failures are counted by cause apart from the CPS load's. Command's thread.
#pragma once

#include <cstdint>
#include <memory>

#include "load/crr.h"
#include "run/job.h"

namespace connperf::run {

struct HoldSpec {
  std::uint64_t count = 0;          // 0: no held load
  std::uint64_t interval_ns = 0;    // each held connection's request every this often
};

// The crr job with N held connections opened first: each interval's JSON gains `held` (open,
// failed, lost), its line the open count; the summary `held` (cc's figures). `load` is the crr
// spec of this rank (the held connections go to its targets from its sources).
std::unique_ptr<Job> with_held_load(std::unique_ptr<Job> job, const load::CrrSpec& load,
                                    const HoldSpec& hold);

}  // namespace connperf::run
