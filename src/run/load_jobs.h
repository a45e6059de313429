// crr's and rr's jobs over their engines (run/load_job.h's LoadJob): the interval line and
// object, the summary (crr adds the TIME_WAIT sockets to its targets), a warning when local ports
// run out. `spec` is this rank's share; `max_error_rate` < 0 means none. Command's thread only.
#pragma once

#include <memory>

#include "load/crr.h"
#include "load/rr.h"
#include "run/job.h"

namespace connperf::run {

std::unique_ptr<Job> make_crr_job(load::CrrSpec spec, double max_error_rate);
std::unique_ptr<Job> make_rr_job(load::RrSpec spec, double max_error_rate);

}  // namespace connperf::run
