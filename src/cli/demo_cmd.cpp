#include "cli/commands.h"
#include "run/demo.h"

namespace connperf::cli {

void add_demo(CLI::App& app, DemoOptions& o) {
  CLI::App* c = app.add_subcommand(
      "demo", "a server and a crr run on 127.0.0.1 for a few seconds, in this one process");
  add_duration_flag(*c, o.duration, "SECONDS of load");
  add_concurrency_flag(*c, o.concurrency, "connections in flight", 10'000);
}

int run_demo(const DemoOptions& o) {
  const double duration = parse_seconds("-d", o.duration);
  if (duration <= 0) throw UsageError("-d: must be more than 0");
  StopSignals signals;
  return run::run_demo(duration, o.concurrency, signals);
}

}  // namespace connperf::cli
