#include "run/cpu_usage.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "loop/clock.h"
#include "loop/cpus.h"

namespace connperf::run {

namespace {

// What one unit of work is, per command: the summary key that counts it and the name of the
// CPU cost per unit in summary.cpu.
struct CpuUnit {
  std::string_view command, count_key, cost_key, name;
};
constexpr std::array<CpuUnit, 6> kCpuUnits{{
    {"crr", "completed", "us_per_connection", "connection"},
    {"rr", "requests", "us_per_request", "request"},
    {"cc", "established", "us_per_connection", "connection"},
    {"server", "accepted", "us_per_connection", "connection"},
    {"server", "requests", "us_per_request", "request"},
    {"proxy", "requests", "us_per_request", "request"},
}};

double seconds_of(std::uint64_t us) { return static_cast<double>(us) / 1e6; }

nlohmann::json host_json(const diag::HostCpu& d) {
  return {{"busy_pct", d.busy_pct()}, {"steal_pct", d.steal_pct()}};
}

// summary.cpu's cost per unit, and the text's "41.5us per connection".
std::string add_unit_costs(const std::string& command, const diag::CpuTime& d,
                           nlohmann::json& cpu, const nlohmann::json& summary) {
  std::string text;
  for (const CpuUnit& u : kCpuUnits) {
    const auto count = summary.find(u.count_key);
    if (u.command != command || count == summary.end() || !count->is_number()) continue;
    const auto n = count->get<double>();
    if (n <= 0) continue;
    const double cost = static_cast<double>(d.total_us()) / n;
    cpu[std::string(u.cost_key)] = cost;
    text += fmt::format(", {:.1f}us per {}", cost, u.name);
  }
  return text;
}

}  // namespace

nlohmann::json cpu_json(const diag::CpuTime& d, std::uint64_t units, std::string_view command) {
  nlohmann::json j = {{"user_s", seconds_of(d.user_us)}, {"sys_s", seconds_of(d.sys_us)}};
  const auto unit = std::find_if(kCpuUnits.begin(), kCpuUnits.end(),
                                 [&](const CpuUnit& u) { return u.command == command; });
  if (units > 0 && unit != kCpuUnits.end())
    j[std::string(unit->cost_key)] = static_cast<double>(d.total_us()) / static_cast<double>(units);
  return j;
}

std::string limit_warning(const std::string& command, double pct, unsigned usable) {
  const bool serving = command == "server" || command == "proxy";
  return fmt::format("warning: connperf used {:.0f}% of the usable CPUs ({}): {} may be the "
                     "limit, not {} (more -t, other --cpus, or another host)\n",
                     pct, usable, serving ? "this " + command : "the generator",
                     serving ? "the clients" : "the target");
}

unsigned usable_cpus(const nlohmann::json& config) {
  const nlohmann::json c = config.is_object() ? config : nlohmann::json::object();
  const nlohmann::json listed = c.value("cpus", nlohmann::json::array());
  std::size_t cpus = listed.empty() ? loop::allowed_cpus().size() : listed.size();
  if (cpus == 0) cpus = std::max(1u, std::thread::hardware_concurrency());
  const bool blocking = c.value("model", std::string("epoll")) != "epoll";
  const auto workers = c.value("threads", 0u) * std::max(1u, c.value("processes", 1u));
  return static_cast<unsigned>(workers && !blocking ? std::min<std::size_t>(cpus, workers) : cpus);
}

CpuUsageJob::CpuUsageJob(Job& inner, std::string command, const nlohmann::json& config,
                         ranks::Comm& comm)
    : JobDecorator(inner),
      comm_(comm),
      command_(std::move(command)),
      usable_(usable_cpus(config) * comm.size()) {}

diag::CpuTime CpuUsageJob::over_ranks(const diag::CpuTime& mine) {
  if (comm_.size() == 1) return mine;
  std::uint64_t v[2] = {mine.user_us, mine.sys_us};
  comm_.sum(v);
  return {v[0], v[1]};
}

std::uint64_t CpuUsageJob::start() {
  first_cpu_ = last_cpu_ = diag::read_cpu_time();
  first_host_ = last_host_ = diag::read_host_cpu();
  t0_ = loop::now_ns();
  return load_->start();
}

void CpuUsageJob::interval(double t, double seconds, nlohmann::json& j, std::string& line) {
  load_->interval(t, seconds, j, line);
  const diag::CpuTime now = diag::read_cpu_time();
  j["cpu"] = cpu_json(over_ranks(now - last_cpu_));
  last_cpu_ = now;
  if (!last_host_) return;
  const diag::HostCpu host = diag::read_host_cpu().value_or(*last_host_);
  j["host_cpu"] = host_json(host - *last_host_);
  last_host_ = host;
}

void CpuUsageJob::summary(double elapsed, std::string& text, nlohmann::json& j) {
  load_->summary(elapsed, text, j);
  const diag::CpuTime d = over_ranks(diag::read_cpu_time() - first_cpu_);
  const double wall = loop::seconds_from_ns(loop::now_ns() - t0_);
  const double pct = wall > 0 ? 100 * seconds_of(d.total_us()) / (wall * usable_) : 0;
  nlohmann::json& cpu = j["cpu"] = cpu_json(d);
  cpu.update({{"wall_s", wall}, {"usable_cpus", usable_}, {"usable_pct", pct},
              {"limited", pct >= kSaturatedPct}});
  text += fmt::format("\ncpu time    {:.2f} s user, {:.2f} s sys: {:.0f}% of the usable CPUs "
                      "({}){}\n",
                      seconds_of(d.user_us), seconds_of(d.sys_us), pct, usable_,
                      add_unit_costs(command_, d, cpu, j));
  if (first_host_) {
    const diag::HostCpu h = diag::read_host_cpu().value_or(*last_host_) - *first_host_;
    j["host_cpu"] = host_json(h);
    text += fmt::format("host CPUs   {:.1f}% busy, {:.1f}% steal (all {} CPUs of the host)\n",
                        h.busy_pct(), h.steal_pct(), std::thread::hardware_concurrency());
  }
  if (pct >= kSaturatedPct) text += limit_warning(command_, pct, usable_);
}

nlohmann::json CpuUsageJob::rank_row(double elapsed) {
  nlohmann::json row = load_->rank_row(elapsed);
  row["cpu_s"] = seconds_of((diag::read_cpu_time() - first_cpu_).total_us());
  return row;
}

}  // namespace connperf::run
