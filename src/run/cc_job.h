// cc's job: its fleet of worker processes opening and holding connections, the interval line
// (open, attempts/s, failed/s, lost), the summary (attempted, established, failed by cause, lost,
// survived, time to reach -n) and, under MPI, the job's totals over ranks. Command's thread only.
#pragma once

#include <cstdint>
#include <memory>

#include "load/cc.h"
#include "run/driver.h"
#include "run/job.h"

namespace connperf::run {

// `spec` is this rank's share; `target` the job's -n. Connections are held `hold_ns` after the
// last attempt ended.
std::unique_ptr<Job> make_cc_job(const load::CcSpec& spec, unsigned processes,
                                 std::uint64_t hold_ns, std::uint64_t target);

// The plan of a cc run of the job's whole `spec` (all ranks): its config and banner.
Plan cc_plan(const load::CcSpec& spec, unsigned processes, double hold, const OutputSettings& out);

}  // namespace connperf::run
