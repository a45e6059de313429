#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "result/document.h"
#include "cli/commands.h"
#include "lab/dut_reader.h"
#include "lab/lab.h"

namespace connperf::cli {

void add_lab(CLI::App& app, LabOptions& o) {
  CLI::App& lab = *app.add_subcommand(
      "lab", "a device under test (conntrack, nftables, NAT) between client and server, in "
             "network namespaces on this host");
  lab.require_subcommand(1, 1);
  CLI::App& up = *lab.add_subcommand("up", "build the namespaces NAME-client, NAME-dut, NAME-server");
  CLI::App& down = *lab.add_subcommand("down", "remove everything `lab up` made");
  CLI::App& status = *lab.add_subcommand("status", "the topology and the DUT's figures now");
  CLI::App& run = *lab.add_subcommand(
      "run", "connperf server in NAME-server, and after -- a crr, rr or cc run in NAME-client "
             "through the DUT (TARGET defaults to the lab's server), the DUT sampled per interval");
  const CLI::Validator name_check =
      check_by<lab::LabError>([](const std::string& name) { lab::check_name(name); });
  for (CLI::App* c : {&up, &down, &status, &run})  // a bad name is a usage error (exit 2)
    c->add_option("--name", o.spec.name, "lab NAME")->check(name_check);
  run.add_option("--server-args", o.server_args, "flags for the server, e.g. \"-t 2 --mode crr\"");
  run.add_flag("--calibrate", o.calibrate,
               "first the same load on the direct path (a server on the client namespace's "
               "loopback: no forwarding, no conntrack), then through the DUT; the ratio shows "
               "whether the generator was the limit");
  run.add_option("load", o.load_args, "-- crr|rr|cc ARGS...")->required();
  up.add_option("--sources", o.spec.sources, "client source addresses (for --bind)")
      ->check(in_range(1u, lab::Topology::kMaxSources));
  up.add_flag("--nat", o.spec.nat, "the DUT masquerades: the server sees the DUT's address");
  up.add_option("--loss", o.spec.loss_pct, "PCT of forwarded packets dropped at random")
      ->check(in_range(0.0, 100.0));
  up.add_option("--limit", o.spec.limit,
                "reset new connections past N tracked by the DUT (0: no limit)");
  up.add_option("--reject", o.spec.reject_pct, "PCT of new connections reset at random")
      ->check(in_range(0.0, 100.0));
  add_json_flag(status, o.json, "the status document");
}

namespace {

int lab_up(const LabOptions& o) {
  lab::up(o.spec);
  const lab::Topology t{o.spec.name};
  fmt::print("lab {} up: {} ({}) -> {} ({} / {}) -> {} ({})\n", t.name, t.client_ns(),
             lab::Topology::kClient, t.dut_ns(), lab::Topology::kDutClientSide,
             lab::Topology::kDutServerSide, t.server_ns(), lab::Topology::kServer);
  fmt::print("  sources    --bind {}\n  device     {}\n", t.sources_spec(o.spec.sources),
             lab::settings_text(o.spec));
  fmt::print("  e.g.       connperf server --netns {} --listen {}:8080 &\n"
             "             connperf crr --netns {} {}:8080 --bind {}\n",
             t.server_ns(), lab::Topology::kServer, t.client_ns(), lab::Topology::kServer,
             t.sources_spec(o.spec.sources));
  return kOk;
}

int lab_status(const LabOptions& o) {
  lab::check_name(o.spec.name);
  const lab::Topology t{o.spec.name};
  const auto there = lab::existing(t.name);
  nlohmann::json doc = result::document("lab status", {{"name", t.name}});
  doc["summary"]["namespaces"] = there;
  std::FILE* human = o.json == "-" ? stderr : stdout;
  if (there.size() != 3) {
    fmt::print(human, "lab {}: {}\n", t.name,
               there.empty() ? "not up" : fmt::format("half made ({}); run `connperf lab down`",
                                                      fmt::join(there, ", ")));
  } else {
    lab::DutReader reader(t.name);
    const lab::DutSample d = reader.sample();
    const std::optional<lab::LabSpec> settings = reader.settings();
    fmt::print(human, "lab {}: {} ({}) -> {} -> {} ({})\n", t.name, t.client_ns(),
               lab::Topology::kClient, t.dut_ns(), t.server_ns(), lab::Topology::kServer);
    fmt::print(human, "  device     {}\n{}",
               settings ? lab::settings_text(*settings) : "settings unknown", lab::dut_text(d));
    doc["summary"]["dut"] = lab::dut_json(d);
    doc["summary"]["settings"] = settings ? lab::settings_json(*settings) : nlohmann::json(nullptr);
  }
  if (!o.json.empty()) result::write_json(o.json, doc);
  return there.size() == 3 ? kOk : kCannotRun;
}

}  // namespace

int run_lab(const LabOptions& o, const std::string& action) {
  if (::geteuid() != 0) throw RunError("lab needs root (network namespaces, nftables)");
  StopSignals signals;  // SIGPIPE ignored while the tools run
  try {
    if (action == "up") return lab_up(o);
    if (action == "run") return run_lab_run(o);
    if (action == "down") {
      fmt::print("lab {}: {}\n", o.spec.name, lab::down(o.spec.name) ? "removed" : "was not up");
      return kOk;
    }
    return lab_status(o);
  } catch (const lab::LabError& e) {
    throw RunError(e.what());
  }
}

}  // namespace connperf::cli
