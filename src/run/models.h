// `connperf models`: the server-model comparison. Each model in turn: a `connperf server --model M`
// child on loopback (started from our own binary, its port read from its "listening on" line,
// stopped by PID), the sweep (rr, or crr) run in-process against it, the server's memory (PSS)
// idle and at the top step; then one table and the result document. Command's thread only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/output.h"
#include "run/sweep.h"

namespace connperf::run {

struct ModelsPlan {
  std::vector<std::string> models;  // server model names, in order
  std::string mode = "http";        // the server's --mode
  unsigned threads = 1;             // load threads
  unsigned server_threads = 1;      // the epoll model's threads
  bool crr = false;                 // sweep with crr (cps) instead of rr (qps)
  SweepPlan sweep;                  // counts, warm-up and duration of each step
  nlohmann::json config;            // the document's config
};

// kOk; a signal ends the comparison after the step it cut (the result says which models ran).
int run_models(const ModelsPlan& plan, const OutputSettings& out, StopSignals& signals);

}  // namespace connperf::run
