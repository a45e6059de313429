// `connperf compare BASE.json NEW.json`: did this firmware or this commit get slower? Per metric
// the two values, the change, and whether it is beyond the run-to-run noise — a Mann–Whitney U
// test over the per-interval values of the two runs, where the intervals carry the metric — and
// whether it regressed: worse by more than the tolerance and, where the noise is known, beyond
// it (p < 0.05 over the number of metrics tested: Bonferroni). Sweeps and models compare step by step (by connections, and model), on the
// tolerance alone (a step is one value). Several runs a side (rounds): the median of their values,
// and the runs' own spread is the noise — a change is beyond it only when the two min–max
// ranges do not overlap, since intervals of one run miss the run-to-run drift of a shared host.
// Pure.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/verdict.h"

namespace connperf::run {

struct MetricChange {
  std::string name;  // "p99.response", or a step's "qps @ 50 (epoll)"
  Criterion::Unit unit = Criterion::Unit::Count;
  std::optional<double> base, now;
  bool higher_is_better = true;
  std::optional<double> p_value;  // none: no interval carries the metric
  // Several runs a side: the min and max of each side's values (the medians are base and now).
  std::optional<std::pair<double, double>> base_range, now_range;
  enum class Verdict { Better, Worse, Same, Unknown } verdict = Verdict::Unknown;
  bool regressed = false;  // worse beyond the tolerance, and beyond the noise where it is known
};
const char* to_string(MetricChange::Verdict v) noexcept;

struct Comparison {
  std::vector<MetricChange> metrics;
  bool regressed() const noexcept;
};

inline constexpr double kNoiseLevel = 0.05;  // p below it: the change is beyond the noise

// Two results of one command (crr, rr, cc) on `metrics` (summary figures; with phases the
// sustain phase's), or two sweeps (rr --sweep) or two models results step by step.
Comparison compare_results(const nlohmann::json& base, const nlohmann::json& now,
                           const std::vector<Criterion>& metrics, double tolerance);

// Several runs of one command a side (each at least one): with one a side, compare_results;
// otherwise per metric the medians, judged on the tolerance and the runs' spread.
Comparison compare_rounds(std::span<const nlohmann::json> base,
                          std::span<const nlohmann::json> now,
                          const std::vector<Criterion>& metrics, double tolerance);

// The two-sided p-value of the Mann–Whitney U test (normal approximation, ties corrected);
// none when either side has fewer than 2 values.
std::optional<double> mann_whitney_p(std::span<const double> xs, std::span<const double> ys);

std::string comparison_text(const Comparison& c, double tolerance);
nlohmann::json comparison_json(const Comparison& c);

}  // namespace connperf::run
