// `lab run`'s job: the load (crr, rr or cc) in the lab's client namespace and the server in its
// server namespace, in this one process, with the DUT sampled every interval (in-process, over
// netlink: lab/dut_reader.h). One table shows client, DUT and server side by side, the three read
// back to back at each tick; the result document gains config.lab.dut (the lab's settings),
// intervals[].server and intervals[].skew_us, dut.intervals[] and dut.summary (lab::dut_json's
// shape), dut.skew_us_max, server and reconciliation (stats::reconcile's, with the DUT's figures).
// Command's thread only.
#pragma once

#include <optional>
#include <string>

#include "run/driver.h"
#include "server/server.h"

namespace connperf::run {

// Runs the prepared load with `srv` (opened, not started) beside it and the DUT of lab `lab`.
// `calibration`: the summary drive_calibration returned, or null; the document then gains
// `calibration` {summary, ratio} and the text the share of the direct path the DUT let through.
int drive_lab(Prepared p, server::ServerEngine& srv, const std::string& lab, StopSignals& signals,
              nlohmann::json calibration = nullptr);

// lab run --calibrate: the same load on the direct path first, against `direct` (a server on the
// client namespace's loopback: nothing forwarded, nothing tracked), so that the DUT run can show
// the generator was not its limit (FD.io CSIT's calibration). Its table prints; no file is
// written; returns its summary, or nothing when a stop signal cut it.
std::optional<nlohmann::json> drive_calibration(Prepared p, server::ServerEngine& direct,
                                                StopSignals& signals);

}  // namespace connperf::run
