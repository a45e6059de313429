// connperf doctor: the host's limits on a connection-rate run, with the numbers and what to
// change, and whether a planned run (--rate, --close, --bind, targets) fits its tuple budget.
#include <cstdio>

#include <fmt/format.h>

#include "result/document.h"
#include "cli/commands.h"
#include "diag/host_limits.h"
#include "diag/preflight.h"
#include "stats/printers.h"

namespace connperf::cli {

void add_doctor(CLI::App& app, DoctorOptions& o) {
  CLI::App& c = *app.add_subcommand(
      "doctor", "preflight: the host's limits (ports, backlog, conntrack, open files) and "
                "whether a planned run fits; exit 1 with the reason when it cannot");
  c.add_option("targets", o.targets, "HOST:PORT the run will connect to (repeatable)");
  c.add_option("--rate", o.rate, "planned new connections per second")
      ->check(CLI::PositiveNumber)
      ->default_str("none");
  add_close_flag(c, o.close, "planned close: rst or fin");
  add_bind_flag(c, o.binds, "planned source");
  add_netns_flag(c, o.netns);
  add_json_flag(c, o.json, "the findings");
}

namespace {

std::string opt(const std::optional<long>& v) { return v ? std::to_string(*v) : "n/a"; }
std::string n(std::uint64_t v) { return stats::format_count(v); }

struct Findings {
  std::string text;
  std::vector<std::string> problems;  // why the planned run cannot work (exit 1)
  std::vector<std::string> advice;    // worth changing, not fatal
};

void limits_text(const diag::HostLimits& h, Findings& f) {
  const long ports = h.port_hi - h.port_lo + 1;
  auto row = [&f](const char* name, const std::string& value) {
    f.text += fmt::format("  {:<40} {}\n", name, value);
  };
  row("net.ipv4.ip_local_port_range", fmt::format("{} {} ({} ports)", h.port_lo, h.port_hi,
                                                  n(static_cast<std::uint64_t>(ports))));
  const char* reuse = !h.tw_reuse ? "" : *h.tw_reuse == 1 ? " (connect reuses TIME_WAIT ports)"
                                   : *h.tw_reuse == 2 ? " (reuse for loopback only)"
                                                      : " (no reuse)";
  row("net.ipv4.tcp_tw_reuse", opt(h.tw_reuse) + reuse);
  row("net.ipv4.tcp_fin_timeout", opt(h.fin_timeout) + " s (FIN_WAIT2; TIME_WAIT is 60 s)");
  row("net.core.somaxconn", opt(h.somaxconn) + " (caps every listen backlog)");
  row("net.ipv4.tcp_max_syn_backlog", opt(h.syn_backlog));
  if (h.conntrack_max)
    row("net.netfilter.nf_conntrack_max / count",
        fmt::format("{} / {}", opt(h.conntrack_max), opt(h.conntrack_count)));
  else
    row("net.netfilter.nf_conntrack_max", "not loaded (no connection tracking)");
  row("RLIMIT_NOFILE soft / hard", fmt::format("{} / {}", n(h.files_soft), n(h.files_hard)));
  row("CPUs", std::to_string(h.cpus));
}

// The numbers behind the verdict; the verdict itself is diag::preflight's, as before a run.
void budget_text(const diag::Plan& p, const diag::HostLimits& h, Findings& f, nlohmann::json& j) {
  const diag::TuplePlan plan = diag::tuple_plan(p, h);
  const diag::TupleBudget b = diag::tuple_budget(plan);
  const char* close = p.fin ? "fin" : "rst";
  j["tuples"] = {{"rate", p.rate},          {"close", close},         {"hold_s", b.hold_s},
                 {"needed", b.needed},      {"available", b.available},
                 {"ports", plan.ports},     {"sources", plan.sources}, {"targets", plan.targets},
                 {"max_rate", b.max_rate},  {"fits", b.fits()}};
  f.text += fmt::format(
      "\ntuple budget: {}/s with --close {} holds each (source, port, target) tuple {:.0f} s{}\n"
      "  needs {} tuples; {} ports x {} source{} x {} target{} = {} available; carries {}/s\n",
      n(static_cast<std::uint64_t>(p.rate)), close, b.hold_s,
      p.fin ? (plan.tw_reuse ? " (TIME_WAIT ports reused after 1 s: tcp_tw_reuse)"
                             : " in TIME_WAIT")
            : " (RST leaves no TIME_WAIT)",
      n(b.needed), n(plan.ports), plan.sources, plan.sources == 1 ? "" : "s", plan.targets,
      plan.targets == 1 ? "" : "s", n(b.available),
      n(static_cast<std::uint64_t>(b.max_rate)));
  if (const auto c = diag::conntrack_budget(p, h)) {
    j["conntrack"] = {{"needed", c->needed}, {"max", *h.conntrack_max},
                      {"count", h.conntrack_count.value_or(0)}};
    f.text += fmt::format("  conntrack: needs {} entries ({} s each after the close); room for "
                          "{}\n",
                          n(c->needed), c->hold_s,
                          c->room < 0 ? "none" : n(static_cast<std::uint64_t>(c->room)));
  }
}

void verdict(const diag::Plan& p, const diag::HostLimits& h, Findings& f) {
  for (diag::Finding& x : diag::preflight(p, h))
    (x.severity == diag::Severity::Problem ? f.problems : f.advice).push_back(std::move(x.text));
}

nlohmann::json limits_json(const diag::HostLimits& h) {
  auto v = [](const std::optional<long>& x) {
    return x ? nlohmann::json(*x) : nlohmann::json(nullptr);
  };
  return {{"ip_local_port_range", {h.port_lo, h.port_hi}},
          {"tcp_tw_reuse", v(h.tw_reuse)},
          {"tcp_fin_timeout", v(h.fin_timeout)},
          {"somaxconn", v(h.somaxconn)},
          {"tcp_max_syn_backlog", v(h.syn_backlog)},
          {"nf_conntrack_max", v(h.conntrack_max)},
          {"nf_conntrack_count", v(h.conntrack_count)},
          {"nofile_soft", h.files_soft},
          {"nofile_hard", h.files_hard},
          {"cpus", h.cpus}};
}

}  // namespace

int run_doctor(const DoctorOptions& o) {
  enter_netns(o.netns);  // the limits are the namespace's
  load::Targets t;
  t.targets = parse_targets(o.targets);
  t.binds = parse_binds(o.binds);
  const diag::HostLimits h = diag::read_host_limits();
  Findings f;
  f.text = "connperf doctor — limits of this host (network namespace)\n";
  limits_text(h, f);
  nlohmann::json j = limits_json(h);
  diag::Plan plan;
  plan.rate = o.rate;
  plan.fin = o.close == "fin";
  plan = plan_over(plan, t);
  if (o.rate > 0) budget_text(plan, h, f, j);
  verdict(plan, h, f);
  for (const auto& a : f.advice) f.text += "advice: " + a + "\n";
  for (const auto& p : f.problems) f.text += "cannot: " + p + "\n";
  if (o.rate > 0 && f.problems.empty()) f.text += "ok: the planned run fits this host's limits\n";
  std::fputs(f.text.c_str(), o.json == "-" ? stderr : stdout);
  j["advice"] = f.advice;
  j["problems"] = f.problems;
  j["fits"] = f.problems.empty();
  if (!o.json.empty()) {
    nlohmann::json doc = result::document("doctor", {{"rate", o.rate},
                                             {"close", o.close},
                                             {"targets", o.targets},
                                             {"bind", o.binds}});
    doc.erase("intervals");
    doc["summary"] = std::move(j);
    result::write_json(o.json, doc);
  }
  return f.problems.empty() ? kOk : kCannotRun;
}

}  // namespace connperf::cli
