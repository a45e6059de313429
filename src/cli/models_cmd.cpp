// `connperf models`: its flags, made into run/models.h's plan.
#include <algorithm>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "run/preflight.h"
#include "run/models.h"

namespace connperf::cli {

namespace {
// The modes rr and crr can measure: each request gets a reply.
constexpr std::array<std::string_view, 3> kAnsweringModes{
    server::kModeNames[static_cast<std::size_t>(server::Mode::Crr)],
    server::kModeNames[static_cast<std::size_t>(server::Mode::Http)],
    server::kModeNames[static_cast<std::size_t>(server::Mode::Echo)]};
}  // namespace

void add_models(CLI::App& app, ModelsOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "models", "the server models side by side: `server --model M` on loopback and `rr --sweep` "
                "against each, one table of QPS and error rate per connection count");
  c.add_option("--models", o.models,
               fmt::format("comma list of {}", fmt::join(server::kModelNames, ", ")));
  add_mode_flag(c, o.mode, "the server's --mode", kAnsweringModes);
  c.add_option("--sweep", o.sweep, "N1,N2,...: connection counts, one step each");
  add_duration_flag(c, o.duration, "SECONDS each step is measured");
  c.add_option("--warmup", o.warmup, "SECONDS before each step's clock");
  add_threads_flag(c, o.threads, "load threads");
  c.add_option("--server-threads", o.server_threads, "the epoll model's threads (its -t)")
      ->check(in_range(1u, kMaxThreads));
  c.add_flag("--crr", o.crr, "compare new connections per second (crr, -c = the step) instead");
  add_json_flag(c, o.json, "the result document");
  add_ndjson_flag(c, o.ndjson, "start, one event per step, end");
}

namespace {

std::vector<std::string> parse_models(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string m; std::getline(in, m, ',');) {
    if (!server::parse_model(m))
      throw UsageError(fmt::format("--models: '{}' is not one of {}", m,
                                   fmt::join(server::kModelNames, ", ")));
    out.push_back(m);
  }
  if (out.empty()) throw UsageError("--models: no model given");
  return out;
}

}  // namespace

int run_models(const ModelsOptions& o) {
  const std::vector<std::string> models = parse_models(o.models);
  run::ModelsPlan m;
  m.models = models;
  m.mode = o.mode;
  m.threads = o.threads;
  m.server_threads = o.server_threads;
  m.crr = o.crr;
  run::SweepPlan& plan = m.sweep;
  plan.counts = parse_sweep("--sweep", o.sweep);
  plan.duration = parse_seconds("-d", o.duration);
  plan.warmup = parse_seconds("--warmup", o.warmup);
  if (plan.duration <= 0) throw UsageError("-d: must be more than 0");
  if (o.json == "-" && o.ndjson == "-") throw UsageError("--json - and --ndjson - both want stdout");
  diag::Plan top;  // the largest step: rr holds its connections, crr closes them by RST
  top.connections = *std::max_element(plan.counts.begin(), plan.counts.end());
  top.held = !o.crr;
  run::preflight(top, load::Targets{});
  m.config = {
      {"models", models}, {"mode", o.mode}, {"sweep", plan.counts}, {"duration", plan.duration},
      {"warmup", plan.warmup}, {"threads", o.threads}, {"server_threads", o.server_threads},
      {"load", o.crr ? "crr" : "rr"},
      {"memory", "PSS from /proc/PID/smaps_rollup, server and its children, top step minus idle"}};
  run::OutputSettings settings;
  settings.json = o.json;
  settings.ndjson = o.ndjson;
  StopSignals signals;
  return run::run_models(m, settings, signals);
}

}  // namespace connperf::cli
