#include "cli/search.h"

#include "cli/common.h"

namespace connperf::cli {

void add_search_flags(CLI::App& c, SearchFlags& o) {
  c.add_flag("--search", o.on,
             "find the highest --rate whose step of -d seconds (5 unless given) holds "
             "--max-error-rate (0.001 unless given) and --max-p99; --rate is the first step "
             "(1000 unless given)");
  c.add_option("--max-p99", o.max_p99, "with --search: a step holds only when its p99 latency "
                                       "is at most T (0: no bound)");
  c.add_option("--search-precision", o.precision,
               "with --search: stop when the bracket is within this fraction of its low end")
      ->check(in_range(0.001, 1.0));
  c.add_option("--search-steps", o.max_steps, "with --search: at most N steps")
      ->check(in_range(1u, 200u));
}

run::SearchPlan search_plan(const SearchFlags& search, const RunFlags& run, double rate) {
  if (run.count) throw UsageError("--search: steps are timed by -d, not counted by -n");
  run::SearchPlan plan;
  plan.first_rate = rate > 0 ? rate : 1000;
  plan.duration = run.duration_seconds(5);
  plan.max_error_rate = run.max_error_rate >= 0 ? run.max_error_rate : 0.001;
  plan.max_p99_us = static_cast<std::uint64_t>(parse_seconds("--max-p99", search.max_p99) * 1e6);
  plan.precision = search.precision;
  plan.max_steps = search.max_steps;
  return plan;
}

}  // namespace connperf::cli
