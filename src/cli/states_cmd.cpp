#include <fmt/format.h>

#include "cli/commands.h"
#include "diag/sock_diag.h"
#include "run/states_job.h"

namespace connperf::cli {

void add_states(CLI::App& app, StatesOptions& o) {
  CLI::App* c = app.add_subcommand(
      "states", "count TCP sockets per state (LISTEN, ESTABLISHED, TIME_WAIT, ...) via sock_diag");
  c->add_option("--port", o.port, "only sockets whose local or remote port is P")
      ->check(in_range(0, 65535))
      ->default_str("any");
  c->add_option("--local-port", o.local_port, "only sockets with this local port")
      ->check(in_range(0, 65535))
      ->default_str("any");
  c->add_option("--remote-port", o.remote_port, "only sockets with this remote port")
      ->check(in_range(0, 65535))
      ->default_str("any");
  c->add_option("--watch", o.watch, "print a line every SECONDS until Ctrl-C (or -d)")
      ->default_str("off");
  add_duration_flag(*c, o.duration, "with --watch: stop after SECONDS (0: at Ctrl-C)");
  add_output_flags(*c, o.out, false);
}

int run_states(const StatesOptions& o) {
  diag::StateFilter f;
  std::string scope = "on this host (IPv4 and IPv6)";
  if (o.port >= 0) {
    f.port = static_cast<std::uint16_t>(o.port);
    scope = fmt::format("on port {}", o.port);
  }
  if (o.local_port >= 0) {
    f.local_port = static_cast<std::uint16_t>(o.local_port);
    scope = fmt::format("with local port {}", o.local_port);
  }
  if (o.remote_port >= 0) {
    f.remote_port = static_cast<std::uint16_t>(o.remote_port);
    scope = fmt::format("with remote port {}", o.remote_port);
  }
  const nlohmann::json config = {{"port", o.port},
                                 {"local_port", o.local_port},
                                 {"remote_port", o.remote_port},
                                 {"watch", o.watch}};
  if (o.watch.empty()) return run::show_states(f, scope, config, o.out.settings());
  OutputFlags out = o.out;
  out.interval = o.watch;
  if (parse_seconds("--watch", o.watch) < 0.01) throw UsageError("--watch: at least 0.01 seconds");
  const double duration = parse_seconds("-d", o.duration);
  StopSignals signals;
  return run::watch_states(f, scope, config, duration, out.settings(), signals);
}

}  // namespace connperf::cli
