// `connperf models`: the server-model comparison in one command. Each model in turn: a
// `connperf server --model M` child on loopback, the sweep engine (rr, or crr with --crr) run
// in-process against it, the server's memory at the top step, the server stopped by PID.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "run/driver.h"
#include "run/output.h"
#include "run/sweep.h"
#include "lab/command.h"
#include "stats/printers.h"

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
      ->check(CLI::Range(1u, kMaxThreads));
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

std::string self_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw RunError("cannot find our own binary (/proc/self/exe)");
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The process and its descendants (fork model: a child per connection).
std::vector<int> process_tree(int pid) {
  std::vector<int> out{pid};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::string dir = fmt::format("/proc/{}/task", out[i]);
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::stringstream kids(slurp(dir + "/" + e->d_name + "/children"));
      for (int k; kids >> k;) out.push_back(k);
    }
    ::closedir(d);
  }
  return out;
}

// Proportional set size in KiB (/proc/PID/smaps_rollup), summed over the tree: shared pages are
// divided among the processes that share them, so forked children are not counted twice.
double pss_kib(const std::vector<int>& pids) {
  double total = 0;
  for (int pid : pids) {
    std::stringstream in(slurp(fmt::format("/proc/{}/smaps_rollup", pid)));
    for (std::string key; in >> key;)
      if (key == "Pss:") {
        double kib = 0;
        in >> kib;
        total += kib;
        break;
      }
  }
  return total;
}

// A `connperf server` child listening on 127.0.0.1:PORT; stopped by PID, its files removed.
class ServerChild {
 public:
  ServerChild(const std::string& model, const ModelsOptions& o) {
    char dir[] = "/tmp/connperf-models-XXXXXX";
    if (!::mkdtemp(dir)) throw RunError("cannot make a temporary directory");
    dir_ = dir;
    std::vector<std::string> argv{self_path(), "server", "--listen", "127.0.0.1:0", "--model",
                                  model, "--mode", o.mode, "-q", "--idle-timeout", "600"};
    if (model == "epoll") argv.insert(argv.end(), {"-t", std::to_string(o.server_threads)});
    pid_ = lab::spawn_background(argv, dir_ + "/out", dir_ + "/err");
    if (pid_ < 0) throw RunError("cannot start connperf server");
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      const std::string err = slurp(dir_ + "/err");
      if (const auto at = err.find("listening on 127.0.0.1:"); at != std::string::npos)
        port_ = std::atoi(err.c_str() + at + 23);
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port_ == 0) {
      const std::string err = slurp(dir_ + "/err");
      stop();
      throw RunError("server --model " + model + " did not start: " + err);
    }
  }
  ~ServerChild() { stop(); }
  ServerChild(const ServerChild&) = delete;
  ServerChild& operator=(const ServerChild&) = delete;

  int pid() const { return pid_; }
  int port() const { return port_; }
  void stop() {
    if (pid_ > 0) lab::stop_child(pid_, 10'000);
    pid_ = -1;
    if (!dir_.empty()) {
      std::remove((dir_ + "/out").c_str());
      std::remove((dir_ + "/err").c_str());
      ::rmdir(dir_.c_str());
      dir_.clear();
    }
  }

 private:
  std::string dir_;
  int pid_ = -1;
  int port_ = 0;
};

load::Targets loopback_target(int port, const std::string& mode) {
  load::Targets t;
  t.targets = parse_targets({fmt::format("127.0.0.1:{}", port)});
  t.request = mode == "http" ? load::RequestKind::Http : load::RequestKind::Raw;
  return t;
}

