#include "cli/commands.h"
#include "client/echo.h"
#include "loop/clock.h"

namespace connperf::cli {

void add_echo(CLI::App& app, EchoOptions& o) {
  CLI::App* c = app.add_subcommand(
      "echo", "interactive line client: prints what the server sends as it arrives, notices "
              "at once when it closes; an empty line or end of input half-closes");
  c->add_option("target", o.target, "HOST:PORT")->required();
  add_timeout_flag(*c, o.timeout, "the connection to be made", 1);
}

int run_echo(const EchoOptions& o) {
  client::EchoSpec spec;
  const auto targets = parse_targets({o.target});
  spec.target = targets.front().addr;
  spec.name = targets.front().name;
  spec.connect_timeout_ns = timeout_ns(o.timeout, 1);
  return client::run_echo(spec);
}

}  // namespace connperf::cli
