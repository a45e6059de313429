// --criteria SPEC on crr, rr and cc: the grammar that turns a spec into Criterion values
// (run/verdict judges them). Pure; a bad spec is a UsageError naming the part that is wrong.
//
//   SPEC      := ITEM ("," ITEM)*
//   ITEM      := "rfc9411" | METRIC OP VALUE
//   OP        := "<" | "<=" | ">" | ">="
//   METRIC    := "errors" | CAUSE["s"] | "lost"                    shares:  VALUE is N% or a fraction
//              | ("p50"|"p90"|"p99"|"p99.9"|"max"|"mean")["." PHASE]  latency: VALUE has a unit
//              | "cps" | "qps" | "rate" | "goodput"                 figures: VALUE may end in k, M
//              | a count of the summary
//              | ("cps"|"qps"|"rate"|"concurrency") ".deviation"     the largest distance of an
//                                                                   interval's figure from the mean
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "run/verdict.h"

namespace connperf::run {

enum class Judged { Crr, Rr, Cc };  // which summary the criteria read

std::vector<Criterion> parse_criteria(std::string_view spec, Judged what);

// A METRIC alone (what `compare --metric` names): the criterion without a bound. Throws
// UsageError (naming `flag`) when the command has no such figure.
Criterion parse_metric(std::string_view metric, Judged what, std::string_view flag);

// The criteria of a run: --criteria's, and --max-error-rate X (if given) as "errors<=X".
std::vector<Criterion> run_criteria(const std::string& spec, double max_error_rate,
                                         Judged what);

}  // namespace connperf::run
