#include "cli/cli.h"

#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "manual/manual.h"
#include "cli/merge.h"
#include "cli/version.h"
#include "ranks/comm.h"
#include "result/document.h"

namespace connperf::cli {

namespace {

int usage(const std::string& message) {
  fmt::print(stderr, "connperf: {}\n", message);
  return kUsage;
}

// One row per subcommand: its name, its flags (declared into options it owns) and its run.
// A new subcommand is one row of commands(); the rows' order is --help's.
struct Command {
  std::string name;
  bool joins_job = false;  // crr, rr and cc under an MPI launcher run as ranks of one job
  std::function<void(CLI::App&)> add;
  std::function<int(const CLI::App&)> run;  // given the subcommand's parsed App
};

template <class Options>
Command row(std::string name, void (*add)(CLI::App&, Options&), int (*run)(const Options&),
            bool joins_job = false) {
  auto o = std::make_shared<Options>();
  return {std::move(name), joins_job, [o, add](CLI::App& app) { add(app, *o); },
          [o, run](const CLI::App&) { return run(*o); }};
}

// lab runs one of its actions: up, down, status or run.
Command lab_row() {
  auto o = std::make_shared<LabOptions>();
  return {"lab", false, [o](CLI::App& app) { add_lab(app, *o); },
          [o](const CLI::App& lab) {
            for (const CLI::App* action : lab.get_subcommands())
              return run_lab(*o, action->get_name());
            return usage("lab: no action");
          }};
}

std::vector<Command> commands() {
  std::vector<Command> t;
  t.push_back(row("crr", add_crr, run_crr, true));
  t.push_back(row("server", add_server, run_server));
  t.push_back(row("demo", add_demo, run_demo));
  t.push_back(row("states", add_states, run_states));
  t.push_back(row("echo", add_echo, run_echo));
  t.push_back(row("rr", add_rr, run_rr, true));
  t.push_back(row("cc", add_cc, run_cc, true));
  t.push_back(row("proxy", add_proxy, run_proxy));
  t.push_back(lab_row());
  t.push_back(row("report", add_report, run_report));
  t.push_back(row("models", add_models, run_models));
  t.push_back(row("doctor", add_doctor, run_doctor));
  t.push_back(row("merge", add_merge, run_merge));
  t.push_back(row("compare", add_compare, run_compare));
  t.push_back(row("suite", add_suite, run_suite));
  return t;
}

// A member of the MPI job for the run's duration when the row says so; MPI ends with the command.
struct JobMembership {
  explicit JobMembership(bool joins) {
    if (joins) ranks::join_job();
  }
  ~JobMembership() { ranks::leave_job(); }
  JobMembership(const JobMembership&) = delete;
  JobMembership& operator=(const JobMembership&) = delete;
};

int run_parsed(const CLI::App& app, const std::vector<Command>& table) {
  try {
    for (const Command& c : table) {
      const CLI::App* sub = app.get_subcommand(c.name);
      if (!sub->parsed()) continue;
      const JobMembership job(c.joins_job);
      return c.run(*sub);
    }
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

// CLI11's words for a flag given twice ("--model: At Most 1 required but received 2") in ours.
std::string parse_message(std::string message) {
  const std::size_t at = message.find("At Most 1 required but received");
  if (at != std::string::npos) message = message.substr(0, at) + "given more than once";
  return message;
}

// What a parse error most likely means where it happened.
std::string parse_hint(const CLI::App& app) {
  const CLI::App* lab = app.get_subcommand("lab");
  if (lab->parsed() && lab->get_subcommand("run")->parsed())
    return " (lab run: the load and its flags go after --, e.g. lab run --name N -- crr -d 3)";
  return "";
}

}  // namespace

std::vector<std::string> subcommand_names() {
  std::vector<std::string> names;
  for (const Command& c : commands()) names.push_back(c.name);
  return names;
}

int run(int argc, char** argv) {
  CLI::App app("connperf " CONNPERF_VERSION
               " — measure and exercise TCP connection handling on Linux");
  app.set_version_flag("--version", version_line());
  app.require_subcommand(1, 1);
  app.option_defaults()->always_capture_default();  // help shows every default: [64]
  const std::vector<Command> table = commands();
  for (const Command& c : table) c.add(app);
  if (argc == 3 && argv[1] == manual::kGenerateDocs)
    return manual::write_docs(app, argv[2]) ? kOk : kCannotRun;  // at build time
  result::set_command_line(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage(parse_message(e.what()) + parse_hint(app));
  }
  return run_parsed(app, table);
}

}  // namespace connperf::cli
