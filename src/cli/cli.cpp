#include "cli/cli.h"

#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/merge.h"
#include "ranks/comm.h"

namespace connperf::cli {

namespace {

int usage(const std::string& message) {
  fmt::print(stderr, "connperf: {}\n", message);
  return kUsage;
}

// crr, rr and cc started by an MPI launcher run as ranks of one job; MPI ends with the command.
struct JobMembership {
  explicit JobMembership(const CLI::App& app) {
    for (const char* name : {"crr", "rr", "cc"})
      if (app.got_subcommand(name)) ranks::join_job();
  }
  ~JobMembership() { ranks::leave_job(); }
};

}  // namespace

int run(int argc, char** argv) {
  CLI::App app("connperf " CONNPERF_VERSION
               " — measure and exercise TCP connection handling on Linux");
  app.set_version_flag("--version", "connperf " CONNPERF_VERSION);
  app.require_subcommand(1, 1);
  app.option_defaults()->always_capture_default();  // help shows every default: [64]
  CrrOptions crr;
  ServerOptions server;
  DemoOptions demo;
  StatesOptions states;
  EchoOptions echo;
  RrOptions rr;
  CcOptions cc;
  ProxyOptions proxy;
  LabOptions lab;
  ReportOptions report;
  ModelsOptions models;
  DoctorOptions doctor;
  MergeOptions merge;
  add_crr(app, crr);
  add_server(app, server);
  add_demo(app, demo);
  add_states(app, states);
  add_echo(app, echo);
  add_rr(app, rr);
  add_cc(app, cc);
  add_proxy(app, proxy);
  add_lab(app, lab);
  add_report(app, report);
  add_models(app, models);
  add_doctor(app, doctor);
  add_merge(app, merge);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage(e.what());
  }
  try {
    const JobMembership job(app);
    if (app.got_subcommand("crr")) return run_crr(crr);
    if (app.got_subcommand("server")) return run_server(server);
    if (app.got_subcommand("demo")) return run_demo(demo);
    if (app.got_subcommand("states")) return run_states(states);
    if (app.got_subcommand("echo")) return run_echo(echo);
    if (app.got_subcommand("rr")) return run_rr(rr);
    if (app.got_subcommand("cc")) return run_cc(cc);
    if (app.got_subcommand("proxy")) return run_proxy(proxy);
    if (app.got_subcommand("report")) return run_report(report);
    if (app.got_subcommand("models")) return run_models(models);
    if (app.got_subcommand("doctor")) return run_doctor(doctor);
    if (app.got_subcommand("merge")) return run_merge(merge);
    if (CLI::App* l = app.get_subcommand("lab"); l->parsed())
      for (const char* action : {"up", "down", "status", "run"})
        if (l->got_subcommand(action)) return run_lab(lab, action);
  } catch (const UsageError& e) {
    return usage(e.what());
  } catch (const RunError& e) {
    fmt::print(stderr, "connperf: {}\n", e.what());
    return kCannotRun;
  } catch (const std::exception& e) {
    fmt::print(stderr, "connperf: {}\n", e.what());
    return kCannotRun;
  }
  return usage("no subcommand");
}

}  // namespace connperf::cli
