// Verdicts (--criteria): each criterion bounds one figure of a run's result — a figure of the
// summary, a share of attempts (errors, resets), or how far the interval figures strayed from
// their mean — and the run passes when every one holds. The grammar is cli/criteria's; here the
// judging, its text and JSON, and the Job that adds them to a run (exit code 3 on FAIL).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/job.h"

namespace connperf::run {

enum class Cmp : std::uint8_t { Less, AtMost, More, AtLeast };
const char* to_string(Cmp cmp) noexcept;  // "<", "<=", ">", ">="

struct Criterion {
  enum class Kind : std::uint8_t {
    Value,      // summary[figure]
    Share,      // summary[figure] / summary[per]: errors, a cause, lost
    Deviation,  // max |x - mean| / mean of intervals[].figure
  };
  enum class Unit : std::uint8_t { Count, Micros, Seconds, Fraction };

  std::string text;    // as written: "p99.total<50ms", or a preset's own
  Kind kind = Kind::Value;
  std::string figure;  // JSON pointer into the summary (Value, Share), an interval key (Deviation)
  std::string per;     // Share: JSON pointer of what it is a share of
  Unit unit = Unit::Count;
  Cmp cmp = Cmp::Less;
  double bound = 0;    // in `unit` (a Fraction for Share and Deviation)
  std::string source;  // where the bound comes from ("RFC 9411 7.2.3.3 a"), or empty
};

struct Check {
  Criterion criterion;
  std::optional<double> measured;  // none: the run has no such figure (nothing was attempted…)
  bool pass = false;               // a figure that cannot be measured does not pass
};

struct Verdict {
  std::vector<Check> checks;
  bool pass() const noexcept;
};

// One interval's figures that Deviation criteria read (the whole interval JSON is not kept).
struct IntervalFigures {
  double seconds = 0;
  std::vector<std::pair<std::string, double>> values;
};

// A criterion's figure in `summary` (Value, Share) or over `intervals` (Deviation); none when
// the run has no such figure (a latency of nothing measured, a share of nothing started).
std::optional<double> measure(const Criterion& c, const nlohmann::json& summary,
                              std::span<const IntervalFigures> intervals);
// A figure in its unit as the summaries print it: 0.001%, 1.23ms, 2.50s, 41,228.1.
std::string format_value(Criterion::Unit unit, double v);

// Judges `summary` and the intervals of full length (the last, shorter one is left out).
Verdict judge(const std::vector<Criterion>& criteria, const nlohmann::json& summary,
              std::span<const IntervalFigures> intervals);
std::string verdict_text(const Verdict& v);       // "verdict: PASS …" and a line per criterion
nlohmann::json verdict_json(const Verdict& v);    // {"pass", "criteria": [...]}
std::string verdict_reason(const Verdict& v);     // one line naming what failed; "" on PASS

// The run judged — with phases, its sustain phase (summary.sustain and the sustain intervals):
// the inner job's summary gains the verdict's text, the document its `verdict` and the exit
// code is 3 on FAIL (the inner job's own failure comes first).
std::unique_ptr<Job> with_verdict(std::unique_ptr<Job> job, std::vector<Criterion> criteria);

}  // namespace connperf::run
