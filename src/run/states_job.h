// `connperf states`: TCP sockets per state (sock_diag) matching a filter, counted once and shown
// as a block, or watched: a line every interval until -d or Ctrl-C. Command's thread only.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "diag/sock_diag.h"
#include "loop/signals.h"
#include "run/output.h"

namespace connperf::run {

// `scope` says which sockets in the heading ("on port 80"); `config` is the result's config.
// A failed count is a RunError. Both return the exit code.
int show_states(const diag::StateFilter& filter, const std::string& scope,
                const nlohmann::json& config, const OutputSettings& out);
// `out.interval` is the watch's interval; `duration` 0 watches until a signal.
int watch_states(const diag::StateFilter& filter, const std::string& scope,
                 const nlohmann::json& config, double duration, const OutputSettings& out,
                 loop::StopSignals& signals);

}  // namespace connperf::run
