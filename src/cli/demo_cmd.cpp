#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "loop/event_loop.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_demo(CLI::App& app, DemoOptions& o) {
  CLI::App* c = app.add_subcommand(
      "demo", "a server and a crr run on 127.0.0.1 for a few seconds, in this one process");
  add_duration_flag(*c, o.duration, "SECONDS of load");
  c->add_option("-c,--concurrency", o.concurrency, "connections in flight")
      ->check(CLI::Range(1, 10'000));
}

namespace {

// The server sees a client's last resets an instant after the client counted them done.
std::uint64_t settled_rst(server::Server& srv, std::uint64_t expect) {
  std::vector<stats::ListenerSnapshot> snap;
  const std::uint64_t give_up = loop::now_ns() + loop::kSec;
  for (;;) {
    srv.snapshot(snap);
    if (snap.at(0).rst >= expect || loop::now_ns() > give_up) return snap[0].rst;
    const timespec ts = loop::to_timespec(loop::kMs);
    nanosleep(&ts, nullptr);
  }
}

}  // namespace

int run_demo(const DemoOptions& o) {
  StopSignals signals;
  ServerOptions so;
  so.listen = {"127.0.0.1:0"};
  so.threads = 1;
  server::Server srv(server_spec(so));
  try {
    srv.open();
  } catch (const server::ListenError& e) {
    throw RunError(e.what());
  }
  const std::string target = srv.addresses().at(0).to_string();
  fmt::print("demo: connperf server --listen {} --mode http -t 1  (in this process)\n"
             "      connperf crr {} -t 1 -c {} -d {} --close rst\n\n",
             target, target, o.concurrency, o.duration);
  srv.start();

  CrrOptions co;
  co.to.targets = {target};
  co.concurrency = o.concurrency;
  co.run.duration = o.duration;
  co.run.duration_set = true;
  const int rc = run_crr_spec(co, crr_spec(co), signals);

  // run_crr_spec printed the client's summary; count the server's view of the same run.
  std::vector<stats::ListenerSnapshot> snap;
  srv.snapshot(snap);
  const std::uint64_t accepted = snap.at(0).accepted;
  const std::uint64_t rst = settled_rst(srv, accepted - snap[0].fin - snap[0].closed_by_server);
  srv.stop();
  srv.join();
  srv.snapshot(snap);
  fmt::print("\nserver {}: accepted {}, requests {}, rst {}, fin {}, errors {}, active {}\n",
             target, stats::format_count(snap[0].accepted), stats::format_count(snap[0].requests),
             stats::format_count(rst), stats::format_count(snap[0].fin),
             stats::format_count(snap[0].errors), stats::format_count(snap[0].active()));
  return rc;
}

}  // namespace connperf::cli
