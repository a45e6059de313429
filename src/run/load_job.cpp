#include "run/load_job.h"

#include <fmt/format.h>

namespace connperf::run {

int exit_code_for(const stats::ClientSnapshot& total) {
  return total.started > 0 && total.completed == 0 ? kCannotRun : kOk;
}

std::string targets_text(const load::Targets& t) {
  if (t.targets.empty()) return "the target";
  if (t.targets.size() == 1) return t.targets.front().name;
  return fmt::format("{} (and {} more)", t.targets.front().name, t.targets.size() - 1);
}

nlohmann::json rank_counts(const stats::ClientSnapshot& own, double elapsed,
                           const std::vector<net::SockAddr>& sources) {
  nlohmann::json row = {
      {"started", own.started},
      {"completed", own.completed},
      {"errors", own.error_total()},
      {"cps", elapsed > 0 ? static_cast<double>(own.completed) / elapsed : 0.0}};
  if (!sources.empty()) {
    nlohmann::json& list = row["sources"] = nlohmann::json::array();
    for (const auto& a : sources) list.push_back(a.host_string());
  }
  return row;
}

}  // namespace connperf::run
