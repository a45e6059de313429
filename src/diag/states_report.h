// How `connperf states` shows socket counts (diag/sock_diag.h): the states in the order a
// connection lives through them, as a JSON object, a table row under a header, or a block.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "diag/sock_diag.h"

namespace connperf::diag {

nlohmann::json states_json(const StateCounts& c);
std::string states_header();
std::string states_line(double t, const StateCounts& c);  // one row: t seconds into the watch
// "TCP sockets <scope>", then a line per state and the total.
std::string states_block(const StateCounts& c, const std::string& scope);

}  // namespace connperf::diag
