// `connperf report`: result documents (crr, rr, cc, rr --sweep, models, lab run) in, one
// self-contained HTML page out — a first screen per run, inline SVG charts, formatted tables and
// CSS; no script, nothing fetched. Runs of one kind are overlaid in the same charts, one colour
// per run. What each part shows: docs/report.md. Pure.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace connperf::report {

class NotAResult : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Run {
  std::string label;  // the legend's name of the run: --label or the file's name
  nlohmann::json doc;
};

// The kind of result a document is: "crr", "rr", "cc", "sweep" (rr --sweep) or "models".
// Throws NotAResult (naming `name`) for anything else.
std::string result_kind(const nlohmann::json& doc, const std::string& name);

std::string render_html(const std::vector<Run>& runs, const std::string& title);

}  // namespace connperf::report
