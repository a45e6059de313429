#include "diag/doctor.h"

#include <optional>

#include <fmt/format.h>

#include "stats/format.h"

namespace connperf::diag {

namespace {

std::string opt(const std::optional<long>& v) { return v ? std::to_string(*v) : "n/a"; }
std::string num(std::uint64_t v) { return stats::format_count(v); }

void limits_text(const HostLimits& h, Doctor& f) {
  const long ports = h.port_hi - h.port_lo + 1;
  auto row = [&f](const char* name, const std::string& value) {
    f.text += fmt::format("  {:<40} {}\n", name, value);
  };
  row("net.ipv4.ip_local_port_range", fmt::format("{} {} ({} ports)", h.port_lo, h.port_hi,
                                                  num(static_cast<std::uint64_t>(ports))));
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
  row("RLIMIT_NOFILE soft / hard", fmt::format("{} / {}", num(h.files_soft), num(h.files_hard)));
  row("CPUs", std::to_string(h.cpus));
}

// The numbers behind the verdict; the verdict itself is preflight's, as before a run.
void budget_text(const Plan& p, const HostLimits& h, Doctor& f, nlohmann::json& j) {
  const TuplePlan plan = tuple_plan(p, h);
  const TupleBudget b = tuple_budget(plan);
  const char* close = p.fin ? "fin" : "rst";
  j["tuples"] = {{"rate", p.rate},          {"close", close},         {"hold_s", b.hold_s},
                 {"needed", b.needed},      {"available", b.available},
                 {"ports", plan.ports},     {"sources", plan.sources}, {"targets", plan.targets},
                 {"max_rate", b.max_rate},  {"fits", b.fits()}};
  f.text += fmt::format(
      "\ntuple budget: {}/s with --close {} holds each (source, port, target) tuple {:.0f} s{}\n"
      "  needs {} tuples; {} ports x {} source{} x {} target{} = {} available; carries {}/s\n",
      num(static_cast<std::uint64_t>(p.rate)), close, b.hold_s,
      p.fin ? (plan.tw_reuse ? " (TIME_WAIT ports reused after 1 s: tcp_tw_reuse)"
                             : " in TIME_WAIT")
            : " (RST leaves no TIME_WAIT)",
      num(b.needed), num(plan.ports), plan.sources, plan.sources == 1 ? "" : "s", plan.targets,
      plan.targets == 1 ? "" : "s", num(b.available),
      num(static_cast<std::uint64_t>(b.max_rate)));
  if (const auto c = conntrack_budget(p, h)) {
    j["conntrack"] = {{"needed", c->needed}, {"max", *h.conntrack_max},
                      {"count", h.conntrack_count.value_or(0)}};
    f.text += fmt::format("  conntrack: needs {} entries ({} s each after the close); room for "
                          "{}\n",
                          num(c->needed), c->hold_s,
                          c->room < 0 ? "none" : num(static_cast<std::uint64_t>(c->room)));
  }
}

void verdict(const Plan& p, const HostLimits& h, Doctor& f) {
  for (Finding& x : preflight(p, h))
    (x.severity == Severity::Problem ? f.problems : f.advice).push_back(std::move(x.text));
}

nlohmann::json limits_json(const HostLimits& h) {
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

Doctor doctor(const Plan& plan, const HostLimits& h) {
  Doctor f;
  f.text = "connperf doctor — limits of this host (network namespace)\n";
  limits_text(h, f);
  f.summary = limits_json(h);
  if (plan.rate > 0) budget_text(plan, h, f, f.summary);
  verdict(plan, h, f);
  for (const auto& a : f.advice) f.text += "advice: " + a + "\n";
  for (const auto& p : f.problems) f.text += "cannot: " + p + "\n";
  if (plan.rate > 0 && f.problems.empty())
    f.text += "ok: the planned run fits this host's limits\n";
  f.summary["advice"] = f.advice;
  f.summary["problems"] = f.problems;
  f.summary["fits"] = f.problems.empty();
  return f;
}

}  // namespace connperf::diag
