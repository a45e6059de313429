// `connperf lab run`: its flags — the server's (--server-args) and a load subcommand's, parsed
// with their own declarations — made into a server in the lab's server namespace and a prepared
// load in its client namespace; run/lab_job.h runs them side by side.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "run/lab_job.h"
#include "lab/lab.h"

namespace connperf::cli {

namespace {
bool names_a_target(const std::vector<std::string>& args) {
  return std::any_of(args.begin() + 1, args.end(), [](const std::string& a) {
    const auto colon = a.rfind(':');
    return !a.empty() && a[0] != '-' && colon != std::string::npos && colon + 1 < a.size() &&
           std::all_of(a.begin() + static_cast<long>(colon) + 1, a.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  });
}

}  // namespace

int run_lab_run(const LabOptions& o) {
  std::vector<std::string> load = o.load_args;
  if (load.empty() || (load[0] != "crr" && load[0] != "rr" && load[0] != "cc"))
    throw UsageError("lab run: give the load after --: crr|rr|cc ARGS...");
  const lab::Topology t{o.spec.name};
  if (lab::existing(t.name).size() != 3) throw RunError("lab " + t.name + " is not up");
  std::vector<std::string> server_args = {"server"};
  std::istringstream words(o.server_args);
  for (std::string w; words >> w;) server_args.push_back(w);
  if (std::find(server_args.begin(), server_args.end(), "--listen") == server_args.end())
    server_args.insert(server_args.end(), {"--listen", std::string(lab::Topology::kServer) + ":8080"});
  ServerOptions so;
  parse_as("lab run --server-args", add_server, so, server_args);
  if (o.calibrate && names_a_target(load))
    throw UsageError("lab run --calibrate: name no target, the lab's server is the one compared");
  StopSignals signals;
  nlohmann::json calibration;
  if (o.calibrate) {  // the same server and load on the client namespace's loopback
    ServerOptions direct_options = so;
    direct_options.netns = t.client_ns();
    direct_options.listen = {"127.0.0.1:0"};
    const auto direct = server::make_server(server_spec(direct_options));
    direct->open();
    std::vector<std::string> args = load;
    args.insert(args.begin() + 1, {"--netns", t.client_ns(), direct->addresses().front().to_string()});
    const auto direct_summary = run::drive_calibration(prepare_load(args, true), *direct, signals);
    if (!direct_summary) return kOk;  // Ctrl-C: the calibration's summary was the run
    calibration = *direct_summary;
  }
  so.netns = t.server_ns();
  const auto srv = server::make_server(server_spec(so));  // enters the server namespace
  srv->open();
  const std::string target = srv->addresses().front().to_string();
  if (!names_a_target(load)) load.insert(load.begin() + 1, target);
  load.insert(load.begin() + 1, {"--netns", t.client_ns()});
  run::Prepared p = prepare_load(load, true);
  p.plan.config["lab"] = {{"name", t.name}, {"server", target}, {"server_args", o.server_args}};
  return run::drive_lab(std::move(p), *srv, t.name, signals, std::move(calibration));
}

}  // namespace connperf::cli
