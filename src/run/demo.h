// `connperf demo`: a server and a crr run on 127.0.0.1 in this one process — the two commands
// a user would type, printed first — then the server's count of the same run beside the
// client's summary. Command's thread only.
#pragma once

#include "loop/signals.h"

namespace connperf::run {

// `duration` seconds of load with `concurrency` connections in flight. Returns crr's exit code.
int run_demo(double duration, unsigned concurrency, loop::StopSignals& signals);

}  // namespace connperf::run
