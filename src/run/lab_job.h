// `lab run`'s job: the load (crr, rr or cc) in the lab's client namespace and the server in its
// server namespace, in this one process, with the DUT sampled every interval (in-process, over
// netlink: lab/dut_reader.h). One table shows client, DUT and server side by side, the three read
// back to back at each tick; the result document gains config.lab.dut (the lab's settings),
// intervals[].server and intervals[].skew_us, dut.intervals[] and dut.summary (lab::dut_json's
// shape), dut.skew_us_max, server and reconciliation (stats::reconcile's, with the DUT's figures).
// Command's thread only.
#pragma once

#include <string>

#include "run/driver.h"
#include "server/server.h"

namespace connperf::run {

// Runs the prepared load with `srv` (opened, not started) beside it and the DUT of lab `lab`.
int drive_lab(Prepared p, server::ServerEngine& srv, const std::string& lab, StopSignals& signals);

}  // namespace connperf::run
