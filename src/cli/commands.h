// The subcommands: each declares its flags (with help and validation) in one place, turns them
// into an engine spec, and runs the engine with the shared reporting loop.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/flags.h"
#include "cli/search.h"
#include "cli/tls_flags.h"
#include "lab/lab.h"
#include "load/crr.h"
#include "load/rr.h"
#include "run/driver.h"
#include "server/server.h"

namespace connperf::cli {

struct CrrOptions {
  TargetFlags to;
  RunFlags run;
  OutputFlags out;
  unsigned concurrency = 64;
  bool concurrency_set = false;
  double rate = 0;
  std::string close = "rst";
  SearchFlags search;
  std::uint64_t hold = 0;             // --hold N connections held beside the load
  std::string hold_interval = "1";    // --hold-interval: each held connection's request
  TlsClientFlags tls;
  std::string proxy;                  // --proxy HOST:PORT: CONNECT through it
};

struct ServerOptions {
  std::vector<std::string> listen{"0.0.0.0:8888"};
  std::string netns;
  unsigned threads = 0;  // 0 = one per CPU
  std::string cpus;      // --cpus LIST ("" = anywhere)
  std::string mode = "http";
  std::string model = "epoll";
  std::string duration = "0";
  OutputFlags out;
  std::uint64_t max_connections = 0;
  std::string idle_timeout = "60";
  std::string drain_timeout = "5";
  int backlog = 4096;
  std::string stats_listen;  // "" = no live endpoint
  TlsServerFlags tls;
  std::string body;          // --body SIZE|LIST
};

struct ProxyOptions {
  std::vector<std::string> listen{"127.0.0.1:3128"};
  unsigned threads = 0;  // 0 = one per CPU
  std::string cpus;      // --cpus LIST ("" = anywhere)
  std::vector<std::string> allow{"127.0.0.0/8", "::1/128"};
  std::string connect_ports = "443";
  std::uint64_t max_connections = 0;  // 0 = what the open-file limit allows
  std::string idle_timeout = "60";
  std::string upstream_timeout = "30";
  std::size_t buffer = 64 * 1024;
  std::size_t tunnel_buffer = 2 * 1024 * 1024;
  std::string duration = "0";
  OutputFlags out;
  std::string stats_listen;  // "" = no live endpoint
};

struct StatesOptions {
  int port = -1;  // -1: any
  int local_port = -1;
  int remote_port = -1;
  std::string watch;
  std::string duration = "0";
  OutputFlags out;
};

struct RrOptions {
  TargetFlags to;
  RunFlags run;
  OutputFlags out;
  unsigned connections = 64;
  double rate = 0;
  std::size_t size = 0;
  std::string sweep;   // "50,100,150": one step per connection count
  std::string warmup = "1";
  std::string csv;
  SearchFlags search;
  TlsClientFlags tls;
};

struct CcOptions {
  CcOptions() { to.request = "raw"; }  // what --keepalive sends
  TargetFlags to;
  OutputFlags out;
  std::uint64_t count = 1000;
  double ramp = 0;
  std::string hold = "10";
  bool hold_set = false;
  std::string ramp_up, sustain, ramp_down;  // phases; "" = not given
  std::string keepalive;
  unsigned threads = 1;
  std::string cpus;  // --cpus LIST ("" = anywhere)
  unsigned processes = 1;
  std::string timeout = "5000";  // MS unless it names a unit
  std::string criteria;          // --criteria SPEC
  TlsClientFlags tls;
};

struct LabOptions {
  lab::LabSpec spec;
  std::string json;                    // status
  std::string server_args;             // run: the server's flags
  std::vector<std::string> load_args;  // run: crr|rr|cc and its flags
  bool calibrate = false;              // run: the direct path first
};

struct ReportOptions {
  std::vector<std::string> files;
  std::string output;
  std::string title = "connperf report";
  std::vector<std::string> labels;
};

struct CompareOptions {
  std::string base, now;
  std::vector<std::string> metrics;  // --metric; none: the command's headline figures
  std::string tolerance = "5%";
  std::string json;
};

struct ModelsOptions {
  std::string models = "thread,epoll,fork,iterative";
  std::string mode = "http";
  std::string sweep = "50,100,150,200,250,300,350,400,450";
  std::string duration = "5";
  std::string warmup = "1";
  unsigned threads = 1;         // load threads
  unsigned server_threads = 1;  // the epoll model's threads
  bool crr = false;
  std::string json;
  std::string ndjson;
};

struct SuiteOptions {
  std::string suite;   // rfc9411
  std::string target;  // HOST:PORT, or --lab
  std::string lab;
  std::string tests;   // --tests: a subset, in order
  std::string ramp_up = "2", sustain = "6", ramp_down = "2", search_step = "2";
  std::string max_p99 = "100ms";
  bool rfc_durations = false;
  bool tls = false;  // the HTTPS tests (7.6 to 7.9)
  std::string objects;  // --objects SIZE|LIST|mix:…: every crr and rr load's --object
  unsigned connections = 2000;  // 7.5's held connections
  unsigned rr_connections = 64;  // 7.3's connections
  unsigned threads = 1;
  std::string html;  // -o FILE
  OutputFlags out;
};

struct DoctorOptions {
  std::vector<std::string> targets;
  std::vector<std::string> binds;
  double rate = 0;
  std::string close = "rst";
  std::string netns;
  std::string json;
};

struct EchoOptions {
  std::string target;
  std::string timeout = "5";  // connect timeout, SECONDS unless it names a unit
};

struct DemoOptions {
  std::string duration = "5";
  unsigned concurrency = 32;
};

void add_crr(CLI::App& app, CrrOptions& o);
void add_server(CLI::App& app, ServerOptions& o);
void add_demo(CLI::App& app, DemoOptions& o);
void add_states(CLI::App& app, StatesOptions& o);
void add_echo(CLI::App& app, EchoOptions& o);
void add_rr(CLI::App& app, RrOptions& o);
void add_cc(CLI::App& app, CcOptions& o);
void add_proxy(CLI::App& app, ProxyOptions& o);
void add_lab(CLI::App& app, LabOptions& o);
void add_report(CLI::App& app, ReportOptions& o);
void add_compare(CLI::App& app, CompareOptions& o);
void add_suite(CLI::App& app, SuiteOptions& o);
void add_models(CLI::App& app, ModelsOptions& o);
void add_doctor(CLI::App& app, DoctorOptions& o);

int run_crr(const CrrOptions& o);
int run_server(const ServerOptions& o);
int run_demo(const DemoOptions& o);
int run_states(const StatesOptions& o);
int run_echo(const EchoOptions& o);
int run_rr(const RrOptions& o);
int run_cc(const CcOptions& o);
int run_proxy(const ProxyOptions& o);
int run_lab(const LabOptions& o, const std::string& action);  // up, down, status or run
int run_lab_run(const LabOptions& o);
int run_report(const ReportOptions& o);
int run_compare(const CompareOptions& o);
int run_suite(const SuiteOptions& o);
int run_models(const ModelsOptions& o);
int run_doctor(const DoctorOptions& o);


// A load run (crr, rr, cc) through the run layer, wrapped by --server-stats when given; under
// mpirun the ranks agree it can start (--server-stats is refused there).
int run_load(const std::function<run::Prepared()>& prepare, const TargetFlags& to,
             StopSignals& signals);

// Runs ready to start, for `lab run` (rr without --sweep).

run::Prepared prepare_crr(const CrrOptions& o, load::CrrSpec spec);
run::Prepared prepare_rr(const RrOptions& o, load::RrSpec spec);
run::Prepared prepare_cc(const CcOptions& o);
load::RrSpec rr_spec(const RrOptions& o);

load::CrrSpec crr_spec(const CrrOptions& o);
// Parses `args` (a subcommand and its flags) with the subcommand's own flag declarations; a
// UsageError names `name`.
template <typename Options, typename Add>
void parse_as(const std::string& name, Add add, Options& o, std::vector<std::string> args) {
  CLI::App app;
  app.option_defaults()->always_capture_default();
  add(app, o);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector last argument first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw UsageError(name + ": " + e.what());
  }
}

// A load given as its command line (crr|rr|cc and its flags), parsed as its subcommand parses
// it: its run prepared (`lab`: inside `lab run`, which refuses what a lab run cannot wrap), or
// its --search's plan (crr, rr).
run::Prepared prepare_load(const std::vector<std::string>& args, bool lab);
run::SearchPlan prepare_search(const std::vector<std::string>& args, StopSignals& signals);

// --search (cli/search.h) with crr's and rr's engines: the plan run::run_search runs.
run::SearchPlan crr_search(const CrrOptions& o, load::CrrSpec spec, StopSignals& signals);
run::SearchPlan rr_search(const RrOptions& o, load::RrSpec spec, StopSignals& signals);
server::ServerSpec server_spec(const ServerOptions& o);

}  // namespace connperf::cli
