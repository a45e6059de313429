// The parts of the report page that html.cpp puts together: the first screen of each run (its
// headline figures and where, when and how it ran), the formatted tables, and the section of
// sweeps and models. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/format.h"
#include "report/html.h"

namespace connperf::report {

struct Source {
  const Run* run;
  std::size_t index;  // colour
  std::string kind;   // result_kind()
};

std::string run_color(std::size_t index);

struct Figure {
  std::string id;    // data-figure attribute: rate, p50, p99, error_rate, completed, …
  std::string name;  // what it is, in words
  Quantity q;
};

// The few numbers a reader wants first, by kind: crr and rr: rate, p50 and p99 total latency,
// error rate, completed of started (rr: and connections answered); cc: established, held,
// failed, lost, time to reach; sweep and models: the best rate and where, the worst error rate.
std::vector<Figure> headline_figures(const nlohmann::json& doc, const std::string& kind);
// Empty, or why there is no latency to draw: "nothing completed: 46,080 attempts, all failed
// (refused 46,080)".
std::string nothing_completed_text(const nlohmann::json& doc, const std::string& kind);
// The targets a run aimed at, joined by ", ".
std::string targets_text(const nlohmann::json& doc);

std::string headline_html(const Source& s);
// Summary (counts with units), latency percentiles and errors by cause, one column per run.
std::string summary_tables(const std::vector<Source>& runs);
std::string config_table(const std::vector<Source>& runs);
// A table of formatted cells: the header row, then rows; data-table names it for tests.
std::string html_table(const std::string& id, const std::vector<std::string>& head,
                       const std::vector<std::vector<std::string>>& rows);

std::string sweep_section(const std::vector<Source>& runs);

}  // namespace connperf::report
