// --search's flags on crr and rr, and the plan they make for the run layer's search
// (run/search.h).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/flags.h"
#include "run/search.h"

namespace connperf::cli {

struct SearchFlags {
  bool on = false;
  std::string max_p99 = "100ms";  // a duration; 0 = no bound
  double precision = 0.05;
  unsigned max_steps = 30;
};
void add_search_flags(CLI::App& c, SearchFlags& o);

// The search's plan from its flags, -d (each step's length), -n (refused), --max-error-rate
// and --rate (the first step). Throws UsageError.
run::SearchPlan search_plan(const SearchFlags& search, const RunFlags& run, double rate);

}  // namespace connperf::cli
