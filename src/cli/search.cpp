#include "cli/search.h"

#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "diag/tcp_mib.h"
#include "load/search.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_search_flags(CLI::App& c, SearchFlags& o) {
  c.add_flag("--search", o.on,
             "find the highest --rate whose step of -d seconds (5 unless given) holds "
             "--max-error-rate (0.001 unless given) and --max-p99; --rate is the first step "
             "(1000 unless given)");
  c.add_option("--max-p99", o.max_p99, "with --search: a step holds only when its p99 latency "
                                       "is at most T (e.g. 10ms)");
  c.add_option("--search-precision", o.precision,
               "with --search: stop when the bracket is within this fraction of its low end")
      ->check(CLI::Range(0.001, 1.0));
  c.add_option("--search-steps", o.max_steps, "with --search: at most N steps")
      ->check(CLI::Range(1u, 200u));
}

namespace {

struct Verdict {
  bool held;
  std::string why;
  nlohmann::json json;
};

Verdict judge(double rate, const StepResult& s, double max_error_rate, std::uint64_t max_p99_us) {
  const stats::ClientSnapshot& t = s.total;
  const std::uint64_t failed = t.error_total() + s.aborted;
  const double error_rate =
      t.started ? static_cast<double>(failed) / static_cast<double>(t.started) : 1.0;
  const double achieved = s.seconds > 0 ? static_cast<double>(t.completed) / s.seconds : 0;
  const std::uint64_t p99 = t.total_us.percentile(99);
  std::string why;
  if (t.started == 0) why = "nothing started";
  else if (error_rate > max_error_rate)
    why = fmt::format("error rate {:.4f} > {}", error_rate, max_error_rate);
  else if (max_p99_us && p99 > max_p99_us)
    why = fmt::format("p99 {} > {}", stats::format_us(p99), stats::format_us(max_p99_us));
  else if (achieved < 0.9 * rate)
    why = fmt::format("carried {:.0f}/s of {:.0f}/s", achieved, rate);
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

std::string row(std::size_t n, const Verdict& v) {
  const nlohmann::json& j = v.json;
  return fmt::format("{:>4} {:>12} {:>12} {:>10.4f} {:>9}  {}", n,
                     stats::format_count(static_cast<std::uint64_t>(j["rate"].get<double>())),
                     stats::format_count(static_cast<std::uint64_t>(j["achieved"].get<double>())),
                     j["error_rate"].get<double>(),
                     stats::format_us(j["latency_us"]["total"]["p99"].get<std::uint64_t>()),
                     v.held ? "held" : "failed: " + v.why);
}

std::string rate_text(double r) {
  return stats::format_count(static_cast<std::uint64_t>(r));
}

}  // namespace

int run_search(const SearchRun& run, const SearchFlags& flags, const OutputFlags& out) {
  const std::uint64_t max_p99_us =
      flags.max_p99.empty()
          ? 0
          : static_cast<std::uint64_t>(parse_seconds("--max-p99", flags.max_p99) * 1e6);
  run::Output output(out.settings(), run.command, run.config);
  output.text(fmt::format(
             "{} --search: the highest rate whose {:g} s step holds error rate <= {}{}\n"
             "{:>4} {:>12} {:>12} {:>10} {:>9}  {}\n",
             run.command, run.duration, run.max_error_rate,
             max_p99_us ? " and p99 <= " + stats::format_us(max_p99_us) : std::string(), "step",
             "rate/s", "achieved/s", "error rate", "p99", "result"));
  load::RateSearch search(run.first_rate, flags.precision, flags.max_steps);
  nlohmann::json steps = nlohmann::json::array();
  while (!search.done()) {
    const double rate = search.next();
    const auto before = out.kernel_counters ? diag::read_tcp_mib() : std::nullopt;
    StepResult s;
    const bool stopped = run.step(rate, s);
    Verdict v = judge(rate, s, run.max_error_rate, max_p99_us);
    std::string line = row(steps.size() + 1, v);
    if (before) {  // --kernel-counters: what the namespace's TCP counters did in this step
      const diag::TcpMib d = diag::read_tcp_mib().value_or(*before) - *before;
      v.json["kernel"] = diag::tcp_mib_json(d);
      if (const std::string moved = diag::tcp_mib_moved(d); !moved.empty())
        line += "  kernel: " + moved;
    }
    output.step(v.json, line);
    steps.push_back(std::move(v.json));
    if (stopped) break;  // a signal: this step ran short and does not count
    search.record(v.held);
  }
  const double held = search.held(), failed = search.failed();
  std::string headline;
  if (held == 0)
    headline = fmt::format("no rate held: even {}/s failed", rate_text(failed));
  else if (failed == 0)
    headline = fmt::format("{} {} held (the highest tried; nothing failed)", rate_text(held),
                           run.unit);
  else
    headline = fmt::format("{} {} (bracket: {} held, {} failed)", rate_text(held), run.unit,
                           rate_text(held), rate_text(failed));
  output.text(fmt::format("\nhighest rate that holds: {}\n", headline));
  output.document()["summary"]["search"] = {
      {"rate", held},
      {"bracket", {held, failed > 0 ? nlohmann::json(failed) : nlohmann::json(nullptr)}},
      {"max_error_rate", run.max_error_rate},
      {"max_p99_us", max_p99_us ? nlohmann::json(max_p99_us) : nlohmann::json(nullptr)},
      {"precision", flags.precision},
      {"step_seconds", run.duration},
      {"steps", std::move(steps)}};
  output.end();
  return held > 0 ? kOk : kErrorRate;
}

}  // namespace connperf::cli
