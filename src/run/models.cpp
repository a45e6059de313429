#include "run/models.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "diag/process.h"
#include "lab/command.h"
#include "net/address.h"
#include "run/errors.h"
#include "stats/printers.h"

namespace connperf::run {

namespace {

// The port of the first "listening on ADDR:PORT" line a server printed; 0 when there is none yet.
int announced_port(const std::string& err) {
  constexpr std::string_view kSays = "listening on ";
  const auto at = err.find(kSays);
  if (at == std::string::npos) return 0;
  const auto end = err.find('\n', at);
  if (end == std::string::npos) return 0;  // the line is not complete yet
  const std::string addr = err.substr(at + kSays.size(), end - at - kSays.size());
  try {
    return net::resolve_endpoint(addr).port();
  } catch (const net::AddressError&) {
    return 0;
  }
}

// A `connperf server` child listening on 127.0.0.1:PORT; stopped by PID, its files removed.
class ServerChild {
 public:
  ServerChild(const std::string& model, const ModelsPlan& o) {
    char dir[] = "/tmp/connperf-models-XXXXXX";
    if (!::mkdtemp(dir)) throw RunError("cannot make a temporary directory");
    dir_ = dir;
    std::vector<std::string> argv{diag::self_path(), "server", "--listen", "127.0.0.1:0", "--model",
                                  model, "--mode", o.mode, "-q", "--idle-timeout", "600"};
    if (model == "epoll") argv.insert(argv.end(), {"-t", std::to_string(o.server_threads)});
    pid_ = lab::spawn_background(argv, dir_ + "/out", dir_ + "/err");
    if (pid_ < 0) throw RunError("cannot start connperf server");
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      port_ = announced_port(diag::slurp(dir_ + "/err"));
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port_ == 0) {
      const std::string err = diag::slurp(dir_ + "/err");
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
  const std::string name = fmt::format("127.0.0.1:{}", port);
  t.targets = {{net::resolve_endpoint(name), name}};
  t.request = mode == "http" ? load::RequestKind::Http : load::RequestKind::Raw;
  return t;
}

nlohmann::json run_model(const std::string& model, const ModelsPlan& o, const SweepPlan& base,
                         StopSignals& signals, Output& out) {
  ServerChild server(model, o);
  const double idle_kib = diag::pss_kib(diag::process_tree(server.pid()));
  nlohmann::json memory;
  SweepPlan plan = base;
  plan.progress_label = model;
  SweepHooks hooks;
  const unsigned top = *std::max_element(plan.counts.begin(), plan.counts.end());
  hooks.before_stop = [&](nlohmann::json& step) {
    if (step["connections"] != top) return;
    const std::vector<int> pids = diag::process_tree(server.pid());
    const double top_kib = diag::pss_kib(pids);
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
    steps = sweep_crr(spec, plan, signals, out, hooks);
  } else {
    load::RrSpec spec;
    static_cast<load::Targets&>(spec) = target;
    spec.threads = o.threads;
    steps = sweep_rr(spec, plan, signals, out, hooks);
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
  out += mem + "\n";
  // Fairness: a model that left connections unanswered is named, so its rate is read with it.
  for (const auto& m : models)
    for (const auto& st : m["steps"])
      if (st.contains("answered_connections") &&
          st["answered_connections"] < st["connections"])
        out += fmt::format("{}: only {} of {} connections got any response\n",
                           m["model"].get<std::string>(),
                           stats::format_count(st["answered_connections"]),
                           stats::format_count(st["connections"]));
  return out;
}

}  // namespace

int run_models(const ModelsPlan& o, const OutputSettings& settings, StopSignals& signals) {
  SweepPlan plan = o.sweep;
  Output out(settings, "models", o.config);
  nlohmann::json results = nlohmann::json::array();
  plan.all_steps = o.models.size() * plan.counts.size();
  for (const std::string& m : o.models) {
    plan.first_step = results.size() * plan.counts.size();
    results.push_back(run_model(m, o, plan, signals, out));
    if (interrupted(results.back()["steps"])) break;
    fmt::print(stderr, "models: {} done ({} steps)\n", m, results.back()["steps"].size());
  }
  out.text(models_table(results, o.crr));
  out.document()["summary"] = {{"models", results}};
  if (results.empty() || interrupted(results.back()["steps"])) {
    const std::vector<std::string> not_run(o.models.begin() + std::ssize(results), o.models.end());
    out.text(fmt::format("interrupted: {} cut short{}\n",
                         results.empty() ? "nothing" : results.back()["model"].get<std::string>(),
                         not_run.empty() ? std::string()
                                         : fmt::format("; not run: {}", fmt::join(not_run, ", "))));
    out.document()["summary"]["interrupted"] = true;
    out.document()["summary"]["not_run"] = not_run;
  }
  out.end();
  return kOk;
}

}  // namespace connperf::run
