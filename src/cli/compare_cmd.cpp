// `connperf compare BASE.json NEW.json [--metric M]... [--tolerance 5%] [--json OUT]`: two results
// of one command side by side, metric by metric, with the change, the noise and the verdict
// (run/compare); exit 1 when a metric regressed.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/criteria.h"
#include "report/html.h"
#include "result/document.h"
#include "run/compare.h"

namespace connperf::cli {

namespace {

// What each command is judged on when no --metric is given: its rate, latency and errors.
std::vector<std::string> headline_metrics(const std::string& kind) {
  if (kind == "crr") return {"cps", "p50.response", "p99.response", "p99.total", "errors"};
  if (kind == "rr") return {"qps", "p50.response", "p99.response", "errors"};
  return {"established", "survived", "lost", "errors", "time_to_reach_s"};
}

double parse_tolerance(const std::string& text) {
  std::string_view rest;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  rest = std::string_view(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (ec == std::errc{} && v >= 0 && rest == "%") return v / 100;
  if (ec == std::errc{} && v >= 0 && v < 1 && rest.empty()) return v;
  throw UsageError("--tolerance: '" + text + "' is not a share (e.g. 5% or 0.05)");
}

std::string kind_of(const nlohmann::json& doc, const std::string& path) {
  try {
    return report::result_kind(doc, path);
  } catch (const report::NotAResult& e) {
    throw UsageError(std::string("compare: ") + e.what());
  }
}

// "a.json,b.json": one side's runs, read, each of the one kind `kind` (set by the first file
// read on either side).
std::vector<nlohmann::json> read_side(const std::string& files, std::string& kind,
                                      std::string& first) {
  std::vector<nlohmann::json> docs;
  std::size_t start = 0;
  do {
    const std::size_t comma = std::min(files.find(',', start), files.size());
    const std::string path = files.substr(start, comma - start);
    docs.push_back(read_result(path));
    const std::string k = kind_of(docs.back(), path);
    if (kind.empty()) kind = k, first = path;
    if (k != kind)
      throw UsageError(fmt::format("compare: {} is a {} result, {} a {} result", first, kind,
                                   path, k));
    start = comma + 1;
  } while (start <= files.size());
  return docs;
}

}  // namespace

void add_compare(CLI::App& app, CompareOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "compare", "two results of one command (crr, rr, cc, rr --sweep, models) metric by metric: "
                 "the change, whether it is beyond the run-to-run noise, exit 1 on a regression");
  c.add_option("base", o.base,
               "the result to compare against (--json of a run), or several runs of it as a "
               "comma list (their spread is then the noise)")
      ->required();
  c.add_option("new", o.now, "the result to judge (or several, as a comma list)")->required();
  c.add_option("--metric", o.metrics,
               "METRIC to compare (repeatable, or a comma list), as --criteria names them: cps, "
               "qps, p99.total, p50.response, errors, resets, established...; default: the "
               "command's rate, latency and errors")
      ->delimiter(',');
  c.add_option("--tolerance", o.tolerance,
               "a change smaller than this share is the same (e.g. 5% or 0.05)");
  add_json_flag(c, o.json, "the comparison");
}

int run_compare(const CompareOptions& o) {
  const double tolerance = parse_tolerance(o.tolerance);
  std::string kind, first;
  const std::vector<nlohmann::json> base = read_side(o.base, kind, first);
  const std::vector<nlohmann::json> now = read_side(o.now, kind, first);
  const bool stepped = kind == "sweep" || kind == "models";
  if (stepped && base.size() + now.size() > 2)
    throw UsageError("compare: a " + kind + " is compared one result a side");
  if (stepped && !o.metrics.empty())
    throw UsageError("--metric: a " + kind + " is compared step by step (rate, p99, error rate)");
  std::vector<run::Criterion> metrics;
  if (!stepped) {
    const Judged what = kind == "crr" ? Judged::Crr : kind == "rr" ? Judged::Rr : Judged::Cc;
    for (const auto& m : o.metrics.empty() ? headline_metrics(kind) : o.metrics)
      metrics.push_back(parse_metric(m, what, "--metric"));
  }
  const run::Comparison c = run::compare_rounds(base, now, metrics, tolerance);
  const std::string text = fmt::format("compare {}: {} → {}\n", kind, o.base, o.now) +
                           run::comparison_text(c, tolerance);
  std::fputs(text.c_str(), o.json == "-" ? stderr : stdout);
  if (!o.json.empty()) {
    nlohmann::json doc = result::document(
        "compare", {{"base", o.base}, {"new", o.now}, {"tolerance", tolerance}, {"kind", kind}});
    doc["summary"] = run::comparison_json(c);
    result::write_json(o.json, doc);
  }
  return c.regressed() ? kRegressed : kOk;
}

}  // namespace connperf::cli
