// Before a load run: its source addresses checked by binding them, the open-file soft limit
// raised to the hard one (the run needs it), and the plan judged against this host by
// diag::preflight, each problem printed to stderr as one "warning: " line. Command's thread.
#pragma once

#include <cstdint>

#include "diag/preflight.h"
#include "load/crr.h"
#include "load/target.h"

namespace connperf::run {

// --bind addresses that cannot be bound end the run before it starts. Throws RunError.
void check_sources(const load::Targets& spec);

// The plan with the targets and source addresses of `where` (the run's, or doctor's planned).
diag::Plan plan_over(diag::Plan plan, const load::Targets& where);

// Raises the open-file limit, then warns about what `plan` over `where` cannot do here.
void preflight(diag::Plan plan, const load::Targets& where);
// crr: new connections closed by --close, -c in flight.
void preflight_crr(const load::CrrSpec& spec, double duration);
// rr, cc: `count` connections held open, split over `processes` (cc --processes; 0 for none).
void preflight_held(const load::Targets& spec, std::uint64_t count, unsigned processes);

}  // namespace connperf::run
