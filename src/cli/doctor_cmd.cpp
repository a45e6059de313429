// connperf doctor: the host's limits on a connection-rate run, with the numbers and what to
// change, and whether a planned run (--rate, --close, --bind, targets) fits its tuple budget.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "run/preflight.h"
#include "diag/doctor.h"
#include "result/document.h"

namespace connperf::cli {

void add_doctor(CLI::App& app, DoctorOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "doctor", "preflight: the host's limits (ports, backlog, conntrack, open files) and "
                "whether a planned run fits; exit 1 with the reason when it cannot");
  c.add_option("targets", o.targets, "HOST:PORT the run will connect to (repeatable)");
  add_rate_flag(c, o.rate, "planned new connections per second", "none");
  add_close_flag(c, o.close, "planned close: rst or fin");
  add_bind_flag(c, o.binds, "planned source");
  add_netns_flag(c, o.netns);
  add_json_flag(c, o.json, "the findings");
}

int run_doctor(const DoctorOptions& o) {
  enter_netns(o.netns);  // the limits are the namespace's
  load::Targets t;
  t.targets = parse_targets(o.targets);
  t.binds = parse_binds(o.binds);
  diag::Plan plan;
  plan.rate = o.rate;
  plan.fin = o.close == "fin";
  const diag::Doctor d = diag::doctor(run::plan_over(plan, t), diag::read_host_limits());
  std::fputs(d.text.c_str(), o.json == "-" ? stderr : stdout);
  if (!o.json.empty()) {
    nlohmann::json doc = result::document("doctor", {{"rate", o.rate},
                                             {"close", o.close},
                                             {"targets", o.targets},
                                             {"bind", o.binds}});
    doc.erase("intervals");
    doc["summary"] = d.summary;
    result::write_json(o.json, doc);
  }
  return d.problems.empty() ? kOk : kCannotRun;
}

}  // namespace connperf::cli