nlohmann::json run_model(const std::string& model, const ModelsOptions& o, const run::SweepPlan& base,
                         StopSignals& signals, run::Output& out) {
  ServerChild server(model, o);
  const double idle_kib = pss_kib(process_tree(server.pid()));
  nlohmann::json memory;
  run::SweepPlan plan = base;
  plan.progress_label = model;
  run::SweepHooks hooks;
  const unsigned top = *std::max_element(plan.counts.begin(), plan.counts.end());
  hooks.before_stop = [&](nlohmann::json& step) {
    if (step["connections"] != top) return;
    const std::vector<int> pids = process_tree(server.pid());
    const double top_kib = pss_kib(pids);
    const double conns = step.value("open_connections", step["connections"].get<double>());
    memory = {{"connections", conns}, {"pss_kib_idle", idle_kib}, {"pss_kib_top", top_kib},
              {"kib_per_connection", conns > 0 ? (top_kib - idle_kib) / conns : 0.0},
              {"processes", pids.size()}, {"pids", pids}};
  };
  hooks.after_step = [&](const nlohmann::json& step) {
    nlohmann::json e = step;
    e["model"] = model;
    out.step(e, "");
  };
  load::Targets target = loopback_target(server.port(), o.mode);
  nlohmann::json steps;
  if (o.crr) {
    load::CrrSpec spec;
    static_cast<load::Targets&>(spec) = target;
    spec.threads = o.threads;
    steps = run::sweep_crr(spec, plan, signals, out, hooks);
  } else {
    load::RrSpec spec;
    static_cast<load::Targets&>(spec) = target;
    spec.threads = o.threads;
    steps = run::sweep_rr(spec, plan, signals, out, hooks);
  }
  server.stop();
  return {{"model", model}, {"steps", steps}, {"memory", memory}};
}

std::string models_table(const nlohmann::json& models, bool crr) {
  std::string head = fmt::format("{:>11}", "connections");
  for (const auto& m : models)
    head += fmt::format(" {:>12} {:>8}", m["model"].get<std::string>() + (crr ? " cps" : " qps"),
                        "err%");
  std::string out = head + "\n";
  std::size_t rows = 0;
  for (const auto& m : models) rows = std::max(rows, m["steps"].size());
  for (std::size_t i = 0; i < rows; ++i) {
    std::string line;
    for (const auto& m : models) {
      if (i >= m["steps"].size()) {
        line += fmt::format(" {:>12} {:>8}", "-", "-");
        continue;
      }
      const auto& st = m["steps"][i];
      if (line.empty()) line = fmt::format("{:>11}", st["connections"].get<unsigned>());
      line += fmt::format(" {:>12} {:>7.2f}%",
                          stats::format_count(static_cast<std::uint64_t>(
                              st.value(crr ? "cps" : "qps", 0.0))),
                          st["error_rate"].get<double>() * 100);
    }
    out += line + "\n";
  }
  std::string mem = fmt::format("{:>11}", "KiB/conn");
  for (const auto& m : models) {
    const auto& memory = m["memory"];
    mem += fmt::format(" {:>12} {:>8}",
                       memory.is_object() ? fmt::format("{:.1f}", memory["kib_per_connection"]
                                                                      .get<double>())
                                          : std::string("-"),
                       "");
  }
  return out + mem + "\n";
}

}  // namespace

int run_models(const ModelsOptions& o) {
  const std::vector<std::string> models = parse_models(o.models);
  run::SweepPlan plan;
  plan.counts = parse_sweep("--sweep", o.sweep);
  plan.duration = parse_seconds("-d", o.duration);
  plan.warmup = parse_seconds("--warmup", o.warmup);
  if (plan.duration <= 0) throw UsageError("-d: must be more than 0");
  if (o.json == "-" && o.ndjson == "-") throw UsageError("--json - and --ndjson - both want stdout");
  diag::Plan top;  // the largest step: rr holds its connections, crr closes them by RST
  top.connections = *std::max_element(plan.counts.begin(), plan.counts.end());
  top.held = !o.crr;
  preflight(top, load::Targets{});
  const nlohmann::json config = {
      {"models", models}, {"mode", o.mode}, {"sweep", plan.counts}, {"duration", plan.duration},
      {"warmup", plan.warmup}, {"threads", o.threads}, {"server_threads", o.server_threads},
      {"load", o.crr ? "crr" : "rr"},
      {"memory", "PSS from /proc/PID/smaps_rollup, server and its children, top step minus idle"}};
  run::OutputSettings settings;
  settings.json = o.json;
  settings.ndjson = o.ndjson;
  run::Output out(settings, "models", config);
  StopSignals signals;
  nlohmann::json results = nlohmann::json::array();
  plan.all_steps = models.size() * plan.counts.size();
  for (const std::string& m : models) {
    plan.first_step = results.size() * plan.counts.size();
    results.push_back(run_model(m, o, plan, signals, out));
    fmt::print(stderr, "models: {} done ({} steps)\n", m, results.back()["steps"].size());
    if (results.back()["steps"].size() < plan.counts.size()) break;  // stopped by a signal
  }
  out.text(models_table(results, o.crr));
  out.document()["summary"] = {{"models", results}};
  out.end();
  return kOk;
}

}  // namespace connperf::cli
