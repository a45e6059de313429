#include "cli/commands.h"
#include "client/echo.h"
#include "loop/clock.h"

namespace connperf::cli {

void add_echo(CLI::App& app, EchoOptions& o) {
  CLI::App* c = app.add_subcommand(
      "echo", "interactive line client: prints what the server sends as it arrives, notices "
              "at once when it closes; an empty line or end of input half-closes");
  c->add_option("target", o.target, "HOST:PORT")->required();
  c->add_option("--timeout", o.timeout, "SECONDS to wait for the connection");
}

int run_echo(const EchoOptions& o) {
  client::EchoSpec spec;
  const auto targets = parse_targets({o.target});
  spec.target = targets.front().addr;
  spec.name = targets.front().name;
  const double timeout = parse_seconds("--timeout", o.timeout);
  if (timeout <= 0) throw UsageError("--timeout: must be more than 0");
  spec.connect_timeout_ns = loop::ns_from_seconds(timeout);
  return client::run_echo(spec);
}

}  // namespace connperf::cli
