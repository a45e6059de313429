#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "report/html.h"

namespace connperf::cli {

void add_report(CLI::App& app, ReportOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "report", "turn result JSON (crr, rr, cc, rr --sweep, models) into one HTML page of charts");
  c.add_option("files", o.files, "RUN.json files; several are overlaid, one colour each")
      ->required();
  c.add_option("-o,--output", o.output, "the HTML FILE to write")->required();
  c.add_option("--title", o.title, "the page's title");
  c.add_option("--label", o.labels, "a run's name in legends, in the order of the files "
                                    "(repeatable; default: the file's name)");
}

namespace {

std::string base_name(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.size() > 5 && name.ends_with(".json")) name.resize(name.size() - 5);
  return name;
}

}  // namespace

int run_report(const ReportOptions& o) {
  if (o.labels.size() > o.files.size())
    throw UsageError(fmt::format("--label: {} labels for {} files", o.labels.size(),
                                 o.files.size()));
  std::vector<report::Run> runs;
  for (std::size_t i = 0; i < o.files.size(); ++i) {
    runs.push_back({i < o.labels.size() ? o.labels[i] : base_name(o.files[i]),
                    read_result(o.files[i])});
    try {
      report::result_kind(runs.back().doc, o.files[i]);
    } catch (const report::NotAResult& e) {
      throw UsageError(e.what());
    }
  }
  const std::string html = report::render_html(runs, o.title);
  std::ofstream out(o.output);
  out << html;
  if (!out) throw RunError("cannot write " + o.output);
  return kOk;
}

}  // namespace connperf::cli
