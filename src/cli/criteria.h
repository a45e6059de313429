// --criteria SPEC on crr, rr and cc: the flag; its grammar is run/criteria.h.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "run/criteria.h"

namespace connperf::cli {

using run::Judged;
using run::parse_metric;
using run::run_criteria;

// --criteria SPEC, checked at parse (exit 2 before anything runs).
void add_criteria_flag(CLI::App& c, std::string& spec, Judged what);

}  // namespace connperf::cli
