#include "run/sweep.h"

#include <algorithm>

#include <fmt/format.h>

#include "diag/cpu_time.h"
#include "loop/clock.h"
#include "run/cpu_usage.h"
#include "stats/printers.h"

namespace connperf::run {

namespace {

// `cpu`: this process's CPU time over the step's measured part.
nlohmann::json step_json(unsigned connections, const stats::ClientSnapshot& d, double seconds,
                         bool rr, const diag::CpuTime& cpu) {
  const double started = static_cast<double>(d.started);
  const double rate = static_cast<double>(d.completed) / seconds;
  nlohmann::json j = {{"connections", connections}, {"seconds", seconds}};
  j[rr ? "requests" : "completed"] = d.completed;
  j[rr ? "qps" : "cps"] = rate;
  j["error_rate"] = started > 0 ? static_cast<double>(d.error_total()) / started : 0.0;
  j["errors"] = stats::errors_json(d);
  j["latency_us"] = {{"response", stats::latency_json(rr ? d.total_us : d.response_us)}};
  j["cpu"] = cpu_json(cpu, d.completed, rr ? "rr" : "crr");
  return j;
}

// Waits until `until` in slices, keeping the status line current. True at a stop signal.
bool wait_showing(StopSignals& signals, std::uint64_t until, Output& out,
                  const std::function<std::string()>& text) {
  constexpr std::uint64_t kSliceNs = 250'000'000;
  for (;;) {
    out.status(text());
    const std::uint64_t now = loop::now_ns();
    if (now >= until) return false;
    if (signals.wait_until(std::min(until, now + kSliceNs))) return true;
  }
}

template <typename Engine, typename Spec>
nlohmann::json sweep(const Spec& base, const SweepPlan& plan, StopSignals& signals, Output& out,
                     const SweepHooks& hooks, unsigned Spec::*count_field) {
  constexpr bool kRr = std::is_same_v<Engine, load::RrEngine>;
  nlohmann::json steps = nlohmann::json::array();
  const double step_seconds = plan.warmup + plan.duration;
  for (std::size_t i = 0; i < plan.counts.size(); ++i) {
    Spec spec = base;
    spec.*count_field = plan.counts[i];
    spec.count = 0;
    Engine engine(std::move(spec));
    const std::uint64_t t0 = engine.start();
    auto text = [&] {
      const std::string what = fmt::format("{}{}{} connections", plan.progress_label,
                                           plan.progress_label.empty() ? "" : ", ",
                                           plan.counts[i]);
      return step_progress_text(plan.first_step + i,
                                plan.all_steps ? plan.all_steps : plan.counts.size(),
                                loop::seconds_from_ns(loop::now_ns() - t0), step_seconds, what);
    };
    bool stopped = wait_showing(signals, t0 + loop::ns_from_seconds(plan.warmup), out, text);
    stats::ClientSnapshot a, b;
    engine.snapshot(a);
    const diag::CpuTime cpu0 = diag::read_cpu_time();
    const std::uint64_t t1 = loop::now_ns();
    if (!stopped)
      stopped = wait_showing(signals, t1 + loop::ns_from_seconds(plan.duration), out, text);
    engine.snapshot(b);
    const double secs = loop::seconds_from_ns(loop::now_ns() - t1);
    b -= a;
    nlohmann::json step = step_json(plan.counts[i], b, secs, kRr, diag::read_cpu_time() - cpu0);
    if constexpr (kRr) {
      step["open_connections"] = engine.open_connections();
      step["answered_connections"] = engine.answered_connections();
    }
    if (stopped) step["interrupted"] = true;  // a signal cut it short: not a full step
    if (hooks.before_stop) hooks.before_stop(step);
    engine.stop();
    engine.join();
    if (hooks.after_step) hooks.after_step(step);
    steps.push_back(std::move(step));
    if (stopped) break;
  }
  return steps;
}

}  // namespace

nlohmann::json sweep_rr(const load::RrSpec& base, const SweepPlan& plan, StopSignals& signals,
                        Output& out, const SweepHooks& hooks) {
  return sweep<load::RrEngine>(base, plan, signals, out, hooks, &load::RrSpec::connections);
}

nlohmann::json sweep_crr(const load::CrrSpec& base, const SweepPlan& plan, StopSignals& signals,
                         Output& out, const SweepHooks& hooks) {
  return sweep<load::CrrEngine>(base, plan, signals, out, hooks, &load::CrrSpec::concurrency);
}

std::string sweep_header() {
  return fmt::format("{:>11} {:>12} {:>10} {:>9} {:>9} {:>9}", "connections", "qps",
                     "error rate", "p50", "p99", "p99.9");
}

std::string sweep_row(const nlohmann::json& j) {
  const auto& lat = j["latency_us"]["response"];
  const double rate = j.contains("qps") ? j["qps"].get<double>() : j["cps"].get<double>();
  return fmt::format("{:>11} {:>12} {:>10.4f} {:>9} {:>9} {:>9}", j["connections"].get<unsigned>(),
                     stats::format_count(static_cast<std::uint64_t>(rate)),
                     j["error_rate"].get<double>(), stats::format_us(lat["p50"]),
                     stats::format_us(lat["p99"]), stats::format_us(lat["p999"])) +
         (j.value("interrupted", false)
              ? fmt::format("  (interrupted after {:.1f} s)", j["seconds"].get<double>())
              : std::string());
}

bool interrupted(const nlohmann::json& steps) {
  return !steps.empty() && steps.back().value("interrupted", false);
}

}  // namespace connperf::run
