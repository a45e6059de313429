// `connperf merge`: results of the same subcommand (crr, rr, cc) run separately — on other hosts,
// by a Kubernetes indexed Job, by ssh in a loop — as one: totals added, intervals aligned by `t`,
// histograms added bucket by bucket and percentiles recomputed from them. Pure functions.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace connperf::result {

// Why results cannot be merged (different subcommands, histogram parameters, not a result).
class MergeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct Merged {
  nlohmann::json doc;  // the result document, as one run of the subcommand writes it
  std::string text;    // the summary block for humans
};

// `names` label the inputs in the document (`config.merged`). Throws MergeError.
Merged merge_results(const std::vector<nlohmann::json>& docs,
                     const std::vector<std::string>& names);

}  // namespace connperf::result
