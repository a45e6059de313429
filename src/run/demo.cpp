#include "run/demo.h"

#include <time.h>

#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "load/crr.h"
#include "loop/clock.h"
#include "net/address.h"
#include "run/driver.h"
#include "run/errors.h"
#include "run/load_jobs.h"
#include "run/preflight.h"
#include "server/server.h"
#include "stats/format.h"

namespace connperf::run {

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

void print_server_count(server::Server& srv, const std::string& target) {
  std::vector<stats::ListenerSnapshot> snap;
  srv.snapshot(snap);
  const std::uint64_t rst =
      settled_rst(srv, snap.at(0).accepted - snap[0].fin - snap[0].closed_by_server);
  srv.stop();
  srv.join();
  srv.snapshot(snap);
  using stats::format_count;
  fmt::print("\nserver {}: accepted {}, requests {}, rst {}, fin {}, errors {}, active {}\n",
             target, format_count(snap[0].accepted), format_count(snap[0].requests),
             format_count(rst), format_count(snap[0].fin), format_count(snap[0].errors),
             format_count(snap[0].active()));
}

}  // namespace

int run_demo(double duration, unsigned concurrency, loop::StopSignals& signals) {
  server::ServerSpec ss;
  ss.listen = {net::resolve_endpoint("127.0.0.1:0")};
  server::Server srv(ss);
  try {
    srv.open();
  } catch (const server::ListenError& e) {
    throw RunError(e.what());
  }
  const std::string target = srv.addresses().at(0).to_string();
  fmt::print("demo: connperf server --listen {} --mode http -t 1  (in this process)\n"
             "      connperf crr {} -t 1 -c {} -d {:g} --close rst\n\n",
             target, target, concurrency, duration);
  srv.start();
  load::CrrSpec spec;
  spec.targets = {{srv.addresses().at(0), target}};
  spec.concurrency = concurrency;
  const int rc = run_prepared(
      [&] {
        check_sources(spec);
        preflight_crr(spec, duration);
        return Prepared{make_crr_job(spec), crr_plan(spec, duration, OutputSettings{})};
      },
      signals);
  // run_prepared printed the client's summary; count the server's view of the same run.
  print_server_count(srv, target);
  return rc;
}

}  // namespace connperf::run
