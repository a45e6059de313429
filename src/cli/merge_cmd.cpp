// `connperf merge A.json B.json … [--json OUT]`: results of one subcommand run separately, as one.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "result/document.h"
#include "cli/merge.h"

#include "cli/common.h"
#include "cli/flags.h"
#include "result/merge.h"

namespace connperf::cli {

void add_merge(CLI::App& app, MergeOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "merge", "merge result JSON of one subcommand (crr, rr, cc) run on several hosts: totals "
               "added, intervals aligned by t, histograms added, percentiles recomputed");
  c.add_option("files", o.files, "result documents (--json) to merge")->required()->expected(1, -1);
  add_json_flag(c, o.json, "the merged document");
}

int run_merge(const MergeOptions& o) {
  std::vector<nlohmann::json> docs;
  for (const auto& path : o.files) docs.push_back(read_result(path));
  result::Merged merged;
  try {
    merged = result::merge_results(docs, o.files);
  } catch (const result::MergeError& e) {
    throw UsageError(std::string("merge: ") + e.what());
  }
  std::fputs(merged.text.c_str(), o.json == "-" ? stderr : stdout);
  if (!o.json.empty()) result::write_json(o.json, merged.doc);
  return kOk;
}

}  // namespace connperf::cli
