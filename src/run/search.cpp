#include "run/search.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "diag/cpu_time.h"
#include "diag/tcp_mib.h"
#include "load/search.h"
#include "run/cpu_usage.h"
#include "run/driver.h"
#include "run/output.h"
#include "stats/printers.h"

namespace connperf::run {

namespace {

struct StepVerdict {
  bool held;
  std::string why;
  nlohmann::json json;
};

std::string rate_text(double r) {
  return stats::format_count(static_cast<std::uint64_t>(r));
}

StepVerdict judge(double rate, const StepResult& s, double max_error_rate, std::uint64_t max_p99_us) {
  const stats::ClientSnapshot& t = s.total;
  const std::uint64_t failed = t.error_total() + s.aborted;
  const double error_rate =
      t.started ? static_cast<double>(failed) / static_cast<double>(t.started) : 1.0;
  const double achieved = s.seconds > 0 ? static_cast<double>(t.completed) / s.seconds : 0;
  const std::uint64_t p99 = t.total_us.percentile(99);
  std::string why;
  if (t.started == 0) why = "nothing started";
  else if (error_rate > max_error_rate)
    why = fmt::format("error rate {:.4f} > {:.4f}", error_rate, max_error_rate);
  else if (max_p99_us && p99 > max_p99_us)
    why = fmt::format("p99 {} > {}", stats::format_us(p99), stats::format_us(max_p99_us));
  else if (achieved < 0.9 * rate)
    why = fmt::format("carried {}/s of {}/s", rate_text(achieved), rate_text(rate));
  nlohmann::json j = {{"rate", rate},
                      {"seconds", s.seconds},
                      {"started", t.started},
                      {"completed", t.completed},
                      {"failed", failed},
                      {"aborted", s.aborted},
                      {"achieved", achieved},
                      {"error_rate", error_rate},
                      {"errors", stats::errors_json(t)},
                      {"latency_us", {{"total", stats::latency_json(t.total_us)}}},
                      {"held", why.empty()}};
  if (!why.empty()) j["why"] = why;
  return {why.empty(), why, std::move(j)};
}

std::string row(std::size_t n, const StepVerdict& v) {
  const nlohmann::json& j = v.json;
  return fmt::format("{:>4} {:>12} {:>12} {:>10.4f} {:>9}  {}", n,
                     stats::format_count(static_cast<std::uint64_t>(j["rate"].get<double>())),
                     stats::format_count(static_cast<std::uint64_t>(j["achieved"].get<double>())),
                     j["error_rate"].get<double>(),
                     stats::format_us(j["latency_us"]["total"]["p99"].get<std::uint64_t>()),
                     !v.held ? "failed: " + v.why
                     : j["failed"] == 0 ? std::string("held, no errors")
                                        : std::string("held, errors within the bound"));
}

std::string header(const SearchPlan& plan) {
  return fmt::format(
      "{} --search: the highest rate whose {:g} s step holds error rate <= {}{}\n"
      "{:>4} {:>12} {:>12} {:>10} {:>9}  {}\n",
      plan.command, plan.duration, plan.max_error_rate,
      plan.max_p99_us ? " and p99 <= " + stats::format_us(plan.max_p99_us) : std::string(),
      "step", "rate/s", "achieved/s", "error rate", "p99", "result");
}

std::string bracket_text(double held, double failed) {
  if (failed == 0) return "the highest tried; nothing failed";
  return fmt::format("bracket: {} held, {} failed", rate_text(held), rate_text(failed));
}

std::string headline(const SearchPlan& plan, double held, double failed) {
  if (held == 0) return fmt::format("no rate held: even {}/s failed", rate_text(failed));
  if (failed == 0)
    return fmt::format("{} {} held (the highest tried; nothing failed)", rate_text(held),
                       plan.unit);
  return fmt::format("{} {} (bracket: {} held, {} failed)", rate_text(held), plan.unit,
                     rate_text(held), rate_text(failed));
}

nlohmann::json search_json(const SearchPlan& plan, double held, double failed,
                           nlohmann::json steps) {
  return {{"rate", held},
          {"bracket", {held, failed > 0 ? nlohmann::json(failed) : nlohmann::json(nullptr)}},
          {"max_error_rate", plan.max_error_rate},
          {"max_p99_us",
           plan.max_p99_us ? nlohmann::json(plan.max_p99_us) : nlohmann::json(nullptr)},
          {"precision", plan.precision},
          {"step_seconds", plan.duration},
          {"steps", std::move(steps)}};
}

// --kernel-counters: what the namespace's TCP counters did in a step, in its JSON and row.
void add_kernel_step(const std::optional<diag::TcpMib>& before, nlohmann::json& j,
                     std::string& line) {
  if (before) add_kernel_delta(diag::read_tcp_mib().value_or(*before) - *before, j, line);
}

// The search's ending: both bounds and the maximum carried, in its text and its JSON.
void report_bounds(Output& output, const SearchPlan& plan, const load::RateSearch& pdr,
                   const load::RateSearch& ndr, double max_achieved, nlohmann::json steps) {
  const double held = pdr.held(), failed = pdr.failed();
  output.text(fmt::format("\nhighest rate that holds: {}\n", headline(plan, held, failed)));
  output.text(fmt::format(
      "  NDR (no errors):            {} {} ({})\n"
      "  PDR (error rate <= {:g}):  {} {} ({})\n"
      "  maximum carried in a step:  {} {}\n",
      rate_text(ndr.held()), plan.unit, bracket_text(ndr.held(), ndr.failed()),
      plan.max_error_rate, rate_text(held), plan.unit, bracket_text(held, failed),
      rate_text(max_achieved), plan.unit));
  nlohmann::json& j = output.document()["summary"]["search"];
  j = search_json(plan, held, failed, std::move(steps));
  auto bound = [](const load::RateSearch& s) {
    return nlohmann::json{
        {"rate", s.held()},
        {"bracket", {s.held(), s.failed() > 0 ? nlohmann::json(s.failed()) : nlohmann::json()}}};
  };
  j["ndr"] = bound(ndr);
  j["pdr"] = bound(pdr);
  j["pdr"]["max_error_rate"] = plan.max_error_rate;
  j["max_achieved"] = max_achieved;
  const bool ran_out = pdr.ran_out_of_steps() || ndr.ran_out_of_steps();
  j["ran_out_of_steps"] = ran_out;
  if (ran_out)
    output.text(fmt::format("the search ran out of steps (--search-steps {}) before its bracket "
                            "was within --search-precision {}\n",
                            plan.max_steps, plan.precision));
}

}  // namespace

// One search, two bounds (FD.io CSIT's habit): every step narrows both the PDR bracket (errors
// within --max-error-rate) and the NDR one (no error at all); the rates are the PDR's until its
// bracket is narrow enough, then the NDR's.
int run_search(const SearchPlan& plan, const OutputSettings& settings) {
  Output output(settings, plan.command, plan.config);
  output.text(header(plan));
  load::RateSearch pdr(plan.first_rate, plan.precision, plan.max_steps);
  load::RateSearch ndr(plan.first_rate, plan.precision, plan.max_steps);
  nlohmann::json steps = nlohmann::json::array();
  double max_achieved = 0;
  while (!pdr.done() || !ndr.done()) {
    const double rate = pdr.converged() ? ndr.next() : pdr.next();
    const auto before = settings.kernel_counters ? diag::read_tcp_mib() : std::nullopt;
    StepResult s;
    const diag::CpuTime cpu0 = diag::read_cpu_time();
    const bool stopped = plan.step(rate, s);
    StepVerdict v = judge(rate, s, plan.max_error_rate, plan.max_p99_us);
    v.json["cpu"] = cpu_json(diag::read_cpu_time() - cpu0, s.total.completed, plan.command);
    const bool no_errors = v.held && v.json["failed"] == 0;
    max_achieved = std::max(max_achieved, v.json["achieved"].get<double>());
    std::string line = row(steps.size() + 1, v);
    add_kernel_step(before, v.json, line);
    output.step(v.json, line);
    steps.push_back(std::move(v.json));
    if (stopped) {  // a signal: this step ran short and does not count
      output.document()["interrupted"] = true;
      break;
    }
    pdr.observe(rate, v.held);
    ndr.observe(rate, no_errors);
  }
  report_bounds(output, plan, pdr, ndr, max_achieved, std::move(steps));
  output.end();
  return pdr.held() > 0 ? kOk : kErrorRate;
}

}  // namespace connperf::run
