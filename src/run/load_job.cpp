#include "run/load_job.h"

#include <fmt/format.h>

#include "stats/format.h"

namespace connperf::run {

int exit_code_for(const stats::ClientSnapshot& total) {
  return total.started > 0 && total.completed == 0 ? kCannotRun : kOk;
}

std::string targets_text(const load::Targets& t) {
  if (t.targets.empty()) return "the target";
  if (t.targets.size() == 1) return t.targets.front().name;
  return fmt::format("{} (and {} more)", t.targets.front().name, t.targets.size() - 1);
}

bool PhaseLabels::label(double t, double seconds, nlohmann::json& j, std::string& line) {
  const load::Phase p =
      load::phase_at(phases_, loop::ns_from_seconds(std::max(0.0, t - seconds / 2)));
  const std::string name(load::to_string(p));
  j["phase"] = name;
  if (name != last_) line += "  [" + name + "]";
  last_ = name;
  return p == load::Phase::Sustain;
}

std::string PhaseLabels::sustain_text(const nlohmann::json& s, const char* rate_key) const {
  const auto& total = s["latency_us"]["total"];
  const bool objects = !s.value("objects", nlohmann::json::array()).empty();  // --object
  return fmt::format(
      "sustain phase ({:.1f} s of {:.1f}): {} completed, {}/s, {} errors, total p50 {} p99 {}{}\n",
      s["seconds"].get<double>(), loop::seconds_from_ns(phases_.total_ns()),
      stats::format_count(s["completed"].get<std::uint64_t>()),
      stats::format_rate(s[rate_key].get<double>()),
      stats::format_count(s["error_total"].get<std::uint64_t>()),
      total["count"].get<std::uint64_t>() ? stats::format_us(total["p50"].get<std::uint64_t>()) : "-",
      total["count"].get<std::uint64_t>() ? stats::format_us(total["p99"].get<std::uint64_t>()) : "-",
      objects ? ", goodput " + stats::format_bytes(static_cast<std::uint64_t>(
                                   s["goodput_bytes_per_s"].get<double>())) + "/s"
              : std::string());
}

nlohmann::json PhaseLabels::phases_json() const {
  return {{"ramp_up_s", loop::seconds_from_ns(phases_.up_ns)},
          {"sustain_s", loop::seconds_from_ns(phases_.sustain_ns)},
          {"ramp_down_s", loop::seconds_from_ns(phases_.down_ns)}};
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
